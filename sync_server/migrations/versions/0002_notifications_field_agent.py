"""Sandbox notifications and the field-agent profile.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Extension of the spec's perfil_enum (docs/schema.md): field agents onboard producers.
    op.execute("ALTER TYPE perfil_enum ADD VALUE IF NOT EXISTS 'AGENTE_CAMPO'")
    op.create_table(
        "notificacoes",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("usuario_id", sa.Uuid(), nullable=True),
        sa.Column("canal", sa.Enum("EMAIL", "SMS", name="canal_notificacao_enum"), nullable=False),
        sa.Column("destino", sa.String(length=255), nullable=False),
        sa.Column("tipo", sa.String(length=50), nullable=False),
        sa.Column("assunto", sa.String(length=255), nullable=False),
        sa.Column("corpo", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("ENVIADA", "FALHOU", name="status_notificacao_enum"),
            server_default=sa.text("'ENVIADA'"),
            nullable=False,
        ),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("correlation_id", sa.String(length=128), nullable=True),
        sa.Column(
            "data_criacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["usuario_id"],
            ["usuarios.id"],
            name=op.f("notificacoes_usuario_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("notificacoes_pkey")),
        sa.UniqueConstraint("job_id", name=op.f("notificacoes_job_id_key")),
    )
    op.create_index("ix_notificacoes_destino", "notificacoes", ["destino"], unique=False)
    op.create_index(
        "ix_notificacoes_usuario_id_data",
        "notificacoes",
        ["usuario_id", "data_criacao"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_notificacoes_usuario_id_data", table_name="notificacoes")
    op.drop_index("ix_notificacoes_destino", table_name="notificacoes")
    op.drop_table("notificacoes")
    op.execute("DROP TYPE IF EXISTS status_notificacao_enum")
    op.execute("DROP TYPE IF EXISTS canal_notificacao_enum")
    # PostgreSQL cannot drop an enum value; AGENTE_CAMPO stays.
