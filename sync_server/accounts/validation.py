"""Pydantic field types for account data, with Portuguese messages that never echo the input.

Validators raise :class:`FieldError` (a ``ValueError`` carrying ``user_message``), which
``sync_server.errors`` turns into the field's message in a 422 answer.
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

NAME_MIN: Final = 3
NAME_MAX: Final = 255


class FieldError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise FieldError("deve ser um texto")
    return value


def normalize_name(value: object) -> str:
    """Like signup: NFC, whitespace collapsed, 3 to 255 characters. Implausible names are not
    refused here; the KYC pre-check routes them to manual analysis."""
    text = " ".join(unicodedata.normalize("NFC", _text(value)).split())
    if len(text) < NAME_MIN:
        raise FieldError("Informe o nome completo.")
    if len(text) > NAME_MAX:
        raise FieldError(f"Nome longo demais (máximo de {NAME_MAX} caracteres).")
    return text


def normalize_cpf(value: object) -> str:
    try:
        return _normalize_cpf(_text(value))
    except InvalidCpfError as exc:
        raise FieldError(exc.message) from None


def normalize_email(value: object) -> str:
    try:
        return _normalize_email(_text(value))
    except InvalidEmailError as exc:
        raise FieldError(exc.message) from None


def normalize_mobile(value: object) -> str:
    try:
        return _normalize_mobile(_text(value))
    except InvalidPhoneError as exc:
        raise FieldError(exc.message) from None


def _bank(fn: Callable[[str], str]) -> Callable[[object], str]:
    def run(value: object) -> str:
        try:
            return fn(_text(value))
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
