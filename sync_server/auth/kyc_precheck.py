"""Automated KYC pre-check run at signup: PENDENTE (normal queue) or ANALISE_MANUAL (flagged).

The check never refuses a signup (that would let an attacker probe the rules); it only routes
implausible data to a human. Rules, each with a machine reason code:

- ``nome_incompleto``: the full name has fewer than two words (first name and surname);
- ``nome_caracteres``: the name holds characters other than letters (accents included), spaces,
  apostrophes, hyphens and periods (digits, symbols, emoji);
- ``nome_repeticao``: the same letter three or more times in a row ("Aaaa"), or a name made of
  one repeated word ("Silva Silva");
- ``cpf_exemplo``: the CPF is one of the example numbers published in documentation and
  generators (e.g. 123.456.789-09, 111.444.777-35) or its base is an ascending/descending run.

The rest of KYC (documents, admin decision) is owned by the KYC module.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from shared_models.enums import StatusKyc

_EXAMPLE_CPFS: Final = frozenset(
    {
        "12345678909",
        "11144477735",
        "98765432100",
        "01234567890",
        "12312312387",
    }
)
_RUNS: Final = ("123456789", "987654321", "012345678", "876543210")
_ALLOWED_NAME_CHARS: Final = re.compile(r"[^\W\d_]|[ '’.\-]")
_TRIPLE: Final = re.compile(r"([^\W\d_])\1\1", re.IGNORECASE)


@dataclass(frozen=True)
class KycPrecheck:
    status: StatusKyc
    reasons: tuple[str, ...]


def precheck(*, nome_completo: str, cpf: str) -> KycPrecheck:
    """Run the automated rules on a normalised name and an 11-digit CPF."""
    reasons: list[str] = []
    name = unicodedata.normalize("NFC", nome_completo).strip()
    words = [w for w in re.split(r"\s+", name) if w]
    if len(words) < 2:
        reasons.append("nome_incompleto")
    if not all(_ALLOWED_NAME_CHARS.fullmatch(c) for c in name):
        reasons.append("nome_caracteres")
    lowered = [w.lower() for w in words]
    if _TRIPLE.search(name) or (len(lowered) >= 2 and len(set(lowered)) == 1):
        reasons.append("nome_repeticao")
    if cpf in _EXAMPLE_CPFS or cpf[:9] in _RUNS:
        reasons.append("cpf_exemplo")
    status = StatusKyc.ANALISE_MANUAL if reasons else StatusKyc.PENDENTE
    return KycPrecheck(status=status, reasons=tuple(reasons))
