"""Contact data rules shared by the desktop and the server: e-mail and Brazilian mobile numbers.

- E-mail: syntax checked by ``email-validator`` (no DNS lookups), the whole address lowercased.
- Mobile: Brazilian mobiles only (the sandbox sends SMS to them). Accepted with or without the
  country code (+55 / 55), the trunk prefix 0, spaces, dots, dashes and parentheses; the area code
  (DDD) must exist and the subscriber number must have 9 digits starting with 9. Stored in E.164,
  ``+55DDNNNNNNNNN`` (14 characters).

Error messages are in Portuguese and never repeat the input, so they can be logged safely.
"""

from __future__ import annotations

import re
from typing import Final

from email_validator import EmailNotValidError, validate_email

__all__ = [
    "VALID_DDDS",
    "InvalidEmailError",
    "InvalidPhoneError",
    "normalize_email",
    "normalize_mobile",
]

# Area codes in use (Anatel). Numbers outside this set cannot be Brazilian phones.
VALID_DDDS: Final = frozenset(
    {
        *range(11, 20),
        21, 22, 24, 27, 28,
        31, 32, 33, 34, 35, 37, 38,
        41, 42, 43, 44, 45, 46, 47, 48, 49,
        51, 53, 54, 55,
        *range(61, 70),
        71, 73, 74, 75, 77, 79,
        *range(81, 90),
        *range(91, 100),
    }
)  # fmt: skip

_PHONE_CHARS: Final = re.compile(r"[\s().\-]")
MAX_EMAIL_LENGTH: Final = 255


class InvalidEmailError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPhoneError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_email(value: str) -> str:
    """The address lowercased; raises :class:`InvalidEmailError` when it is not an e-mail."""
    text = value.strip()
    if not text:
        raise InvalidEmailError("Informe o e-mail.")
    if len(text) > MAX_EMAIL_LENGTH:
        raise InvalidEmailError(f"E-mail longo demais (máximo de {MAX_EMAIL_LENGTH} caracteres).")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidEmailError("E-mail inválido: use o formato nome@dominio.com.br.") from None
    return result.normalized.lower()


def normalize_mobile(value: str) -> str:
    """A Brazilian mobile in E.164 (``+5511912345678``); raises :class:`InvalidPhoneError`."""
    text = _PHONE_CHARS.sub("", value.strip())
    if not text:
        raise InvalidPhoneError("Informe o celular com DDD.")
    if text.startswith("+"):
        if not text.startswith("+55"):
            raise InvalidPhoneError("Celular inválido: informe um número brasileiro (+55).")
        text = text[3:]
    elif len(text) == 13 and text.startswith("55"):
        text = text[2:]
    elif len(text) == 12 and text.startswith("0"):
        text = text[1:]
    if not text.isascii() or not text.isdigit():
        raise InvalidPhoneError("Celular inválido: use apenas dígitos, como (DD) 9XXXX-XXXX.")
    if len(text) != 11:
        raise InvalidPhoneError(
            "Celular inválido: informe DDD e número com 9 dígitos, como (DD) 9XXXX-XXXX."
        )
    if int(text[:2]) not in VALID_DDDS:
        raise InvalidPhoneError("Celular inválido: DDD inexistente.")
    if text[2] != "9":
        raise InvalidPhoneError("Celular inválido: números de celular começam com 9 após o DDD.")
    return "+55" + text
