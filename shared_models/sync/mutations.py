"""The catalogue of mutations (intents) a client may queue offline and push later.

Each entry names an intent, its version and the pydantic model of its arguments. The desktop
validates a form with the same model before queuing it (live CPF validation, document checks);
the server validates again and applies it (``sync_server.sync.intents``). The catalogue is a
frozen mapping built once: adding an intent means adding an entry here and a handler on the
server. A new *version* of an intent is a new entry (old clients keep sending the old one).

Validation messages are Portuguese and never repeat the input (they can be logged and stored).
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from shared_models import bank
from shared_models.contact import InvalidEmailError, InvalidPhoneError
from shared_models.contact import normalize_email as _normalize_email
from shared_models.contact import normalize_mobile as _normalize_mobile
from shared_models.cpf import InvalidCpfError
from shared_models.cpf import normalize_cpf as _normalize_cpf
from shared_models.enums import Perfil, TipoConta
from shared_models.kyc_documents import (
    MAX_DOCUMENT_BYTES,
    InvalidDocumentError,
    TipoDocumento,
    sniff_mime,
)

__all__ = [
    "CATALOGUE",
    "MAX_PRODUCER_DOCUMENTS",
    "PRODUTOR_REGISTRAR",
    "ArgumentError",
    "ContaBancariaArgs",
    "DocumentoArgs",
    "Mutation",
    "ProdutorRegistrarV1",
    "find",
]

NAME_MIN: Final = 3
NAME_MAX: Final = 255
MAX_PRODUCER_DOCUMENTS: Final = 6
_NAME_CHARS: Final = re.compile(r"[^\W\d_]+(?:[ '’.\-][^\W\d_]*)*")


class ArgumentError(ValueError):
    """A refused argument; ``user_message`` is the Portuguese text shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ArgumentError("deve ser um texto")
    return value


def normalize_name(value: object) -> str:
    text = " ".join(unicodedata.normalize("NFC", _text(value)).split())
    if len(text) < NAME_MIN:
        raise ArgumentError(f"Nome curto demais: informe o nome completo (mínimo de {NAME_MIN}).")
    if len(text) > NAME_MAX:
        raise ArgumentError(f"Nome longo demais (máximo de {NAME_MAX} caracteres).")
    if not _NAME_CHARS.fullmatch(text):
        raise ArgumentError("Nome inválido: use apenas letras, espaços, apóstrofos e hífens.")
    return text


def _cpf(value: object) -> str:
    try:
        return _normalize_cpf(_text(value))
    except InvalidCpfError as exc:
        raise ArgumentError(exc.message) from None


def _email(value: object) -> str:
    try:
        return _normalize_email(_text(value))
    except InvalidEmailError as exc:
        raise ArgumentError(exc.message) from None


def _mobile(value: object) -> str:
    try:
        return _normalize_mobile(_text(value))
    except InvalidPhoneError as exc:
        raise ArgumentError(exc.message) from None


def _bank_field(value: object, normalize: str) -> str:
    try:
        result: str = getattr(bank, normalize)(_text(value))
    except bank.InvalidBankDataError as exc:
        raise ArgumentError(exc.message) from None
    return result


NomeCompleto = Annotated[str, BeforeValidator(normalize_name)]
Cpf = Annotated[str, BeforeValidator(_cpf)]
Email = Annotated[str, BeforeValidator(_email)]
Celular = Annotated[str, BeforeValidator(_mobile)]
CodigoBanco = Annotated[str, BeforeValidator(lambda v: _bank_field(v, "normalize_bank_code"))]
Agencia = Annotated[str, BeforeValidator(lambda v: _bank_field(v, "normalize_agency"))]
NumeroConta = Annotated[str, BeforeValidator(lambda v: _bank_field(v, "normalize_account"))]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContaBancariaArgs(_Args):
    banco: CodigoBanco
    agencia: Agencia
    conta: NumeroConta
    tipo_conta: TipoConta


class DocumentoArgs(_Args):
    """An identity document photo or PDF, base64 (standard alphabet) inside the intent."""

    tipo: TipoDocumento
    conteudo_base64: str = Field(repr=False)

    @field_validator("conteudo_base64")
    @classmethod
    def _valid_content(cls, value: str) -> str:
        # Base64 of the largest accepted document, plus padding.
        if len(value) > (MAX_DOCUMENT_BYTES + 2) // 3 * 4:
            mib = MAX_DOCUMENT_BYTES / (1024 * 1024)
            raise ArgumentError(f"Documento grande demais: o limite é de {mib:g} MiB.")
        try:
            content = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ArgumentError("Documento inválido: o conteúdo não está em base64.") from None
        if len(content) > MAX_DOCUMENT_BYTES:
            mib = MAX_DOCUMENT_BYTES / (1024 * 1024)
            raise ArgumentError(f"Documento grande demais: o limite é de {mib:g} MiB.")
        try:
            sniff_mime(content)
        except InvalidDocumentError as exc:
            raise ArgumentError(exc.message) from None
        return value

    def content(self) -> bytes:
        return base64.b64decode(self.conteudo_base64, validate=True)


class ProdutorRegistrarV1(_Args):
    """``produtor.registrar`` v1: a field agent registers a producer (offline onboarding)."""

    nome_completo: NomeCompleto
    cpf: Cpf
    celular: Celular = Field(description="Celular do produtor: recebe o código de ativação.")
    email: Email | None = None
    conta_bancaria: ContaBancariaArgs | None = None
    documentos: tuple[DocumentoArgs, ...] = Field(default=(), max_length=MAX_PRODUCER_DOCUMENTS)


@dataclass(frozen=True)
class Mutation:
    """One intent of the catalogue. ``profiles``: who may send it (others are rejected)."""

    name: str
    version: int
    args: type[BaseModel]
    profiles: frozenset[Perfil]
    description: str


PRODUTOR_REGISTRAR: Final = Mutation(
    name="produtor.registrar",
    version=1,
    args=ProdutorRegistrarV1,
    profiles=frozenset({Perfil.AGENTE_CAMPO}),
    description="Agente de campo cadastra um produtor: dados, conta bancária e documentos.",
)

CATALOGUE: Final[Mapping[tuple[str, int], Mutation]] = MappingProxyType(
    {(m.name, m.version): m for m in (PRODUTOR_REGISTRAR,)}
)


def find(name: str, version: int) -> Mutation | None:
    """The catalogue entry of ``name`` at ``version``, if any."""
    return CATALOGUE.get((name, version))
