"""Accounts: KYC documents and decisions, field agents' producers, activation, LGPD, bank accounts.

Revision ID: 0003_accounts
Revises: 0002
Create Date: 2026-11-28

Additions documented in docs/schema.md ("Revision 0003_accounts").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_accounts"
down_revision = "0002"
branch_labels = None
depends_on = None

TIPO_DOCUMENTO = sa.Enum(
    "RG",
    "CNH",
    "CPF",
    "COMPROVANTE_RESIDENCIA",
    "SELFIE",
    "OUTRO",
    name="tipo_documento_enum",
)


def upgrade() -> None:
    # usuarios: the field agent who onboarded a producer; anonymisation time (LGPD).
    op.add_column("usuarios", sa.Column("agente_id", sa.Uuid(), nullable=True))
    op.add_column(
        "usuarios", sa.Column("anonimizado_em", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_foreign_key(
        op.f("usuarios_agente_id_fkey"),
        "usuarios",
        "usuarios",
        ["agente_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_usuarios_agente_id"), "usuarios", ["agente_id"], unique=False)

    # contas_bancarias: creation time, who registered it, normalised formats.
    op.add_column(
        "contas_bancarias",
        sa.Column(
            "data_criacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.add_column("contas_bancarias", sa.Column("criado_por", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("contas_bancarias_criado_por_fkey"),
        "contas_bancarias",
        "usuarios",
        ["criado_por"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        op.f("contas_bancarias_banco_compe_check"), "contas_bancarias", "banco ~ '^[0-9]{3}$'"
    )
    op.create_check_constraint(
        op.f("contas_bancarias_agencia_formato_check"),
        "contas_bancarias",
        "agencia ~ '^[0-9]{4}(-[0-9X])?$'",
    )
    op.create_check_constraint(
        op.f("contas_bancarias_conta_formato_check"),
        "contas_bancarias",
        "conta ~ '^[0-9]{1,12}-[0-9X]$'",
    )

    op.create_table(
        "documentos_kyc",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("usuario_id", sa.Uuid(), nullable=False),
        sa.Column("tipo", TIPO_DOCUMENTO, nullable=False),
        sa.Column("mime", sa.String(length=50), nullable=False),
        sa.Column("tamanho_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("conteudo", sa.LargeBinary(), nullable=True),
        sa.Column("enviado_por", sa.Uuid(), nullable=True),
        sa.Column(
            "data_criacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("excluido_em", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "mime IN ('image/jpeg', 'image/png', 'application/pdf')",
            name=op.f("documentos_kyc_mime_aceito_check"),
        ),
        sa.CheckConstraint("tamanho_bytes > 0", name=op.f("documentos_kyc_tamanho_positivo_check")),
        sa.CheckConstraint(
            "sha256 ~ '^[0-9a-f]{64}$'", name=op.f("documentos_kyc_sha256_hex_check")
        ),
        sa.CheckConstraint(
            "(conteudo IS NULL) = (excluido_em IS NOT NULL)",
            name=op.f("documentos_kyc_conteudo_coerente_check"),
        ),
        sa.CheckConstraint(
            "conteudo IS NULL OR octet_length(conteudo) = tamanho_bytes",
            name=op.f("documentos_kyc_tamanho_coerente_check"),
        ),
        sa.ForeignKeyConstraint(
            ["usuario_id"],
            ["usuarios.id"],
            name=op.f("documentos_kyc_usuario_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enviado_por"],
            ["usuarios.id"],
            name=op.f("documentos_kyc_enviado_por_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("documentos_kyc_pkey")),
    )
    op.create_index(
        "ix_documentos_kyc_usuario_id_data",
        "documentos_kyc",
        ["usuario_id", "data_criacao"],
        unique=False,
    )
    op.create_index(
        "uq_documentos_kyc_usuario_sha256",
        "documentos_kyc",
        ["usuario_id", "sha256"],
        unique=True,
        postgresql_where=sa.text("excluido_em IS NULL"),
    )

    op.create_table(
        "kyc_decisoes",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("usuario_id", sa.Uuid(), nullable=False),
        sa.Column("admin_id", sa.Uuid(), nullable=True),
        sa.Column(
            "decisao",
            postgresql.ENUM(
                "PENDENTE",
                "VERIFICADO",
                "REPROVADO",
                "ANALISE_MANUAL",
                name="status_kyc_enum",
                create_type=False,
            ),
            nullable=False,
        ),
        sa.Column("motivo_codigo", sa.String(length=50), nullable=False),
        sa.Column("motivo", sa.Text(), nullable=True),
        sa.Column("ledger_evento_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "data_criacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "decisao IN ('VERIFICADO', 'REPROVADO')",
            name=op.f("kyc_decisoes_decisao_final_check"),
        ),
        sa.CheckConstraint(
            "length(btrim(motivo_codigo)) > 0",
            name=op.f("kyc_decisoes_motivo_codigo_not_blank_check"),
        ),
        sa.ForeignKeyConstraint(
            ["usuario_id"],
            ["usuarios.id"],
            name=op.f("kyc_decisoes_usuario_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["admin_id"],
            ["usuarios.id"],
            name=op.f("kyc_decisoes_admin_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ledger_evento_id"],
            ["ledger_eventos.id"],
            name=op.f("kyc_decisoes_ledger_evento_id_fkey"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("kyc_decisoes_pkey")),
    )
    op.create_index(
        "ix_kyc_decisoes_usuario_id_data",
        "kyc_decisoes",
        ["usuario_id", "data_criacao"],
        unique=False,
    )

    op.create_table(
        "ativacoes_conta",
        sa.Column("usuario_id", sa.Uuid(), nullable=False),
        sa.Column("codigo_hash", sa.String(length=255), nullable=False),
        sa.Column("expira_em", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "data_criacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "expira_em > data_criacao", name=op.f("ativacoes_conta_expira_apos_criacao_check")
        ),
        sa.ForeignKeyConstraint(
            ["usuario_id"],
            ["usuarios.id"],
            name=op.f("ativacoes_conta_usuario_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("usuario_id", name=op.f("ativacoes_conta_pkey")),
    )


def downgrade() -> None:
    op.drop_table("ativacoes_conta")
    op.drop_index("ix_kyc_decisoes_usuario_id_data", table_name="kyc_decisoes")
    op.drop_table("kyc_decisoes")
    op.drop_index("uq_documentos_kyc_usuario_sha256", table_name="documentos_kyc")
    op.drop_index("ix_documentos_kyc_usuario_id_data", table_name="documentos_kyc")
    op.drop_table("documentos_kyc")
    op.execute("DROP TYPE IF EXISTS tipo_documento_enum")
    op.drop_constraint(
        op.f("contas_bancarias_conta_formato_check"), "contas_bancarias", type_="check"
    )
    op.drop_constraint(
        op.f("contas_bancarias_agencia_formato_check"), "contas_bancarias", type_="check"
    )
    op.drop_constraint(
        op.f("contas_bancarias_banco_compe_check"), "contas_bancarias", type_="check"
    )
    op.drop_constraint(
        op.f("contas_bancarias_criado_por_fkey"), "contas_bancarias", type_="foreignkey"
    )
    op.drop_column("contas_bancarias", "criado_por")
    op.drop_column("contas_bancarias", "data_criacao")
    op.drop_index(op.f("ix_usuarios_agente_id"), table_name="usuarios")
    op.drop_constraint(op.f("usuarios_agente_id_fkey"), "usuarios", type_="foreignkey")
    op.drop_column("usuarios", "anonimizado_em")
    op.drop_column("usuarios", "agente_id")
