"""spec schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Every enum, table, column, default, foreign key and unique constraint of the specification,
plus the additions documented in docs/schema.md (CHECK constraints, indexes, append-only ledger).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY_FUNCTION = """
CREATE FUNCTION ledger_eventos_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_eventos is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "usuarios",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("nome_completo", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("senha_hash", sa.String(length=255), nullable=False),
        sa.Column("cpf", sa.String(length=11), nullable=False),
        sa.Column("celular", sa.String(length=15), nullable=False),
        sa.Column(
            "perfil",
            sa.Enum("AGRICULTOR", "INVESTIDOR", "ADMIN", name="perfil_enum"),
            nullable=False,
        ),
        sa.Column(
            "status_kyc",
            sa.Enum(
                "PENDENTE", "VERIFICADO", "REPROVADO", "ANALISE_MANUAL", name="status_kyc_enum"
            ),
            server_default=sa.text("'PENDENTE'"),
            nullable=False,
        ),
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
        sa.CheckConstraint("cpf ~ '^[0-9]{11}$'", name=op.f("usuarios_cpf_digits_check")),
        sa.CheckConstraint(
            "length(btrim(nome_completo)) > 0", name=op.f("usuarios_nome_not_blank_check")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("usuarios_pkey")),
        sa.UniqueConstraint("cpf", name=op.f("usuarios_cpf_key")),
        sa.UniqueConstraint("email", name=op.f("usuarios_email_key")),
    )
    op.create_index(
        "ix_usuarios_perfil_status_kyc", "usuarios", ["perfil", "status_kyc"], unique=False
    )
    op.create_table(
        "carteiras",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("usuario_id", sa.Uuid(), nullable=False),
        sa.Column(
            "saldo_usdc",
            sa.Numeric(precision=18, scale=8),
            server_default=sa.text("0.0"),
            nullable=False,
        ),
        sa.Column(
            "saldo_bloqueado_usdc",
            sa.Numeric(precision=18, scale=8),
            server_default=sa.text("0.0"),
            nullable=False,
        ),
        sa.Column(
            "data_atualizacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "saldo_bloqueado_usdc <= saldo_usdc", name=op.f("carteiras_bloqueado_ate_saldo_check")
        ),
        sa.CheckConstraint(
            "saldo_bloqueado_usdc >= 0", name=op.f("carteiras_bloqueado_nao_negativo_check")
        ),
        sa.CheckConstraint("saldo_usdc >= 0", name=op.f("carteiras_saldo_nao_negativo_check")),
        sa.ForeignKeyConstraint(
            ["usuario_id"],
            ["usuarios.id"],
            name=op.f("carteiras_usuario_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("carteiras_pkey")),
        sa.UniqueConstraint("usuario_id", name=op.f("carteiras_usuario_id_key")),
    )
    op.create_table(
        "contas_bancarias",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("usuario_id", sa.Uuid(), nullable=False),
        sa.Column("banco", sa.String(length=100), nullable=False),
        sa.Column("agencia", sa.String(length=10), nullable=False),
        sa.Column("conta", sa.String(length=20), nullable=False),
        sa.Column(
            "tipo_conta", sa.Enum("CORRENTE", "POUPANCA", name="tipo_conta_enum"), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum("PENDENTE", "VERIFICADA", "INVALIDA", name="status_verificacao_enum"),
            server_default=sa.text("'PENDENTE'"),
            nullable=False,
        ),
        sa.Column("is_principal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["usuario_id"],
            ["usuarios.id"],
            name=op.f("contas_bancarias_usuario_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("contas_bancarias_pkey")),
    )
    op.create_index(
        "ix_contas_bancarias_usuario_id", "contas_bancarias", ["usuario_id"], unique=False
    )
    op.create_index(
        "uq_contas_bancarias_uma_principal",
        "contas_bancarias",
        ["usuario_id"],
        unique=True,
        postgresql_where=sa.text("is_principal"),
    )
    op.create_table(
        "cprs",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("agricultor_id", sa.Uuid(), nullable=False),
        sa.Column("valor_solicitado", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("taxa_juros_anual", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("prazo_meses", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ANALISE",
                "CAPTAÇÃO",
                "FINANCIADO",
                "EM_PAGAMENTO",
                "QUITADO",
                "INADIMPLENTE",
                name="status_cpr_enum",
            ),
            server_default=sa.text("'ANALISE'"),
            nullable=False,
        ),
        sa.Column(
            "score_risco", sa.Enum("A", "B", "C", "D", "E", name="risco_enum"), nullable=False
        ),
        sa.Column("total_cotas", sa.Integer(), nullable=False),
        sa.Column("valor_por_cota_usdc", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("data_emissao", sa.Date(), nullable=True),
        sa.Column("data_vencimento_final", sa.Date(), nullable=True),
        sa.Column(
            "data_criacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "data_vencimento_final IS NULL OR data_emissao IS NULL OR data_vencimento_final >= data_emissao",
            name=op.f("cprs_vencimento_apos_emissao_check"),
        ),
        sa.CheckConstraint("prazo_meses >= 1", name=op.f("cprs_prazo_positivo_check")),
        sa.CheckConstraint("taxa_juros_anual >= 0", name=op.f("cprs_taxa_nao_negativa_check")),
        sa.CheckConstraint("total_cotas >= 1", name=op.f("cprs_cotas_positivas_check")),
        sa.CheckConstraint("valor_por_cota_usdc > 0", name=op.f("cprs_valor_cota_positivo_check")),
        sa.CheckConstraint("valor_solicitado > 0", name=op.f("cprs_valor_positivo_check")),
        sa.ForeignKeyConstraint(
            ["agricultor_id"], ["usuarios.id"], name=op.f("cprs_agricultor_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("cprs_pkey")),
    )
    op.create_index("ix_cprs_agricultor_id", "cprs", ["agricultor_id"], unique=False)
    op.create_index("ix_cprs_status", "cprs", ["status"], unique=False)
    op.create_table(
        "ledger_eventos",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "timestamp", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("tipo_evento", sa.String(length=100), nullable=False),
        sa.Column("ator_id", sa.Uuid(), nullable=True),
        sa.Column("ator_tipo", sa.String(length=50), nullable=True),
        sa.Column("dados_evento", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("hash_anterior", sa.String(length=64), nullable=True),
        sa.Column("hash_atual", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "hash_anterior IS NULL OR hash_anterior ~ '^[0-9a-f]{64}$'",
            name=op.f("ledger_eventos_hash_anterior_hex_check"),
        ),
        sa.CheckConstraint(
            "hash_atual ~ '^[0-9a-f]{64}$'", name=op.f("ledger_eventos_hash_atual_hex_check")
        ),
        sa.CheckConstraint(
            "jsonb_typeof(dados_evento) = 'object'", name=op.f("ledger_eventos_dados_objeto_check")
        ),
        sa.ForeignKeyConstraint(
            ["ator_id"], ["usuarios.id"], name=op.f("ledger_eventos_ator_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("ledger_eventos_pkey")),
        sa.UniqueConstraint("hash_atual", name=op.f("ledger_eventos_hash_atual_key")),
    )
    op.create_index("ix_ledger_eventos_ator_id", "ledger_eventos", ["ator_id"], unique=False)
    op.create_index(
        "ix_ledger_eventos_tipo_evento", "ledger_eventos", ["tipo_evento"], unique=False
    )
    op.create_index(
        "uq_ledger_eventos_genesis",
        "ledger_eventos",
        [sa.literal_column("(hash_anterior IS NULL)")],
        unique=True,
        postgresql_where=sa.text("hash_anterior IS NULL"),
    )
    op.create_index(
        "uq_ledger_eventos_hash_anterior", "ledger_eventos", ["hash_anterior"], unique=True
    )
    op.create_table(
        "investimentos",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("investidor_id", sa.Uuid(), nullable=False),
        sa.Column("cpr_id", sa.Uuid(), nullable=False),
        sa.Column("quantidade_cotas", sa.Integer(), nullable=False),
        sa.Column("valor_cota_compra", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum("ATIVO", "VENDIDO", "FINALIZADO", name="status_investimento_enum"),
            server_default=sa.text("'ATIVO'"),
            nullable=False,
        ),
        sa.Column(
            "data_investimento",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "quantidade_cotas >= 1", name=op.f("investimentos_cotas_positivas_check")
        ),
        sa.CheckConstraint(
            "valor_cota_compra > 0", name=op.f("investimentos_valor_cota_positivo_check")
        ),
        sa.ForeignKeyConstraint(["cpr_id"], ["cprs.id"], name=op.f("investimentos_cpr_id_fkey")),
        sa.ForeignKeyConstraint(
            ["investidor_id"], ["usuarios.id"], name=op.f("investimentos_investidor_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("investimentos_pkey")),
    )
    op.create_index(
        "ix_investimentos_cpr_id_status", "investimentos", ["cpr_id", "status"], unique=False
    )
    op.create_index(
        "ix_investimentos_investidor_id", "investimentos", ["investidor_id"], unique=False
    )
    op.create_table(
        "parcelas",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("cpr_id", sa.Uuid(), nullable=False),
        sa.Column("numero_parcela", sa.Integer(), nullable=False),
        sa.Column("valor_principal", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("valor_juros", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("data_vencimento", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PENDENTE", "PAGA", "ATRASADA", name="status_parcela_enum"),
            server_default=sa.text("'PENDENTE'"),
            nullable=False,
        ),
        sa.Column(
            "valor_multa_paga",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0.0"),
            nullable=True,
        ),
        sa.Column(
            "valor_juros_mora_pago",
            sa.Numeric(precision=18, scale=2),
            server_default=sa.text("0.0"),
            nullable=True,
        ),
        sa.Column("data_pagamento", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'PAGA') = (data_pagamento IS NOT NULL)",
            name=op.f("parcelas_pagamento_coerente_check"),
        ),
        sa.CheckConstraint("numero_parcela >= 1", name=op.f("parcelas_numero_positivo_check")),
        sa.CheckConstraint("valor_juros >= 0", name=op.f("parcelas_juros_nao_negativos_check")),
        sa.CheckConstraint(
            "valor_juros_mora_pago >= 0", name=op.f("parcelas_mora_nao_negativa_check")
        ),
        sa.CheckConstraint("valor_multa_paga >= 0", name=op.f("parcelas_multa_nao_negativa_check")),
        sa.CheckConstraint(
            "valor_principal >= 0", name=op.f("parcelas_principal_nao_negativo_check")
        ),
        sa.ForeignKeyConstraint(
            ["cpr_id"], ["cprs.id"], name=op.f("parcelas_cpr_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("parcelas_pkey")),
        sa.UniqueConstraint(
            "cpr_id", "numero_parcela", name=op.f("parcelas_cpr_id_numero_parcela_key")
        ),
    )
    op.create_index(
        "ix_parcelas_vencimento_em_aberto",
        "parcelas",
        ["data_vencimento"],
        unique=False,
        postgresql_where=sa.text("status <> 'PAGA'"),
    )
    op.create_table(
        "transacoes",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("carteira_id", sa.Uuid(), nullable=False),
        sa.Column("valor", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column(
            "tipo",
            sa.Enum(
                "DEPOSITO_PIX",
                "DEPOSITO_CRYPTO",
                "SAQUE_PIX",
                "SAQUE_CRYPTO",
                "INVESTIMENTO_PRIMARIO",
                "INVESTIMENTO_SECUNDARIO",
                "RECEBIMENTO_PARCELA",
                "VENDA_SECUNDARIO",
                "TAXA_PLATAFORMA",
                name="tipo_transacao_enum",
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("PENDENTE", "CONCLUIDA", "FALHOU", "CANCELADA", name="status_transacao_enum"),
            server_default=sa.text("'PENDENTE'"),
            nullable=False,
        ),
        sa.Column("referencia_externa_id", sa.String(length=255), nullable=True),
        sa.Column("descricao", sa.Text(), nullable=True),
        sa.Column(
            "data_transacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("referencia_id", sa.Uuid(), nullable=True),
        sa.Column("referencia_tipo", sa.String(length=50), nullable=True),
        sa.CheckConstraint(
            "(referencia_id IS NULL) = (referencia_tipo IS NULL)",
            name=op.f("transacoes_referencia_completa_check"),
        ),
        sa.CheckConstraint("valor <> 0", name=op.f("transacoes_valor_nao_nulo_check")),
        sa.ForeignKeyConstraint(
            ["carteira_id"], ["carteiras.id"], name=op.f("transacoes_carteira_id_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("transacoes_pkey")),
    )
    op.create_index(
        "ix_transacoes_carteira_id_data",
        "transacoes",
        ["carteira_id", "data_transacao"],
        unique=False,
    )
    op.create_index(
        "ix_transacoes_referencia", "transacoes", ["referencia_tipo", "referencia_id"], unique=False
    )
    op.create_table(
        "ofertas_secundario",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("investimento_id", sa.Uuid(), nullable=False),
        sa.Column("quantidade_cotas_a_venda", sa.Integer(), nullable=False),
        sa.Column("preco_por_cota_usdc", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum("ABERTA", "VENDIDA", "CANCELADA", name="status_oferta_enum"),
            server_default=sa.text("'ABERTA'"),
            nullable=False,
        ),
        sa.Column(
            "data_criacao",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "preco_por_cota_usdc > 0", name=op.f("ofertas_secundario_preco_positivo_check")
        ),
        sa.CheckConstraint(
            "quantidade_cotas_a_venda >= 1", name=op.f("ofertas_secundario_cotas_positivas_check")
        ),
        sa.ForeignKeyConstraint(
            ["investimento_id"],
            ["investimentos.id"],
            name=op.f("ofertas_secundario_investimento_id_fkey"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("ofertas_secundario_pkey")),
    )
    op.create_index(
        "ix_ofertas_secundario_abertas",
        "ofertas_secundario",
        ["data_criacao"],
        unique=False,
        postgresql_where=sa.text("status = 'ABERTA'"),
    )
    op.create_index(
        "ix_ofertas_secundario_investimento_id",
        "ofertas_secundario",
        ["investimento_id"],
        unique=False,
    )

    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(
        "CREATE TRIGGER ledger_eventos_append_only BEFORE UPDATE OR DELETE ON ledger_eventos"
        " FOR EACH ROW EXECUTE FUNCTION ledger_eventos_append_only()"
    )
    op.execute(
        "CREATE TRIGGER ledger_eventos_no_truncate BEFORE TRUNCATE ON ledger_eventos"
        " FOR EACH STATEMENT EXECUTE FUNCTION ledger_eventos_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_eventos_no_truncate ON ledger_eventos")
    op.execute("DROP TRIGGER IF EXISTS ledger_eventos_append_only ON ledger_eventos")
    op.execute("DROP FUNCTION IF EXISTS ledger_eventos_append_only()")
    op.drop_index("ix_ofertas_secundario_investimento_id", table_name="ofertas_secundario")
    op.drop_index(
        "ix_ofertas_secundario_abertas",
        table_name="ofertas_secundario",
        postgresql_where=sa.text("status = 'ABERTA'"),
    )
    op.drop_table("ofertas_secundario")
    op.drop_index("ix_transacoes_referencia", table_name="transacoes")
    op.drop_index("ix_transacoes_carteira_id_data", table_name="transacoes")
    op.drop_table("transacoes")
    op.drop_index(
        "ix_parcelas_vencimento_em_aberto",
        table_name="parcelas",
        postgresql_where=sa.text("status <> 'PAGA'"),
    )
    op.drop_table("parcelas")
    op.drop_index("ix_investimentos_investidor_id", table_name="investimentos")
    op.drop_index("ix_investimentos_cpr_id_status", table_name="investimentos")
    op.drop_table("investimentos")
    op.drop_index("uq_ledger_eventos_hash_anterior", table_name="ledger_eventos")
    op.drop_index(
        "uq_ledger_eventos_genesis",
        table_name="ledger_eventos",
        postgresql_where=sa.text("hash_anterior IS NULL"),
    )
    op.drop_index("ix_ledger_eventos_tipo_evento", table_name="ledger_eventos")
    op.drop_index("ix_ledger_eventos_ator_id", table_name="ledger_eventos")
    op.drop_table("ledger_eventos")
    op.drop_index("ix_cprs_status", table_name="cprs")
    op.drop_index("ix_cprs_agricultor_id", table_name="cprs")
    op.drop_table("cprs")
    op.drop_index(
        "uq_contas_bancarias_uma_principal",
        table_name="contas_bancarias",
        postgresql_where=sa.text("is_principal"),
    )
    op.drop_index("ix_contas_bancarias_usuario_id", table_name="contas_bancarias")
    op.drop_table("contas_bancarias")
    op.drop_table("carteiras")
    op.drop_index("ix_usuarios_perfil_status_kyc", table_name="usuarios")
    op.drop_table("usuarios")
    op.execute("DROP TYPE IF EXISTS perfil_enum")
    op.execute("DROP TYPE IF EXISTS status_kyc_enum")
    op.execute("DROP TYPE IF EXISTS tipo_transacao_enum")
    op.execute("DROP TYPE IF EXISTS status_transacao_enum")
    op.execute("DROP TYPE IF EXISTS status_cpr_enum")
    op.execute("DROP TYPE IF EXISTS risco_enum")
    op.execute("DROP TYPE IF EXISTS status_parcela_enum")
    op.execute("DROP TYPE IF EXISTS status_investimento_enum")
    op.execute("DROP TYPE IF EXISTS status_oferta_enum")
    op.execute("DROP TYPE IF EXISTS tipo_conta_enum")
    op.execute("DROP TYPE IF EXISTS status_verificacao_enum")
