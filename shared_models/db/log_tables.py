"""Log storage and SQL alerts (docs/observability.md).

``logs`` is partitioned by day (``PARTITION BY RANGE ("timestamp")``); its partitions live in the
``logs_partitions`` schema, which the models do not describe (they are created and dropped by the
partition maintenance, never by migrations). Columns follow the specification's log schema.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared_models.db.base import Base

PARTITIONS_SCHEMA = "logs_partitions"
ESTADO_DISPARADO = "DISPARADO"
ESTADO_RESOLVIDO = "RESOLVIDO"

_NOW = sa.text("now()")
_EMPTY_OBJECT = sa.text("'{}'::jsonb")


class LogRegistro(Base):
    """One log line as the JSON pipeline wrote it (already masked)."""

    __tablename__ = "logs"
    __table_args__ = (
        sa.Index("ix_logs_level_service_timestamp", "level", "service", "timestamp"),
        sa.Index("ix_logs_service_timestamp", "service", "timestamp"),
        sa.Index("ix_logs_correlation_id", "correlation_id"),
        sa.Index(
            "ix_logs_user_id_timestamp",
            "user_id",
            "timestamp",
            postgresql_where=sa.text("user_id IS NOT NULL"),
        ),
        {"postgresql_partition_by": 'RANGE ("timestamp")'},
    )

    # The primary key must contain the partition key; (timestamp, id) also serves time ranges
    # and keyset paging.
    timestamp: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), primary_key=True)
    id: Mapped[int] = mapped_column(sa.BigInteger(), sa.Identity(), primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(10))
    service: Mapped[str] = mapped_column(sa.String(100))
    correlation_id: Mapped[str | None] = mapped_column(sa.String(128))
    user_id: Mapped[str | None] = mapped_column(sa.String(64))
    message: Mapped[str] = mapped_column(sa.Text())
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB(), server_default=_EMPTY_OBJECT)


class LogRestaurado(Base):
    """Lines of archived days restored for querying (``restore_day``); not part of retention."""

    __tablename__ = "logs_restaurados"
    __table_args__ = (
        sa.Index("ix_logs_restaurados_timestamp", "timestamp"),
        sa.Index("ix_logs_restaurados_correlation_id", "correlation_id"),
        sa.Index("ix_logs_restaurados_dia", "dia"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True, autoincrement=False)
    dia: Mapped[date] = mapped_column(sa.Date())
    timestamp: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    level: Mapped[str] = mapped_column(sa.String(10))
    service: Mapped[str] = mapped_column(sa.String(100))
    correlation_id: Mapped[str | None] = mapped_column(sa.String(128))
    user_id: Mapped[str | None] = mapped_column(sa.String(64))
    message: Mapped[str] = mapped_column(sa.Text())
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB(), server_default=_EMPTY_OBJECT)
    restaurado_em: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_NOW)


class AlertaRegra(Base):
    """An SQL alert rule: a single SELECT returning ``valor`` (and optionally ``chave``) rows."""

    __tablename__ = "alerta_regras"
    __table_args__ = (
        sa.CheckConstraint("janela_minutos BETWEEN 1 AND 10080", name="janela_valida"),
        sa.CheckConstraint("length(btrim(nome)) > 0", name="nome_not_blank"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")
    )
    nome: Mapped[str] = mapped_column(sa.String(100), unique=True)
    descricao: Mapped[str] = mapped_column(sa.Text(), server_default=sa.text("''"))
    consulta: Mapped[str] = mapped_column(sa.Text())
    limiar: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4))
    janela_minutos: Mapped[int] = mapped_column(sa.Integer())
    habilitada: Mapped[bool] = mapped_column(sa.Boolean(), server_default=sa.text("true"))
    servico: Mapped[str | None] = mapped_column(sa.String(100))
    embutida: Mapped[bool] = mapped_column(sa.Boolean(), server_default=sa.text("false"))
    ultima_avaliacao_em: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    ultimo_erro: Mapped[str | None] = mapped_column(sa.Text())
    data_criacao: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=_NOW)
    data_atualizacao: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=_NOW
    )


class AlertaEvento(Base):
    """One firing of a rule for one key; at most one ``DISPARADO`` per (rule, key) at a time."""

    __tablename__ = "alerta_eventos"
    __table_args__ = (
        sa.CheckConstraint(
            f"estado IN ('{ESTADO_DISPARADO}', '{ESTADO_RESOLVIDO}')", name="estado_valido"
        ),
        sa.CheckConstraint(
            f"(estado = '{ESTADO_RESOLVIDO}') = (resolvido_em IS NOT NULL)",
            name="resolucao_coerente",
        ),
        sa.Index(
            "uq_alerta_eventos_disparado",
            "regra_id",
            "chave",
            unique=True,
            postgresql_where=sa.text(f"estado = '{ESTADO_DISPARADO}'"),
        ),
        sa.Index("ix_alerta_eventos_disparado_em", "disparado_em"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True, autoincrement=True)
    regra_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("alerta_regras.id", ondelete="CASCADE")
    )
    chave: Mapped[str] = mapped_column(sa.String(200), server_default=sa.text("''"))
    estado: Mapped[str] = mapped_column(sa.String(12))
    valor: Mapped[Decimal] = mapped_column(sa.Numeric())
    limiar: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4))
    mensagem: Mapped[str] = mapped_column(sa.Text())
    disparado_em: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    resolvido_em: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
