"""KYC identity documents: accepted types, content sniffing and decision reason codes.

A document's type is decided by its *content* (magic bytes and a little structure), never by its
file name or the Content-Type the client declared: a renamed executable is refused.
Accepted: JPEG, PNG and PDF. PDFs that carry active content (JavaScript, launch actions, embedded
files) are refused too, since admins open them to decide.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MIME_JPEG",
    "MIME_PDF",
    "MIME_PNG",
    "InvalidDocumentError",
    "MotivoKyc",
    "TipoDocumento",
    "sniff_mime",
]

MAX_DOCUMENT_BYTES: Final = 5 * 1024 * 1024
MIME_JPEG: Final = "image/jpeg"
MIME_PNG: Final = "image/png"
MIME_PDF: Final = "application/pdf"

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PDF_HEADER: Final = re.compile(rb"%PDF-[12]\.[0-9]")
_PDF_ACTIVE: Final = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia)(?![A-Za-z])")


class TipoDocumento(StrEnum):
    """Kinds of identity document (PostgreSQL ``tipo_documento_enum``)."""

    RG = "RG"
    CNH = "CNH"
    CPF = "CPF"
    COMPROVANTE_RESIDENCIA = "COMPROVANTE_RESIDENCIA"
    SELFIE = "SELFIE"
    OUTRO = "OUTRO"


class MotivoKyc(StrEnum):
    """Reason codes of a KYC decision. Only the code enters the ledger; the free text does not."""

    DOCUMENTOS_CONFERIDOS = "DOCUMENTOS_CONFERIDOS"
    DOCUMENTO_ILEGIVEL = "DOCUMENTO_ILEGIVEL"
    DOCUMENTO_VENCIDO = "DOCUMENTO_VENCIDO"
    DADOS_DIVERGENTES = "DADOS_DIVERGENTES"
    SELFIE_NAO_CONFERE = "SELFIE_NAO_CONFERE"
    DOCUMENTACAO_INCOMPLETA = "DOCUMENTACAO_INCOMPLETA"
    SUSPEITA_DE_FRAUDE = "SUSPEITA_DE_FRAUDE"
    OUTRO = "OUTRO"


class InvalidDocumentError(ValueError):
    """A refused upload. ``code`` is machine-readable, ``message`` Portuguese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def sniff_mime(content: bytes) -> str:
    """The MIME type of ``content`` judged by its bytes; raises :class:`InvalidDocumentError`."""
    if not content:
        raise InvalidDocumentError("documento_vazio", "O arquivo enviado está vazio.")
    if content.startswith(b"\xff\xd8\xff") and len(content) > 4:
        return MIME_JPEG
    if content.startswith(_PNG_SIGNATURE) and content[12:16] == b"IHDR":
        return MIME_PNG
    if _PDF_HEADER.match(content):
        if _PDF_ACTIVE.search(content):
            raise InvalidDocumentError(
                "documento_pdf_ativo",
                "PDF recusado: o arquivo contém conteúdo ativo (scripts, ações ou anexos).",
            )
        return MIME_PDF
    raise InvalidDocumentError(
        "documento_tipo_invalido",
        "Tipo de arquivo não aceito: envie uma imagem JPEG ou PNG, ou um PDF.",
    )
