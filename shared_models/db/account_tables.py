"""Accounts (revision 0003_accounts): KYC documents and decisions, account activation codes.

See docs/schema.md, "Revision 0003_accounts".
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared_models import enums
from shared_models.db.base import Base, pg_enum
from shared_models.db.tables import STATUS_KYC
from shared_models.kyc_documents import TipoDocumento

TIPO_DOCUMENTO = pg_enum(TipoDocumento, "tipo_documento_enum")

_NOW = sa.text("now()")
_UUID_DEFAULT = sa.text("gen_random_uuid()")


class DocumentoKyc(Base):
    """An identity document uploaded for KYC. The file lives here (bytea), checked by content.

    ``conteudo`` is erased (NULL) and ``excluido_em`` set when the owner's data is anonymised;
    the metadata stays as an audit trail of what was verified.
    """

    __tablename__ = "documentos_kyc"
    __table_args__ = (
        sa.CheckConstraint(
            "mime IN ('image/jpeg', 'image/png', 'application/pdf')", name="mime_aceito"
        ),
        sa.CheckConstraint("tamanho_bytes > 0", name="tamanho_positivo"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        sa.CheckConstraint(
            "(conteudo IS NULL) = (excluido_em IS NOT NULL)", name="conteudo_coerente"
        ),
        sa.CheckConstraint(
            "conteudo IS NULL OR octet_length(conteudo) = tamanho_bytes", name="tamanho_coerente"
        ),
        sa.Index("ix_documentos_kyc_usuario_id_data", "usuario_id", "data_criacao"),
        # The same file uploaded twice for the same user is the same document (idempotent retry).
        sa.Index(
            "uq_documentos_kyc_usuario_sha256",
            "usuario_id",
            "sha256",
            unique=True,
            postgresql_where=sa.text("excluido_em IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), primary_key=True, server_default=_UUID_DEFAULT)
    usuario_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("usuarios.id", ondelete="CASCADE"))
    tipo: Mapped[TipoDocumento] = mapped_column(TIPO_DOCUMENTO)
    mime: Mapped[str] = mapped_column(sa.String(50))
    tamanho_bytes: Mapped[int] = mapped_column(sa.Integer())
    sha256: Mapped[str] = mapped_column(sa.String(64))
    conteudo: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    enviado_por: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("usuarios.id", ondelete="SET NULL")
    )
    data_criacao: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_NOW)
    excluido_em: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class KycDecisao(Base):
    """An admin's KYC decision. ``motivo`` (free text, may hold personal data) is erased on
    anonymisation; ``motivo_codigo`` is what the ledger event carries."""

    __tablename__ = "kyc_decisoes"
    __table_args__ = (
        sa.CheckConstraint("decisao IN ('VERIFICADO', 'REPROVADO')", name="decisao_final"),
        sa.CheckConstraint("length(btrim(motivo_codigo)) > 0", name="motivo_codigo_not_blank"),
        sa.Index("ix_kyc_decisoes_usuario_id_data", "usuario_id", "data_criacao"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), primary_key=True, server_default=_UUID_DEFAULT)
    usuario_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("usuarios.id", ondelete="CASCADE"))
    admin_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("usuarios.id", ondelete="SET NULL")
    )
    decisao: Mapped[enums.StatusKyc] = mapped_column(STATUS_KYC)
    motivo_codigo: Mapped[str] = mapped_column(sa.String(50))
    motivo: Mapped[str | None] = mapped_column(sa.Text())
    ledger_evento_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_eventos.id"))
    data_criacao: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_NOW)


class AtivacaoConta(Base):
    """A pending activation of an account created by someone else (a producer onboarded by a
    field agent, an agent created by an admin): the owner proves the code sent by SMS and sets
    their own password. Until then ``usuarios.senha_hash`` holds an unusable marker. Failed
    attempts are counted in Redis (``ratelimit:ativacao_conta:{usuario_id}``) so that a refused
    attempt, whose transaction rolls back, still counts."""

    __tablename__ = "ativacoes_conta"
    __table_args__ = (sa.CheckConstraint("expira_em > data_criacao", name="expira_apos_criacao"),)

    usuario_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("usuarios.id", ondelete="CASCADE"), primary_key=True
    )
    codigo_hash: Mapped[str] = mapped_column(sa.String(255))
    expira_em: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    data_criacao: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_NOW)
