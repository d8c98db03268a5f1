"""Log storage partitioned by day, restored-log table, SQL alert rules and alert events.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-28

``logs`` is declared ``PARTITION BY RANGE ("timestamp")``; its partitions (one per UTC day, plus
a DEFAULT partition so an insert never fails) live in the ``logs_partitions`` schema, outside the
models. ``logs_criar_particao(dia)`` creates one day's partition, moving any rows of that day that
had landed in the DEFAULT partition. Two built-in alert rules are seeded (docs/observability.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

CREATE_PARTITION_FUNCTION = r"""
CREATE FUNCTION logs_criar_particao(dia date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    nome text := 'logs_p' || to_char(dia, 'YYYYMMDD');
    inicio timestamptz := dia::timestamp AT TIME ZONE 'UTC';
    fim timestamptz := (dia + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
    -- One creator at a time, across every server and worker process.
    PERFORM pg_advisory_xact_lock(hashtext('peerseed.logs_partitions'));
    IF to_regclass(format('logs_partitions.%I', nome)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format(
        'CREATE TABLE logs_partitions.%I (LIKE public.logs INCLUDING DEFAULTS)', nome);
    -- Rows of this day that arrived before the partition existed sit in the DEFAULT partition:
    -- move them, or ATTACH would refuse.
    EXECUTE format(
        'WITH movidos AS (DELETE FROM logs_partitions.logs_default'
        ' WHERE "timestamp" >= %L AND "timestamp" < %L RETURNING *)'
        ' INSERT INTO logs_partitions.%I SELECT * FROM movidos', inicio, fim, nome);
    EXECUTE format(
        'ALTER TABLE public.logs ATTACH PARTITION logs_partitions.%I FOR VALUES FROM (%L) TO (%L)',
        nome, inicio, fim);
    RETURN true;
END;
$$
"""

_SERVICE_FILTER = "AND (CAST(:servico AS text) IS NULL OR service = CAST(:servico AS text))"

BUILTIN_RULES = [
    {
        "nome": "erros_por_servico",
        "descricao": "Mais de 10 linhas ERROR de um mesmo serviço em 5 minutos.",
        "consulta": (
            "SELECT service AS chave, count(*) AS valor FROM logs"  # noqa: S608 - constant SQL
            ' WHERE level = \'ERROR\' AND "timestamp" >= :inicio AND "timestamp" < :fim '
            + _SERVICE_FILTER
            + " GROUP BY service"
        ),
        "limiar": 10,
        "janela_minutos": 5,
    },
    {
        "nome": "p95_tempo_processamento",
        "descricao": (
            "p95 de payload.tempo_de_processamento_ms de um serviço acima de 1000 ms em 5 minutos."
        ),
        "consulta": (
            "SELECT service AS chave, percentile_cont(0.95) WITHIN GROUP"  # noqa: S608
            " (ORDER BY (payload->>'tempo_de_processamento_ms')::numeric) AS valor FROM logs"
            " WHERE jsonb_typeof(payload->'tempo_de_processamento_ms') = 'number'"
            ' AND "timestamp" >= :inicio AND "timestamp" < :fim '
            + _SERVICE_FILTER
            + " GROUP BY service"
        ),
        "limiar": 1000,
        "janela_minutos": 5,
    },
]


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS logs_partitions")
    op.create_table(
        "logs",
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("correlation_id", sa.String(length=128), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("timestamp", "id", name=op.f("logs_pkey")),
        postgresql_partition_by='RANGE ("timestamp")',
    )
    op.create_index("ix_logs_correlation_id", "logs", ["correlation_id"], unique=False)
    op.create_index(
        "ix_logs_level_service_timestamp", "logs", ["level", "service", "timestamp"], unique=False
    )
    op.create_index("ix_logs_service_timestamp", "logs", ["service", "timestamp"], unique=False)
    op.create_index(
        "ix_logs_user_id_timestamp",
        "logs",
        ["user_id", "timestamp"],
        unique=False,
        postgresql_where=sa.text("user_id IS NOT NULL"),
    )
    op.execute("CREATE TABLE logs_partitions.logs_default PARTITION OF logs DEFAULT")
    op.execute(CREATE_PARTITION_FUNCTION)
    # Today and the next days; the maintenance job keeps creating them ahead.
    op.execute(
        "SELECT logs_criar_particao(d::date) FROM generate_series("
        "(now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date + 3,"
        " interval '1 day') AS d"
    )

    op.create_table(
        "logs_restaurados",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("dia", sa.Date(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("correlation_id", sa.String(length=128), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "restaurado_em",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("logs_restaurados_pkey")),
    )
    op.create_index(
        "ix_logs_restaurados_correlation_id", "logs_restaurados", ["correlation_id"], unique=False
    )
    op.create_index("ix_logs_restaurados_dia", "logs_restaurados", ["dia"], unique=False)
    op.create_index(
        "ix_logs_restaurados_timestamp", "logs_restaurados", ["timestamp"], unique=False
    )

    regras = op.create_table(
        "alerta_regras",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("nome", sa.String(length=100), nullable=False),
        sa.Column("descricao", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("consulta", sa.Text(), nullable=False),
        sa.Column("limiar", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("janela_minutos", sa.Integer(), nullable=False),
        sa.Column("habilitada", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("servico", sa.String(length=100), nullable=True),
        sa.Column("embutida", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("ultima_avaliacao_em", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ultimo_erro", sa.Text(), nullable=True),
        sa.Column(
            "data_criacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "data_atualizacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "janela_minutos BETWEEN 1 AND 10080", name=op.f("alerta_regras_janela_valida_check")
        ),
        sa.CheckConstraint(
            "length(btrim(nome)) > 0", name=op.f("alerta_regras_nome_not_blank_check")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("alerta_regras_pkey")),
        sa.UniqueConstraint("nome", name=op.f("alerta_regras_nome_key")),
    )
    op.create_table(
        "alerta_eventos",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("regra_id", sa.Uuid(), nullable=False),
        sa.Column("chave", sa.String(length=200), server_default=sa.text("''"), nullable=False),
        sa.Column("estado", sa.String(length=12), nullable=False),
        sa.Column("valor", sa.Numeric(), nullable=False),
        sa.Column("limiar", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("mensagem", sa.Text(), nullable=False),
        sa.Column("disparado_em", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolvido_em", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "estado IN ('DISPARADO', 'RESOLVIDO')", name=op.f("alerta_eventos_estado_valido_check")
        ),
        sa.CheckConstraint(
            "(estado = 'RESOLVIDO') = (resolvido_em IS NOT NULL)",
            name=op.f("alerta_eventos_resolucao_coerente_check"),
        ),
        sa.ForeignKeyConstraint(
            ["regra_id"],
            ["alerta_regras.id"],
            name=op.f("alerta_eventos_regra_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("alerta_eventos_pkey")),
    )
    op.create_index(
        "ix_alerta_eventos_disparado_em", "alerta_eventos", ["disparado_em"], unique=False
    )
    op.create_index(
        "uq_alerta_eventos_disparado",
        "alerta_eventos",
        ["regra_id", "chave"],
        unique=True,
        postgresql_where=sa.text("estado = 'DISPARADO'"),
    )
    op.bulk_insert(regras, [{**rule, "embutida": True} for rule in BUILTIN_RULES])


def downgrade() -> None:
    op.drop_table("alerta_eventos")
    op.drop_table("alerta_regras")
    op.drop_table("logs_restaurados")
    op.execute("DROP FUNCTION IF EXISTS logs_criar_particao(date)")
    op.drop_table("logs")
    op.execute("DROP SCHEMA IF EXISTS logs_partitions CASCADE")
