"""The change log: triggers record every change in the writing transaction, with its audiences,
and pulls never pass a transaction still in flight."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shared_models.enums import Perfil
from sync_server.db import make_engine
from tests.sync_server.auth_support import create_user, new_cpf, open_session
from tests.sync_server.sync_support import (
    Replica,
    app_client,
    full_pull,
    make_cpr,
    make_investment,
    same_rows,
    set_cpr_status,
    wallet_of,
)


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(fresh_db_url, pool_size=4, max_overflow=4)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def client(
    fresh_db_url: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[TestClient]:
    with app_client(fresh_db_url, redis_url, tmp_path) as c:
        yield c


def _changes(conn: sa.Connection, row_id: uuid.UUID) -> list[tuple[str, str, str]]:
    return [
        (r.audience, r.table_name, r.op)
        for r in conn.execute(
            sa.text(
                "SELECT audience, table_name, op FROM sync_changes WHERE row_id = :r"
                " ORDER BY xid, pos, audience"
            ),
            {"r": row_id},
        )
    ]


def test_changes_are_recorded_in_the_writing_transaction(db_conn: sa.Connection) -> None:
    user = db_conn.execute(
        sa.text(
            "INSERT INTO usuarios (nome_completo, email, senha_hash, cpf, celular, perfil,"
            " status_kyc) VALUES ('Ana Souza', :e, 'x', :cpf, '+5565999990000',"
            " 'INVESTIDOR', 'VERIFICADO') RETURNING id, pg_current_xact_id()::text::bigint"
        ),
        {"e": f"{uuid.uuid4().hex}@example.com", "cpf": new_cpf()},
    ).one()
    xids = db_conn.execute(
        sa.text("SELECT DISTINCT xid FROM sync_changes WHERE row_id = :r"), {"r": user[0]}
    ).scalars()
    assert list(xids) == [user[1]]
    assert _changes(db_conn, user[0]) == [(f"user:{user[0]}", "usuarios", "I")]

    savepoint = db_conn.begin_nested()
    db_conn.execute(sa.text("DELETE FROM usuarios WHERE id = :u"), {"u": user[0]})
    savepoint.rollback()
    # A rolled-back change leaves nothing in the log.
    assert [c[2] for c in _changes(db_conn, user[0])] == ["I"]


def test_a_row_leaving_an_audience_sends_a_removal_to_it(fresh_engine: sa.Engine) -> None:
    farmer = create_user(fresh_engine, Perfil.AGRICULTOR)
    investor = create_user(fresh_engine, Perfil.INVESTIDOR)
    cpr = make_cpr(fresh_engine, farmer.id)
    make_investment(fresh_engine, investor.id, cpr)
    set_cpr_status(fresh_engine, cpr, "FINANCIADO")
    with fresh_engine.connect() as conn:
        last_update = conn.execute(
            sa.text(
                "SELECT audience, op FROM sync_changes WHERE row_id = :r AND pos ="
                " (SELECT max(pos) FROM sync_changes WHERE row_id = :r) ORDER BY audience"
            ),
            {"r": cpr},
        ).all()
    assert sorted(last_update) == sorted(
        [("public", "D"), (f"user:{farmer.id}", "U"), (f"user:{investor.id}", "U")]
    )


def test_bulk_statements_are_logged_row_by_row(fresh_engine: sa.Engine) -> None:
    user = create_user(fresh_engine, Perfil.INVESTIDOR)
    wallet = wallet_of(fresh_engine, user.id)
    with fresh_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO transacoes (carteira_id, valor, tipo, status)"
                " SELECT :w, g, 'DEPOSITO_PIX', 'CONCLUIDA' FROM generate_series(1, 500) g"
            ),
            {"w": wallet},
        )
        conn.execute(
            sa.text("UPDATE transacoes SET descricao = 'x' WHERE carteira_id = :w"), {"w": wallet}
        )
        # An UPDATE that changes nothing is not a change.
        conn.execute(
            sa.text("UPDATE transacoes SET descricao = descricao WHERE carteira_id = :w"),
            {"w": wallet},
        )
        counts: dict[str, int] = dict(
            conn.execute(
                sa.text(
                    "SELECT op, count(*) FROM sync_changes WHERE table_name = 'transacoes'"
                    " GROUP BY op"
                )
            ).all()
        )
        positions = conn.execute(
            sa.text("SELECT count(DISTINCT pos) FROM sync_changes WHERE table_name = 'transacoes'")
        ).scalar_one()
    assert counts == {"I": 500, "U": 500}
    assert positions == 1000


def test_secret_notifications_have_no_audience(fresh_engine: sa.Engine) -> None:
    user = create_user(fresh_engine, Perfil.INVESTIDOR)
    with fresh_engine.begin() as conn:
        for tipo in ("otp", "ativacao_conta", "boas_vindas"):
            conn.execute(
                sa.text(
                    "INSERT INTO notificacoes (usuario_id, canal, destino, tipo, assunto, corpo)"
                    " VALUES (:u, 'SMS', '+5565999990000', :t, 'a', 'b')"
                ),
                {"u": user.id, "t": tipo},
            )
        logged = conn.execute(
            sa.text(
                "SELECT n.tipo FROM sync_changes c JOIN notificacoes n ON n.id = c.row_id"
                " WHERE c.table_name = 'notificacoes' AND n.usuario_id = :u"
            ),
            {"u": user.id},
        ).scalars()
        assert list(logged) == ["boas_vindas"]


def _insert_transaction(conn: sa.Connection, wallet: uuid.UUID, descricao: str) -> str:
    return str(
        conn.execute(
            sa.text(
                "INSERT INTO transacoes (carteira_id, valor, tipo, status, descricao)"
                " VALUES (:w, 1, 'DEPOSITO_PIX', 'CONCLUIDA', :d) RETURNING id"
            ),
            {"w": wallet, "d": descricao},
        ).scalar_one()
    )


def test_a_late_commit_is_never_skipped(
    fresh_engine: sa.Engine, client: TestClient, redis_client: redis.Redis
) -> None:
    investor = create_user(fresh_engine, Perfil.INVESTIDOR)
    open_session(redis_client, investor)
    wallet = wallet_of(fresh_engine, investor.id)
    replica = full_pull(client, investor)

    with fresh_engine.connect() as held:
        held_tx = held.begin()
        first = _insert_transaction(held, wallet, "transação demorada")  # takes the lower xid
        with fresh_engine.begin() as conn:
            second = _insert_transaction(conn, wallet, "transação rápida")
        replica.pull_all(client, investor, settle_first=False)
        # The cursor may not pass the transaction in flight, so the later one waits too.
        assert first not in replica.ids("transacoes")
        assert second not in replica.ids("transacoes")
        held_tx.commit()

    replica.pull_all(client, investor)
    assert {first, second} <= replica.ids("transacoes")
    assert same_rows(replica, full_pull(client, investor))


def test_a_snapshot_taken_during_an_open_transaction_gets_its_rows_later(
    fresh_engine: sa.Engine, client: TestClient, redis_client: redis.Redis
) -> None:
    investor = create_user(fresh_engine, Perfil.INVESTIDOR)
    open_session(redis_client, investor)
    wallet = wallet_of(fresh_engine, investor.id)
    with fresh_engine.connect() as held:
        held_tx = held.begin()
        late = _insert_transaction(held, wallet, "commit tardio")
        replica = Replica()
        replica.pull_all(client, investor, settle_first=False)  # the initial snapshot
        assert late not in replica.ids("transacoes")
        held_tx.commit()
    replica.pull_all(client, investor)
    assert late in replica.ids("transacoes")


def test_transactions_of_other_databases_do_not_hold_the_horizon_back(
    fresh_engine: sa.Engine, db_conn: sa.Connection
) -> None:
    # ``db_conn`` is an open transaction of the session database (another database).
    foreign = int(
        db_conn.execute(sa.text("SELECT pg_current_xact_id()::text::bigint")).scalar_one()
    )
    with fresh_engine.begin() as conn:  # a later transaction completes: ``foreign`` is now in
        later = int(conn.execute(sa.text("SELECT pg_current_xact_id()::text::bigint")).scalar_one())
    assert later > foreign  # the snapshots' lists of transactions in flight
    with fresh_engine.connect() as conn:
        horizon, xmin, in_flight = conn.execute(
            sa.text(
                "SELECT sync_horizon(), pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
                " ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(pg_current_snapshot()) x)"
            )
        ).one()
    assert foreign in in_flight
    assert xmin <= foreign < horizon
