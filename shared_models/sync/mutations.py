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
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared_models.enums import Perfil, TipoConta
from shared_models.fields import (
    Agencia,
    Celular,
    CodigoBanco,
    Cpf,
    Email,
    FieldError,
    NomeCompleto,
    NumeroConta,
)
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

MAX_PRODUCER_DOCUMENTS: Final = 6

# The catalogue's refusals are the shared field errors (one class, one set of rules).
ArgumentError = FieldError


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
