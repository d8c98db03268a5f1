"""The models and the migrations describe the same schema, and the schema holds the spec."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from shared_models.db import Base
from sync_server import migrate

SPEC_ENUMS = {
    "perfil_enum": ["AGRICULTOR", "INVESTIDOR", "ADMIN"],
    "status_kyc_enum": ["PENDENTE", "VERIFICADO", "REPROVADO", "ANALISE_MANUAL"],
    "tipo_transacao_enum": [
        "DEPOSITO_PIX",
        "DEPOSITO_CRYPTO",
        "SAQUE_PIX",
        "SAQUE_CRYPTO",
        "INVESTIMENTO_PRIMARIO",
        "INVESTIMENTO_SECUNDARIO",
        "RECEBIMENTO_PARCELA",
        "VENDA_SECUNDARIO",
        "TAXA_PLATAFORMA",
    ],
    "status_transacao_enum": ["PENDENTE", "CONCLUIDA", "FALHOU", "CANCELADA"],
    "status_cpr_enum": [
        "ANALISE",
        "CAPTAÇÃO",
        "FINANCIADO",
        "EM_PAGAMENTO",
        "QUITADO",
        "INADIMPLENTE",
    ],
    "risco_enum": ["A", "B", "C", "D", "E"],
    "status_parcela_enum": ["PENDENTE", "PAGA", "ATRASADA"],
    "status_investimento_enum": ["ATIVO", "VENDIDO", "FINALIZADO"],
    "status_oferta_enum": ["ABERTA", "VENDIDA", "CANCELADA"],
    "tipo_conta_enum": ["CORRENTE", "POUPANCA"],
    "status_verificacao_enum": ["PENDENTE", "VERIFICADA", "INVALIDA"],
}

# (table, column) -> (data type as information_schema spells it, nullable, default contains)
SPEC_COLUMNS = {
    ("usuarios", "id"): ("uuid", "NO", "gen_random_uuid()"),
    ("usuarios", "email"): ("character varying(255)", "NO", None),
    ("usuarios", "cpf"): ("character varying(11)", "NO", None),
    ("usuarios", "celular"): ("character varying(15)", "NO", None),
    ("usuarios", "status_kyc"): ("status_kyc_enum", "NO", "'PENDENTE'"),
    ("carteiras", "saldo_usdc"): ("numeric(18,8)", "NO", "0.0"),
    ("carteiras", "saldo_bloqueado_usdc"): ("numeric(18,8)", "NO", "0.0"),
    ("cprs", "valor_solicitado"): ("numeric(18,2)", "NO", None),
    ("cprs", "taxa_juros_anual"): ("numeric(5,2)", "NO", None),
    ("cprs", "status"): ("status_cpr_enum", "NO", "'ANALISE'"),
    ("cprs", "data_emissao"): ("date", "YES", None),
    ("parcelas", "valor_multa_paga"): ("numeric(18,2)", "YES", "0.0"),
    ("parcelas", "data_pagamento"): ("timestamp with time zone", "YES", None),
    ("investimentos", "valor_cota_compra"): ("numeric(18,8)", "NO", None),
    ("transacoes", "valor"): ("numeric(18,8)", "NO", None),
    ("transacoes", "referencia_tipo"): ("character varying(50)", "YES", None),
    ("ofertas_secundario", "preco_por_cota_usdc"): ("numeric(18,8)", "NO", None),
    ("contas_bancarias", "is_principal"): ("boolean", "NO", "false"),
    ("ledger_eventos", "id"): ("bigint", "NO", "nextval("),
    ("ledger_eventos", "timestamp"): ("timestamp with time zone", "NO", "now()"),
    ("ledger_eventos", "dados_evento"): ("jsonb", "NO", None),
    ("ledger_eventos", "hash_atual"): ("character varying(64)", "NO", None),
}


def test_models_match_migrations(db_conn: sa.Connection) -> None:
    context = MigrationContext.configure(
        db_conn, opts={"compare_type": True, "compare_server_default": True}
    )
    assert compare_metadata(context, Base.metadata) == []


def test_database_is_at_head(db_conn: sa.Connection) -> None:
    assert migrate.current_revision(db_conn) == migrate.head_revision()


def test_spec_enums_have_the_spec_labels_in_order(db_conn: sa.Connection) -> None:
    rows = db_conn.execute(
        sa.text(
            "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_type t"
            " JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname"
        )
    ).all()
    found = {name: list(labels) for name, labels in rows}
    for name, labels in SPEC_ENUMS.items():
        assert found[name][: len(labels)] == labels, name


def test_spec_columns_have_the_spec_types_and_defaults(db_conn: sa.Connection) -> None:
    for (table, column), (type_, nullable, default) in SPEC_COLUMNS.items():
        row = db_conn.execute(
            sa.text(
                "SELECT format_type(a.atttypid, a.atttypmod), c.is_nullable, c.column_default"
                " FROM information_schema.columns c JOIN pg_attribute a"
                " ON a.attrelid = c.table_name::regclass AND a.attname = c.column_name"
                " WHERE c.table_name = :t AND c.column_name = :c"
            ),
            {"t": table, "c": column},
        ).one()
        assert row[0] == type_, (table, column, row)
        assert row[1] == nullable, (table, column, row)
        if default is not None:
            assert default in (row[2] or ""), (table, column, row)


def test_spec_unique_and_foreign_keys(db_conn: sa.Connection) -> None:
    rows = db_conn.execute(
        sa.text(
            "SELECT conrelid::regclass::text, conname, contype FROM pg_constraint"
            " WHERE contype IN ('u', 'f') AND connamespace = 'public'::regnamespace"
        )
    ).all()
    names = {(t, n) for t, n, _ in rows}
    for expected in [
        ("usuarios", "usuarios_email_key"),
        ("usuarios", "usuarios_cpf_key"),
        ("carteiras", "carteiras_usuario_id_key"),
        ("carteiras", "carteiras_usuario_id_fkey"),
        ("parcelas", "parcelas_cpr_id_numero_parcela_key"),
        ("parcelas", "parcelas_cpr_id_fkey"),
        ("cprs", "cprs_agricultor_id_fkey"),
        ("investimentos", "investimentos_investidor_id_fkey"),
        ("investimentos", "investimentos_cpr_id_fkey"),
        ("transacoes", "transacoes_carteira_id_fkey"),
        ("ofertas_secundario", "ofertas_secundario_investimento_id_fkey"),
        ("contas_bancarias", "contas_bancarias_usuario_id_fkey"),
        ("ledger_eventos", "ledger_eventos_ator_id_fkey"),
        ("ledger_eventos", "ledger_eventos_hash_atual_key"),
    ]:
        assert expected in names


def _user(conn: sa.Connection, cpf: str = "52998224725") -> str:
    return str(
        conn.execute(
            sa.text(
                "INSERT INTO usuarios (nome_completo, email, senha_hash, cpf, celular, perfil)"
                " VALUES ('Ana', :email, 'x', :cpf, '+5565999990000', 'INVESTIDOR') RETURNING id"
            ),
            {"email": f"{cpf}@example.com", "cpf": cpf},
        ).scalar_one()
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE carteiras SET saldo_usdc = -1 WHERE usuario_id = :u",
        "UPDATE carteiras SET saldo_usdc = 1, saldo_bloqueado_usdc = 2 WHERE usuario_id = :u",
        "INSERT INTO cprs (agricultor_id, valor_solicitado, taxa_juros_anual, prazo_meses,"
        " score_risco, total_cotas, valor_por_cota_usdc) VALUES (:u, 1000, 12, 12, 'A', 0, 1)",
        "INSERT INTO cprs (agricultor_id, valor_solicitado, taxa_juros_anual, prazo_meses,"
        " score_risco, total_cotas, valor_por_cota_usdc) VALUES (:u, -5, 12, 12, 'A', 10, 1)",
        "INSERT INTO transacoes (carteira_id, valor, tipo)"
        " SELECT id, 0, 'DEPOSITO_PIX' FROM carteiras WHERE usuario_id = :u",
        "UPDATE usuarios SET cpf = '123' WHERE id = :u",
    ],
)
def test_check_constraints_refuse_insane_data(db_conn: sa.Connection, statement: str) -> None:
    user = _user(db_conn)
    db_conn.execute(sa.text("INSERT INTO carteiras (usuario_id) VALUES (:u)"), {"u": user})
    savepoint = db_conn.begin_nested()
    with pytest.raises(sa.exc.IntegrityError):
        db_conn.execute(sa.text(statement), {"u": user})
    savepoint.rollback()


def test_only_one_principal_bank_account(db_conn: sa.Connection) -> None:
    user = _user(db_conn)
    insert = sa.text(
        "INSERT INTO contas_bancarias (usuario_id, banco, agencia, conta, tipo_conta, is_principal)"
        " VALUES (:u, '001', '1234', '99999-9', 'CORRENTE', true)"
    )
    db_conn.execute(insert, {"u": user})
    with pytest.raises(sa.exc.IntegrityError):
        db_conn.execute(insert, {"u": user})


def test_numero_parcela_starts_at_one(db_conn: sa.Connection) -> None:
    user = _user(db_conn)
    cpr = db_conn.execute(
        sa.text(
            "INSERT INTO cprs (agricultor_id, valor_solicitado, taxa_juros_anual, prazo_meses,"
            " score_risco, total_cotas, valor_por_cota_usdc)"
            " VALUES (:u, 1000, 12, 12, 'A', 10, 20) RETURNING id"
        ),
        {"u": user},
    ).scalar_one()
    with pytest.raises(sa.exc.IntegrityError):
        db_conn.execute(
            sa.text(
                "INSERT INTO parcelas (cpr_id, numero_parcela, valor_principal, valor_juros,"
                " data_vencimento) VALUES (:c, 0, 10, 1, '2027-01-01')"
            ),
            {"c": cpr},
        )
