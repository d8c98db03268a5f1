"""Messages recorded by the sandbox notification sender (no real SMS or e-mail leaves)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared_models import enums
from shared_models.db.base import Base, pg_enum

CANAL = pg_enum(enums.CanalNotificacao, "canal_notificacao_enum")
STATUS_NOTIFICACAO = pg_enum(enums.StatusNotificacao, "status_notificacao_enum")


class Notificacao(Base):
    __tablename__ = "notificacoes"
    __table_args__ = (
        sa.Index("ix_notificacoes_usuario_id_data", "usuario_id", "data_criacao"),
        sa.Index("ix_notificacoes_destino", "destino"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")
    )
    usuario_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("usuarios.id", ondelete="CASCADE")
    )
    canal: Mapped[enums.CanalNotificacao] = mapped_column(CANAL)
    destino: Mapped[str] = mapped_column(sa.String(255))
    tipo: Mapped[str] = mapped_column(sa.String(50))
    assunto: Mapped[str] = mapped_column(sa.String(255))
    corpo: Mapped[str] = mapped_column(sa.Text())
    status: Mapped[enums.StatusNotificacao] = mapped_column(
        STATUS_NOTIFICACAO, server_default=sa.text("'ENVIADA'")
    )
    job_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    correlation_id: Mapped[str | None] = mapped_column(sa.String(128))
    data_criacao: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.text("now()")
    )
