"""CPF (Cadastro de Pessoas Físicas) rules: validation, normalisation, display and masking.

A CPF has nine base digits and two check digits computed modulo 11. Input is accepted bare
("12345678909") or formatted ("123.456.789-09", separators optional); it is stored bare (the
``usuarios.cpf`` column holds exactly 11 digits). CPFs made of one repeated digit
("111.111.111-11") satisfy the check-digit arithmetic but are never issued, so they are refused.

Error messages are in Portuguese (they reach the user) and never repeat the CPF itself, so they
can be logged safely.
"""

from __future__ import annotations

import random
import re
from typing import Final

__all__ = [
    "InvalidCpfError",
    "format_cpf",
    "generate_cpf",
    "is_valid_cpf",
    "mask_cpf",
    "normalize_cpf",
]

_CPF_SHAPE: Final = re.compile(r"\s*([0-9]{3})\.?([0-9]{3})\.?([0-9]{3})[-.]?([0-9]{2})\s*")


class InvalidCpfError(ValueError):
    """A CPF that is malformed or fails its check digits. ``code`` is a machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _shape_digits(value: object) -> str:
    """The 11 digits of a CPF-shaped string (check digits not verified)."""
    if not isinstance(value, str):
        raise InvalidCpfError("cpf_tipo", "O CPF deve ser informado como texto.")
    match = _CPF_SHAPE.fullmatch(value)
    if match is None:
        raise InvalidCpfError(
            "cpf_formato", "CPF inválido: informe 11 dígitos, no formato 000.000.000-00."
        )
    return "".join(match.groups())


def _check_digit(digits: str) -> str:
    """Check digit over ``digits`` (9 or 10 of them) with weights len+1 … 2, modulo 11."""
    total = sum(int(d) * w for d, w in zip(digits, range(len(digits) + 1, 1, -1), strict=True))
    remainder = total * 10 % 11
    return "0" if remainder == 10 else str(remainder)


def _check_digits(base: str) -> str:
    first = _check_digit(base)
    return first + _check_digit(base + first)


def normalize_cpf(value: str) -> str:
    """The CPF as 11 bare digits; raises :class:`InvalidCpfError` if it is not a valid CPF."""
    digits = _shape_digits(value)
    if len(set(digits)) == 1:
        raise InvalidCpfError("cpf_digitos_repetidos", "CPF inválido: todos os dígitos são iguais.")
    if _check_digits(digits[:9]) != digits[9:]:
        raise InvalidCpfError(
            "cpf_digito_verificador", "CPF inválido: os dígitos verificadores não conferem."
        )
    return digits


def is_valid_cpf(value: str) -> bool:
    """Whether ``value`` (bare or formatted) is a valid CPF."""
    try:
        normalize_cpf(value)
    except InvalidCpfError:
        return False
    return True


def format_cpf(value: str) -> str:
    """A valid CPF in display form, ``000.000.000-00``."""
    d = normalize_cpf(value)
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"


def mask_cpf(value: str) -> str:
    """``123.***.***-09``: the first three and the last two digits, for display and logs.

    Any CPF-shaped input is masked, even one whose check digits are wrong: masking must not
    depend on validity, or an invalid but real-looking number would be shown in full.
    """
    d = _shape_digits(value)
    return f"{d[:3]}.***.***-{d[9:]}"


def generate_cpf(rng: random.Random, *, fiscal_region: int | None = None) -> str:
    """A random valid CPF (11 bare digits) drawn from ``rng``, for demo data and tests.

    ``fiscal_region`` fixes the ninth digit, which names the issuing region: 1 DF/GO/MS/MT/TO,
    2 AC/AM/AP/PA/RO/RR, 3 CE/MA/PI, 4 AL/PB/PE/RN, 5 BA/SE, 6 MG, 7 ES/RJ, 8 SP, 9 PR/SC, 0 RS.
    """
    if fiscal_region is not None and fiscal_region not in range(10):
        raise ValueError("fiscal_region must be a digit from 0 to 9")
    while True:
        base = "".join(str(rng.randrange(10)) for _ in range(8))
        base += str(rng.randrange(10) if fiscal_region is None else fiscal_region)
        if len(set(base)) > 1:
            return base + _check_digits(base)
