"""Sync bookkeeping (revision 0006, docs/sync.md): the change log, devices and intent results.

- ``sync_changes``: one row per (audience, change). Statement-level triggers on every replicated
  table write them in the writing transaction: ``xid`` is that transaction's id
  (``pg_current_xact_id()`` as bigint), ``pos`` a global sequence, ``audience`` one of
  ``user:<uuid>``, ``agent:<uuid>``, ``public``, ``admin``. A row that leaves an audience gets a
  row with ``op = 'D'`` for the audience it left. Pull reads the *current* row at pull time.
- ``sync_devices``: which user a device belongs to and the next ``seq`` it must push (gapless).
- ``sync_intent_results``: ``(device_id, seq) → result`` of every applied or rejected intent,
  written in the intent's own transaction.

Indexes added on specification tables for the snapshot of a user's scope (keyset by ``id``)
are declared at the end of this module.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared_models.db.base import Base
from shared_models.db.notification_tables import Notificacao
from shared_models.db.tables import Investimento, Transacao

INTENT_STATUSES = ("applied", "rejected")


class SyncChange(Base):
    __tablename__ = "sync_changes"
    __table_args__ = (sa.CheckConstraint("op IN ('I', 'U', 'D')", name="op_valida"),)

    audience: Mapped[str] = mapped_column(sa.Text(), primary_key=True)
    xid: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True, autoincrement=False)
    pos: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True, autoincrement=False)
    table_name: Mapped[str] = mapped_column(sa.String(63))
    row_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid())
    op: Mapped[str] = mapped_column(sa.String(1))


class SyncDevice(Base):
    __tablename__ = "sync_devices"
    __table_args__ = (sa.CheckConstraint("next_seq >= 1", name="next_seq_positivo"),)

    device_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), primary_key=True)
    usuario_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("usuarios.id", ondelete="CASCADE"), index=True
    )
    next_seq: Mapped[int] = mapped_column(sa.BigInteger(), server_default=sa.text("1"))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.text("now()")
    )


class SyncIntentResult(Base):
    __tablename__ = "sync_intent_results"
    __table_args__ = (
        sa.UniqueConstraint("device_id", "seq"),
        sa.CheckConstraint("seq >= 1", name="seq_positivo"),
        sa.CheckConstraint("status IN ('applied', 'rejected')", name="status_valido"),
        sa.CheckConstraint(
            "(status = 'rejected') = (code IS NOT NULL)", name="rejeicao_com_codigo"
        ),
        sa.CheckConstraint("digest ~ '^[0-9a-f]{64}$'", name="digest_hex"),
        sa.Index("ix_sync_intent_results_usuario_id", "usuario_id"),
    )

    intent_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), primary_key=True)
    usuario_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("usuarios.id", ondelete="CASCADE"))
    device_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid())
    seq: Mapped[int] = mapped_column(sa.BigInteger())
    name: Mapped[str] = mapped_column(sa.String(100))
    version: Mapped[int] = mapped_column(sa.Integer())
    digest: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(10))
    code: Mapped[str | None] = mapped_column(sa.String(100))
    message: Mapped[str | None] = mapped_column(sa.Text())
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB())
    correlation_id: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.text("now()")
    )


# Keyset paging of a user's scope by id during the initial snapshot (docs/sync.md).
IX_TRANSACOES_CARTEIRA_ID = sa.Index(
    "ix_transacoes_carteira_id_id", Transacao.__table__.c.carteira_id, Transacao.__table__.c.id
)
IX_INVESTIMENTOS_INVESTIDOR_ID = sa.Index(
    "ix_investimentos_investidor_id_id",
    Investimento.__table__.c.investidor_id,
    Investimento.__table__.c.id,
)
IX_INVESTIMENTOS_INVESTIDOR_CPR = sa.Index(
    "ix_investimentos_investidor_id_cpr_id",
    Investimento.__table__.c.investidor_id,
    Investimento.__table__.c.cpr_id,
)
IX_NOTIFICACOES_USUARIO_ID = sa.Index(
    "ix_notificacoes_usuario_id_id",
    Notificacao.__table__.c.usuario_id,
    Notificacao.__table__.c.id,
)
