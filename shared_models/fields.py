"""Pydantic field types for personal and bank data, shared by the server's request models and
the mutation catalogue (so a form the desktop accepts offline is judged by the same rules as the
server's signup).

Validators raise :class:`FieldError`: a ``ValueError`` carrying ``user_message``, a Portuguese
text that never repeats the input (it may be logged, stored with a rejected intent or shown).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Annotated, Final

from pydantic import BeforeValidator

from shared_models import bank
from shared_models.contact import InvalidEmailError, InvalidPhoneError
from shared_models.contact import normalize_email as _normalize_email
from shared_models.contact import normalize_mobile as _normalize_mobile
from shared_models.cpf import InvalidCpfError
from shared_models.cpf import normalize_cpf as _normalize_cpf

__all__ = [
    "NAME_MAX",
    "NAME_MIN",
    "Agencia",
    "Celular",
    "CodigoBanco",
    "Cpf",
    "Email",
    "FieldError",
    "NomeCompleto",
    "NumeroConta",
    "normalize_cpf",
    "normalize_email",
    "normalize_mobile",
    "normalize_name",
    "text",
]

NAME_MIN: Final = 3
NAME_MAX: Final = 255


class FieldError(ValueError):
    """A refused field; ``user_message`` is the Portuguese text shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


def text(value: object) -> str:
    if not isinstance(value, str):
        raise FieldError("deve ser um texto")
    return value


def normalize_name(value: object) -> str:
    """NFC, whitespace collapsed, 3 to 255 characters, no control characters.

    Implausible names (digits, a single word...) are not refused: the server's KYC pre-check
    routes them to manual analysis, whether they came from a signup or a field agent's form.
    """
    name = " ".join(unicodedata.normalize("NFC", text(value)).split())
    if len(name) < NAME_MIN:
        raise FieldError(f"Informe o nome completo (mínimo de {NAME_MIN} caracteres).")
    if len(name) > NAME_MAX:
        raise FieldError(f"Nome longo demais (máximo de {NAME_MAX} caracteres).")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in name):
        raise FieldError("Nome inválido: contém caracteres de controle.")
    return name


def normalize_cpf(value: object) -> str:
    try:
        return _normalize_cpf(text(value))
    except InvalidCpfError as exc:
        raise FieldError(exc.message) from None


def normalize_email(value: object) -> str:
    try:
        return _normalize_email(text(value))
    except InvalidEmailError as exc:
        raise FieldError(exc.message) from None


def normalize_mobile(value: object) -> str:
    try:
        return _normalize_mobile(text(value))
    except InvalidPhoneError as exc:
        raise FieldError(exc.message) from None


def _bank(fn: Callable[[str], str]) -> Callable[[object], str]:
    def run(value: object) -> str:
        try:
            return fn(text(value))
        except bank.InvalidBankDataError as exc:
            raise FieldError(exc.message) from None

    return run


NomeCompleto = Annotated[str, BeforeValidator(normalize_name)]
Cpf = Annotated[str, BeforeValidator(normalize_cpf)]
Email = Annotated[str, BeforeValidator(normalize_email)]
Celular = Annotated[str, BeforeValidator(normalize_mobile)]
CodigoBanco = Annotated[str, BeforeValidator(_bank(bank.normalize_bank_code))]
Agencia = Annotated[str, BeforeValidator(_bank(bank.normalize_agency))]
NumeroConta = Annotated[str, BeforeValidator(_bank(bank.normalize_account))]
