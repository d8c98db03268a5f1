"""Brazilian bank account data: COMPE bank codes, agency and account formats, display masks.

``contas_bancarias`` stores normalised values:

- ``banco``: the 3-digit COMPE code of a bank in :data:`BANKS` (a short list of the major banks and
  the credit cooperatives common in agriculture; extend it here, in one place);
- ``agencia``: 4 digits, optionally ``-`` and a check digit (a digit or ``X``): ``"1234"``,
  ``"1234-5"``;
- ``conta``: 1 to 12 digits, ``-`` and a check digit (a digit or ``X``): ``"12345-6"``. Input
  without the hyphen takes its last character as the check digit.

Banks compute check digits with their own (unpublished or inconsistent) rules, so only the shape is
validated. Error messages are Portuguese and never repeat the number, so they can be logged.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

__all__ = [
    "BANKS",
    "InvalidBankDataError",
    "bank_name",
    "mask_account",
    "mask_agency",
    "normalize_account",
    "normalize_agency",
    "normalize_bank_code",
]

BANKS: Final = MappingProxyType(
    {
        "001": "Banco do Brasil",
        "003": "Banco da Amazônia",
        "004": "Banco do Nordeste do Brasil",
        "021": "Banestes",
        "033": "Santander",
        "037": "Banpará",
        "041": "Banrisul",
        "047": "Banese",
        "070": "BRB - Banco de Brasília",
        "077": "Banco Inter",
        "085": "Cooperativa Central Ailos",
        "104": "Caixa Econômica Federal",
        "133": "Cresol",
        "136": "Unicred",
        "208": "BTG Pactual",
        "212": "Banco Original",
        "237": "Bradesco",
        "260": "Nu Pagamentos (Nubank)",
        "290": "PagSeguro",
        "323": "Mercado Pago",
        "336": "C6 Bank",
        "341": "Itaú Unibanco",
        "380": "PicPay",
        "422": "Banco Safra",
        "655": "Banco Votorantim",
        "748": "Sicredi",
        "756": "Sicoob",
    }
)

_BANK_CODE: Final = re.compile(r"\s*([0-9]{1,3})\s*")
_AGENCY: Final = re.compile(r"\s*([0-9]{4})(?:-?([0-9xX]))?\s*")
_ACCOUNT: Final = re.compile(r"\s*([0-9]{1,12})-?([0-9xX])\s*")


class InvalidBankDataError(ValueError):
    """Malformed bank data. ``code`` is machine-readable, ``message`` Portuguese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalize_bank_code(value: str) -> str:
    """The 3-digit COMPE code (``"1"`` → ``"001"``) of a bank in :data:`BANKS`."""
    match = _BANK_CODE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidBankDataError(
            "banco_formato", "Código do banco inválido: informe o código COMPE de 3 dígitos."
        )
    code = match.group(1).zfill(3)
    if code not in BANKS:
        raise InvalidBankDataError(
            "banco_desconhecido", "Banco não atendido: o código informado não está na lista."
        )
    return code


def bank_name(code: str) -> str:
    return BANKS.get(code, code)


def normalize_agency(value: str) -> str:
    """``"1234"`` or ``"1234-5"`` (check digit uppercased)."""
    match = _AGENCY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidBankDataError(
            "agencia_formato",
            "Agência inválida: informe 4 dígitos e, se houver, o dígito verificador (0000-0).",
        )
    number, check = match.groups()
    return f"{number}-{check.upper()}" if check else number


def normalize_account(value: str) -> str:
    """``"12345-6"``: the account digits, a hyphen and the check digit (uppercased)."""
    match = _ACCOUNT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidBankDataError(
            "conta_formato",
            "Conta inválida: informe os dígitos da conta e o dígito verificador (00000-0).",
        )
    number, check = match.groups()
    return f"{number}-{check.upper()}"


def mask_agency(value: str) -> str:
    """``"1234-5"`` → ``"**34-*"``: the last two digits of the number only."""
    number, _, check = value.partition("-")
    masked = "*" * max(len(number) - 2, 0) + number[-2:]
    return f"{masked}-*" if check else masked


def mask_account(value: str) -> str:
    """``"12345-6"`` → ``"****5-6"``: the last digit of the number and the check digit only."""
    number, _, check = value.partition("-")
    masked = "*" * max(len(number) - 1, 3) + number[-1:]
    return f"{masked}-{check}" if check else masked
