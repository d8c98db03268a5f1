"""Sync: change log written by triggers, devices, intent results; merges the 0003/0005 heads.

Revision ID: 0006
Revises: 0003_accounts, 0003_auth, 0005
Create Date: 2026-11-29

Every INSERT / UPDATE / DELETE of a replicated table is recorded, in the writing transaction, by
statement-level triggers (transition tables, so a bulk insert costs one INSERT ... SELECT) into
``sync_changes``: one row per audience of the changed row (``user:<uuid>``, ``agent:<uuid>``,
``public``, ``admin``), with the transaction id (``pg_current_xact_id()`` as bigint), a global
position (sequence ``sync_changes_pos_seq``), the table, the row's primary key and the operation.
On UPDATE the audiences of the old and of the new row are both notified (``op = 'D'`` for an
audience the row left). Some changes also notify rows of other tables whose visibility they
change (an investment notifies its CPR; a producer's agent change notifies their documents).

``sync_horizon()`` is the position pulls must not pass: the smallest id of a transaction of this
database still in flight in the current snapshot (``pg_snapshot_xmin`` restricted to this
database's transactions, autovacuum's excluded), else ``pg_snapshot_xmax``. See docs/sync.md.
"""

# The trigger SQL is assembled from this file's constants only.
# ruff: noqa: S608

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = ("0003_accounts", "0003_auth", "0005")
branch_labels = None
depends_on = None

# Notifications whose body carries a secret code never leave the server (no audience).
SECRET_NOTIFICATION_TYPES = "('otp', 'ativacao_conta')"  # noqa: S105 - type names
EMPTY = "ARRAY[]::text[]"


def _aud(table: str, r: str) -> str:
    """The audiences (text[]) of a row of ``table`` aliased ``r``."""
    audiences = {
        "usuarios": (
            f"array_remove(ARRAY['user:' || {r}.id,"
            f" CASE WHEN {r}.perfil = 'AGRICULTOR' AND {r}.agente_id IS NOT NULL"
            f" THEN 'agent:' || {r}.agente_id END,"
            f" CASE WHEN {r}.status_kyc IN ('PENDENTE', 'ANALISE_MANUAL')"
            f" AND {r}.perfil <> 'ADMIN' AND {r}.anonimizado_em IS NULL THEN 'admin' END], NULL)"
        ),
        "carteiras": f"ARRAY['user:' || {r}.usuario_id]",
        "transacoes": (
            f"ARRAY(SELECT 'user:' || w.usuario_id FROM carteiras w WHERE w.id = {r}.carteira_id)"
        ),
        "contas_bancarias": f"ARRAY['user:' || {r}.usuario_id]",
        "cprs": (
            f"array_remove(ARRAY['user:' || {r}.agricultor_id,"
            f" CASE WHEN {r}.status = 'CAPTAÇÃO' THEN 'public' END], NULL)"
            f" || ARRAY(SELECT DISTINCT 'user:' || i.investidor_id FROM investimentos i"
            f" WHERE i.cpr_id = {r}.id)"
        ),
        "parcelas": (
            f"ARRAY(SELECT 'user:' || c.agricultor_id FROM cprs c WHERE c.id = {r}.cpr_id)"
        ),
        "investimentos": f"ARRAY['user:' || {r}.investidor_id]",
        "ofertas_secundario": (
            f"ARRAY(SELECT 'user:' || i.investidor_id FROM investimentos i"
            f" WHERE i.id = {r}.investimento_id)"
            f" || CASE WHEN {r}.status = 'ABERTA' THEN ARRAY['public'] ELSE {EMPTY} END"
        ),
        "notificacoes": (
            f"CASE WHEN {r}.usuario_id IS NOT NULL AND {r}.tipo NOT IN {SECRET_NOTIFICATION_TYPES}"
            f" THEN ARRAY['user:' || {r}.usuario_id] ELSE {EMPTY} END"
        ),
        "documentos_kyc": (
            f"ARRAY['user:' || {r}.usuario_id]"
            f" || ARRAY(SELECT 'agent:' || u.agente_id FROM usuarios u WHERE u.id = {r}.usuario_id"
            f" AND u.perfil = 'AGRICULTOR' AND u.agente_id IS NOT NULL)"
        ),
        "sync_intent_results": f"ARRAY['user:' || {r}.usuario_id]",
    }
    return audiences[table]


# table -> primary key column
REPLICATED = {
    "usuarios": "id",
    "carteiras": "id",
    "transacoes": "id",
    "contas_bancarias": "id",
    "cprs": "id",
    "parcelas": "id",
    "investimentos": "id",
    "ofertas_secundario": "id",
    "notificacoes": "id",
    "documentos_kyc": "id",
    "sync_intent_results": "intent_id",
}

NEXT_POS = "nextval('sync_changes_pos_seq')"


def _emit(table: str, source: str, op_new: str) -> str:
    """Insert one change row per audience for each (row_id, pos, new_auds, old_auds) of source."""
    return f"""
    WITH e AS MATERIALIZED ({source})
    INSERT INTO sync_changes (audience, xid, pos, table_name, row_id, op)
    SELECT DISTINCT ON (e.pos, a.audience) a.audience, v_xid, e.pos, '{table}', e.row_id,
           CASE WHEN a.audience = ANY (e.new_auds) THEN '{op_new}' ELSE 'D' END
    FROM e CROSS JOIN LATERAL unnest(e.new_auds || e.old_auds) AS a (audience)
    WHERE a.audience IS NOT NULL;
"""


def _own_changes(table: str, pk: str) -> dict[str, str]:
    insert = _emit(
        table,
        f"SELECT r.{pk} AS row_id, {NEXT_POS} AS pos, {_aud(table, 'r')} AS new_auds,"
        f" {EMPTY} AS old_auds FROM sync_new r",
        "I",
    )
    update = _emit(
        table,
        f"SELECT coalesce(n.{pk}, o.{pk}) AS row_id, {NEXT_POS} AS pos,"
        f" CASE WHEN n.{pk} IS NULL THEN {EMPTY} ELSE {_aud(table, 'n')} END AS new_auds,"
        f" CASE WHEN o.{pk} IS NULL THEN {EMPTY} ELSE {_aud(table, 'o')} END AS old_auds"
        f" FROM sync_new n FULL JOIN sync_old o ON o.{pk} = n.{pk}"
        f" WHERE n IS DISTINCT FROM o",
        "U",
    )
    delete = _emit(
        table,
        f"SELECT r.{pk} AS row_id, {NEXT_POS} AS pos, {EMPTY} AS new_auds,"
        f" {_aud(table, 'r')} AS old_auds FROM sync_old r",
        "U",
    )
    return {"INSERT": insert, "UPDATE": update, "DELETE": delete}


def _investment_cprs(rows: str) -> str:
    """An investment changes its CPR's quota availability and who may see the CPR."""
    return _emit(
        "cprs",
        f"SELECT c.id AS row_id, {NEXT_POS} AS pos,"
        f" array_remove(ARRAY['user:' || c.agricultor_id,"
        f" CASE WHEN c.status = 'CAPTAÇÃO' THEN 'public' END], NULL) || x.auds AS new_auds,"
        f" {EMPTY} AS old_auds"
        f" FROM (SELECT t.cpr_id, array_agg('user:' || t.investidor_id) AS auds"
        f" FROM ({rows}) AS t GROUP BY t.cpr_id) AS x JOIN cprs c ON c.id = x.cpr_id",
        "U",
    )


INVESTMENT_OFFERS_ON_OWNER_CHANGE = _emit(
    "ofertas_secundario",
    f"SELECT f.id AS row_id, {NEXT_POS} AS pos,"
    f" ARRAY['user:' || n.investidor_id, 'user:' || o.investidor_id] AS new_auds,"
    f" {EMPTY} AS old_auds"
    " FROM sync_new n JOIN sync_old o ON o.id = n.id"
    " AND o.investidor_id IS DISTINCT FROM n.investidor_id"
    " JOIN ofertas_secundario f ON f.investimento_id = n.id",
    "U",
)

PRODUCER_DOCUMENTS_ON_AGENT_CHANGE = _emit(
    "documentos_kyc",
    f"SELECT d.id AS row_id, {NEXT_POS} AS pos,"
    " array_remove(ARRAY["
    " CASE WHEN n.perfil = 'AGRICULTOR' AND n.agente_id IS NOT NULL"
    " THEN 'agent:' || n.agente_id END,"
    " CASE WHEN o.perfil = 'AGRICULTOR' AND o.agente_id IS NOT NULL"
    f" THEN 'agent:' || o.agente_id END], NULL) AS new_auds, {EMPTY} AS old_auds"
    " FROM sync_new n JOIN sync_old o ON o.id = n.id"
    " AND (o.agente_id, o.perfil) IS DISTINCT FROM (n.agente_id, n.perfil)"
    " JOIN documentos_kyc d ON d.usuario_id = n.id",
    "U",
)


def _extra(table: str) -> dict[str, str]:
    if table == "investimentos":
        return {
            "INSERT": _investment_cprs("SELECT cpr_id, investidor_id FROM sync_new"),
            "UPDATE": _investment_cprs(
                "SELECT cpr_id, investidor_id FROM sync_new"
                " UNION SELECT cpr_id, investidor_id FROM sync_old"
            )
            + INVESTMENT_OFFERS_ON_OWNER_CHANGE,
            "DELETE": _investment_cprs("SELECT cpr_id, investidor_id FROM sync_old"),
        }
    if table == "usuarios":
        return {"UPDATE": PRODUCER_DOCUMENTS_ON_AGENT_CHANGE}
    return {}


def _trigger_function(table: str, pk: str) -> str:
    own = _own_changes(table, pk)
    extra = _extra(table)
    branches = []
    for i, tg_op in enumerate(("INSERT", "UPDATE", "DELETE")):
        keyword = "IF" if i == 0 else "ELSIF"
        branches.append(f"    {keyword} TG_OP = '{tg_op}' THEN{own[tg_op]}{extra.get(tg_op, '')}")
    body = "\n".join(branches)
    return f"""
CREATE FUNCTION sync_log_{table}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    v_xid bigint := pg_current_xact_id()::text::bigint;
BEGIN
{body}
    END IF;
    RETURN NULL;
END;
$fn$
"""


def _triggers(table: str) -> list[str]:
    fn = f"sync_log_{table}()"
    return [
        f"CREATE TRIGGER sync_log_ins AFTER INSERT ON {table}"
        f" REFERENCING NEW TABLE AS sync_new FOR EACH STATEMENT EXECUTE FUNCTION {fn}",
        f"CREATE TRIGGER sync_log_upd AFTER UPDATE ON {table}"
        f" REFERENCING OLD TABLE AS sync_old NEW TABLE AS sync_new"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {fn}",
        f"CREATE TRIGGER sync_log_del AFTER DELETE ON {table}"
        f" REFERENCING OLD TABLE AS sync_old FOR EACH STATEMENT EXECUTE FUNCTION {fn}",
    ]


HORIZON_FUNCTION = """
CREATE FUNCTION sync_foreign_xids() RETURNS bigint[] LANGUAGE sql STABLE AS $fn$
    -- (32-bit) ids of the transactions in flight now that positively never write this
    -- database's change log: those of another database of the cluster, and autovacuum's.
    SELECT coalesce(array_agg(a.backend_xid::text::bigint), '{}')
    FROM pg_stat_activity a
    WHERE a.backend_xid IS NOT NULL
      AND (a.backend_type = 'autovacuum worker'
           OR a.datid IS DISTINCT FROM
              (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))
$fn$;
CREATE FUNCTION sync_horizon(known_foreign bigint[] DEFAULT '{}') RETURNS bigint
LANGUAGE sql STABLE AS $fn$
    -- pg_snapshot_xmin(pg_current_snapshot()), ignoring in-flight transactions positively known
    -- never to write this database's change log (sync_foreign_xids()). A caller in a
    -- REPEATABLE READ transaction passes the list it read *before* its snapshot: a foreign
    -- transaction that ends between the snapshot and this call no longer shows in
    -- pg_stat_activity, and would otherwise hold the horizon back for this pull.
    SELECT coalesce(
        (SELECT min(x::text::bigint)
         FROM pg_snapshot_xip(pg_current_snapshot()) AS x
         WHERE (x::text::bigint % 4294967296) <> ALL (known_foreign || sync_foreign_xids())),
        pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
$fn$
"""

MASK_FUNCTIONS = [
    # shared_models.cpf.mask_cpf: 123.***.***-09
    """
CREATE FUNCTION sync_mask_cpf(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT left(v, 3) || '.***.***-' || right(v, 2)
$fn$
""",
    # shared_models.bank.mask_agency: 1234-5 -> **34-*
    """
CREATE FUNCTION sync_mask_agencia(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT repeat('*', greatest(length(split_part(v, '-', 1)) - 2, 0))
        || right(split_part(v, '-', 1), 2)
        || CASE WHEN strpos(v, '-') > 0 THEN '-*' ELSE '' END
$fn$
""",
    # shared_models.bank.mask_account: 12345-6 -> ****5-6
    """
CREATE FUNCTION sync_mask_conta(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT repeat('*', greatest(length(split_part(v, '-', 1)) - 1, 3))
        || right(split_part(v, '-', 1), 1)
        || CASE WHEN strpos(v, '-') > 0 THEN '-' || substr(v, strpos(v, '-') + 1) ELSE '' END
$fn$
""",
]


def upgrade() -> None:
    op.execute("CREATE SEQUENCE sync_changes_pos_seq AS bigint")
    op.create_table(
        "sync_changes",
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("xid", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("pos", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("op", sa.String(length=1), nullable=False),
        sa.CheckConstraint("op IN ('I', 'U', 'D')", name=op.f("sync_changes_op_valida_check")),
        sa.PrimaryKeyConstraint("audience", "xid", "pos", name=op.f("sync_changes_pkey")),
    )
    op.create_table(
        "sync_devices",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("usuario_id", sa.Uuid(), nullable=False),
        sa.Column("next_seq", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("next_seq >= 1", name=op.f("sync_devices_next_seq_positivo_check")),
        sa.ForeignKeyConstraint(
            ["usuario_id"],
            ["usuarios.id"],
            name=op.f("sync_devices_usuario_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("sync_devices_pkey")),
    )
    op.create_index(op.f("ix_sync_devices_usuario_id"), "sync_devices", ["usuario_id"])
    op.create_table(
        "sync_intent_results",
        sa.Column("intent_id", sa.Uuid(), nullable=False),
        sa.Column("usuario_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("correlation_id", sa.String(length=128), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("sync_intent_results_seq_positivo_check")),
        sa.CheckConstraint(
            "status IN ('applied', 'rejected')",
            name=op.f("sync_intent_results_status_valido_check"),
        ),
        sa.CheckConstraint(
            "(status = 'rejected') = (code IS NOT NULL)",
            name=op.f("sync_intent_results_rejeicao_com_codigo_check"),
        ),
        sa.CheckConstraint(
            "digest ~ '^[0-9a-f]{64}$'", name=op.f("sync_intent_results_digest_hex_check")
        ),
        sa.ForeignKeyConstraint(
            ["usuario_id"],
            ["usuarios.id"],
            name=op.f("sync_intent_results_usuario_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("intent_id", name=op.f("sync_intent_results_pkey")),
        sa.UniqueConstraint("device_id", "seq", name=op.f("sync_intent_results_device_id_seq_key")),
    )
    op.create_index("ix_sync_intent_results_usuario_id", "sync_intent_results", ["usuario_id"])

    # Keyset paging of a user's scope during the initial snapshot.
    op.create_index("ix_transacoes_carteira_id_id", "transacoes", ["carteira_id", "id"])
    op.create_index("ix_investimentos_investidor_id_id", "investimentos", ["investidor_id", "id"])
    op.create_index(
        "ix_investimentos_investidor_id_cpr_id", "investimentos", ["investidor_id", "cpr_id"]
    )
    op.create_index("ix_notificacoes_usuario_id_id", "notificacoes", ["usuario_id", "id"])

    op.execute(HORIZON_FUNCTION)
    for statement in MASK_FUNCTIONS:
        op.execute(statement)
    for table, pk in REPLICATED.items():
        op.execute(_trigger_function(table, pk))
        for statement in _triggers(table):
            op.execute(statement)


def downgrade() -> None:
    for table in REPLICATED:
        for trigger in ("sync_log_ins", "sync_log_upd", "sync_log_del"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS sync_log_{table}()")
    for name in ("sync_mask_cpf", "sync_mask_agencia", "sync_mask_conta"):
        op.execute(f"DROP FUNCTION IF EXISTS {name}(text)")
    op.execute("DROP FUNCTION IF EXISTS sync_horizon(bigint[])")
    op.execute("DROP FUNCTION IF EXISTS sync_foreign_xids()")
    op.drop_index("ix_notificacoes_usuario_id_id", table_name="notificacoes")
    op.drop_index("ix_investimentos_investidor_id_cpr_id", table_name="investimentos")
    op.drop_index("ix_investimentos_investidor_id_id", table_name="investimentos")
    op.drop_index("ix_transacoes_carteira_id_id", table_name="transacoes")
    op.drop_index("ix_sync_intent_results_usuario_id", table_name="sync_intent_results")
    op.drop_table("sync_intent_results")
    op.drop_index(op.f("ix_sync_devices_usuario_id"), table_name="sync_devices")
    op.drop_table("sync_devices")
    op.drop_table("sync_changes")
    op.execute("DROP SEQUENCE IF EXISTS sync_changes_pos_seq")
