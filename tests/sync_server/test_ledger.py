"""The hash-chained ledger on the real PostgreSQL: appends, the append-only trigger, concurrency
from several OS processes, tampering and ``verify-ledger``."""

from __future__ import annotations

import io
import itertools
import json
import multiprocessing
import queue
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from shared_models.ledger import (
    InvalidEventDataError,
    LedgerEvent,
    PersonalDataError,
    compute_hash,
)
from sync_server.db import make_engine
from sync_server.ledger import (
    LEDGER_LOCK_KEY,
    LedgerError,
    append_and_commit,
    append_event,
    ledger_head,
    verify_chain,
    verify_ledger_command,
    wait_durable,
)

ROW = sa.text(
    "SELECT id, timestamp, tipo_evento, ator_id, ator_tipo, dados_evento, hash_anterior,"
    " hash_atual FROM ledger_eventos WHERE id = :id"
)
COUNT = sa.text("SELECT count(*) FROM ledger_eventos")


def _new_user(conn: sa.Connection) -> uuid.UUID:
    suffix = uuid.uuid4().hex[:10]
    return conn.execute(
        sa.text(
            "INSERT INTO usuarios (nome_completo, email, senha_hash, cpf, celular, perfil)"
            " VALUES ('Teste', :email, 'x', :cpf, '11912345678', 'INVESTIDOR') RETURNING id"
        ),
        {"email": f"{suffix}@example.com", "cpf": str(uuid.uuid4().int)[:11]},
    ).scalar_one()


# --------------------------------------------------------------------------------------------
# Appending inside the caller's transaction
# --------------------------------------------------------------------------------------------


def test_append_links_and_verifies(db_conn: sa.Connection) -> None:
    before = ledger_head(db_conn)
    actor = _new_user(db_conn)
    entries = [
        append_event(
            db_conn,
            tipo_evento="INVESTIMENTO_REALIZADO",
            dados_evento={"cpr_id": str(uuid.uuid4()), "cotas": 10, "valor_usdc": "1500.00000000"},
            ator_id=actor,
            ator_tipo="INVESTIDOR",
        ),
        append_event(db_conn, tipo_evento="PARCELA_PAGA", dados_evento={"parcela": 1}),
        append_event(
            db_conn,
            tipo_evento="CPR_STATUS",
            dados_evento={"de": "CAPTAÇÃO", "para": "FINANCIADO", "nota": "café — 2025/26"},
        ),
    ]
    assert entries[0].hash_anterior == (before[1] if before else None)
    for previous, entry in itertools.pairwise(entries):
        assert entry.hash_anterior == previous.hash_atual
        assert entry.id > previous.id
        assert entry.timestamp >= previous.timestamp
    for entry in entries:
        row = db_conn.execute(ROW, {"id": entry.id}).one()
        assert row.hash_atual == entry.hash_atual
        assert row.hash_anterior == entry.hash_anterior
        assert row.timestamp == entry.timestamp
        assert row.dados_evento == dict(entry.dados_evento)
        assert row.ator_id == entry.ator_id
        event = LedgerEvent(
            id=row.id,
            timestamp=row.timestamp,
            tipo_evento=row.tipo_evento,
            ator_id=row.ator_id,
            ator_tipo=row.ator_tipo,
            dados_evento=row.dados_evento,
        )
        assert compute_hash(row.hash_anterior, event) == row.hash_atual
    result = verify_chain(db_conn, batch_size=2)
    assert result.ok, result
    assert result.head_hash == entries[-1].hash_atual
    assert ledger_head(db_conn) == (entries[-1].id, entries[-1].hash_atual)


def test_first_event_of_an_empty_ledger(fresh_db_url: str) -> None:
    engine = make_engine(fresh_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            assert ledger_head(conn) is None
            entry = append_event(conn, tipo_evento="GENESIS", dados_evento={})
            assert entry.hash_anterior is None
            assert verify_chain(conn).count == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("dados", "error"),
    [
        ({"cpf": "x"}, PersonalDataError),
        ({"pagador": {"documento": "529.982.247-25"}}, PersonalDataError),
        ({"contato": ["maria@example.com"]}, PersonalDataError),
        ({"valor": 10.5}, InvalidEventDataError),
        ({"quando": object()}, InvalidEventDataError),
    ],
)
def test_refused_data_touches_nothing(
    db_conn: sa.Connection, dados: dict[str, Any], error: type[Exception]
) -> None:
    count = db_conn.execute(COUNT).scalar_one()
    with pytest.raises(error) as info:
        append_event(db_conn, tipo_evento="DEPOSITO", dados_evento=dados)
    assert "529.982.247-25" not in str(info.value)
    assert "maria@" not in str(info.value)
    assert db_conn.execute(COUNT).scalar_one() == count


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_eventos SET tipo_evento = 'ADULTERADO' WHERE id = :id",
        "UPDATE ledger_eventos SET dados_evento = '{}'::jsonb",
        "DELETE FROM ledger_eventos WHERE id = :id",
        "DELETE FROM ledger_eventos",
        # CASCADE: other tables reference ledger_eventos, and plain TRUNCATE would stop there
        "TRUNCATE ledger_eventos CASCADE",
    ],
)
def test_trigger_keeps_the_table_append_only(db_conn: sa.Connection, statement: str) -> None:
    entry = append_event(db_conn, tipo_evento="TESTE", dados_evento={"n": 1})
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db_conn.execute(sa.text(statement), {"id": entry.id})


def test_autocommit_connection_refused(engine: sa.Engine) -> None:
    with (
        engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn,
        pytest.raises(LedgerError, match="AUTOCOMMIT"),
    ):
        append_event(conn, tipo_evento="TESTE", dados_evento={})


def test_repeatable_read_refused(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        count = conn.execute(COUNT).scalar_one()
        with pytest.raises(LedgerError, match="READ COMMITTED"):
            append_event(conn, tipo_evento="TESTE", dados_evento={})
        conn.rollback()
        assert conn.execute(COUNT).scalar_one() == count
        conn.rollback()


def test_database_errors_surface_as_sqlalchemy_errors(db_conn: sa.Connection) -> None:
    with pytest.raises(sa.exc.IntegrityError):  # ator_id must reference a usuario
        append_event(db_conn, tipo_evento="TESTE", dados_evento={}, ator_id=uuid.uuid4())


def test_wait_durable_needs_a_committed_connection(db_conn: sa.Connection) -> None:
    with pytest.raises(LedgerError, match="depois do commit"):
        wait_durable(db_conn)


# --------------------------------------------------------------------------------------------
# Committing databases
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(fresh_db_url, pool_size=2, max_overflow=0)
    try:
        yield eng
    finally:
        eng.dispose()


def test_caller_commit_and_rollback_decide(fresh_db_url: str, fresh_engine: sa.Engine) -> None:
    out = io.StringIO()
    assert verify_ledger_command(fresh_db_url, out) == 0
    assert "0 eventos" in out.getvalue()

    # append_event as the very first statement: the caller's commit() still applies to it.
    with fresh_engine.connect() as conn:
        kept = append_event(conn, tipo_evento="MANTIDO", dados_evento={"n": 1})
        conn.commit()
        dropped = append_event(conn, tipo_evento="DESFEITO", dados_evento={"n": 2})
        conn.rollback()
        grouped = append_event(
            conn, tipo_evento="AGRUPADO", dados_evento={"n": 3}, group_commit=True
        )
        conn.commit()
        written = conn.execute(sa.text("SELECT pg_current_wal_insert_lsn()")).scalar_one()
        conn.rollback()
        wait_durable(conn)
        flushed = conn.execute(
            sa.text("SELECT pg_current_wal_flush_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": written}
        ).scalar_one()
        assert flushed
        conn.rollback()
    with fresh_engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT id FROM ledger_eventos ORDER BY id")).scalars().all()
        assert ids == [kept.id, grouped.id]
        assert dropped.id not in ids
        assert grouped.hash_anterior == kept.hash_atual
        assert kept.hash_anterior is None
    out = io.StringIO()
    assert verify_ledger_command(fresh_db_url, out) == 0
    assert "2 eventos" in out.getvalue()
    assert grouped.hash_atual in out.getvalue()


def test_append_and_commit_commits_the_callers_work(fresh_engine: sa.Engine) -> None:
    with fresh_engine.connect() as conn:
        first = append_and_commit(conn, tipo_evento="PRIMEIRO", dados_evento={"n": 1})
        assert not conn.in_transaction()
        with conn.begin():  # the usual shape: business work, then the event as the last step
            user = _new_user(conn)
            entry = append_and_commit(
                conn,
                tipo_evento="CADASTRO",
                dados_evento={"usuario_id": str(user)},
                ator_id=user,
                ator_tipo="INVESTIDOR",
            )
        assert not conn.in_transaction()
        # synchronous_commit=off was local to the event's transaction: later commits of this
        # connection are synchronous again.
        assert conn.execute(sa.text("SHOW synchronous_commit")).scalar_one() == "on"
        conn.rollback()
    with fresh_engine.connect() as other:
        rows = other.execute(
            sa.text("SELECT id, hash_anterior, hash_atual, ator_id FROM ledger_eventos ORDER BY id")
        ).all()
        assert [r.id for r in rows] == [first.id, entry.id]
        assert rows[1].hash_anterior == first.hash_atual == entry.hash_anterior
        assert rows[1].hash_atual == entry.hash_atual and rows[1].ator_id == user
        assert (
            other.execute(
                sa.text("SELECT count(*) FROM usuarios WHERE id = :id"), {"id": user}
            ).scalar_one()
            == 1
        )
        assert verify_chain(other).ok


def test_append_and_commit_commits_nothing_on_failure(fresh_engine: sa.Engine) -> None:
    with fresh_engine.connect() as holder, fresh_engine.connect() as conn:
        holder.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LEDGER_LOCK_KEY})
        with pytest.raises(sa.exc.OperationalError), conn.begin():
            user = _new_user(conn)
            conn.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
            append_and_commit(conn, tipo_evento="BLOQUEADO", dados_evento={})
        assert not conn.in_transaction()
        holder.rollback()
        assert conn.execute(COUNT).scalar_one() == 0
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM usuarios WHERE id = :id"), {"id": user}
            ).scalar_one()
            == 0
        )
        conn.rollback()
        # The connection is usable again, and the chain starts cleanly.
        entry = append_and_commit(conn, tipo_evento="DEPOIS", dados_evento={})
        assert entry.hash_anterior is None


def test_append_and_commit_refuses_personal_data_before_touching_anything(
    fresh_engine: sa.Engine,
) -> None:
    with fresh_engine.connect() as conn:
        with pytest.raises(PersonalDataError), conn.begin():
            append_and_commit(conn, tipo_evento="X", dados_evento={"email": "a@example.com"})
        assert conn.execute(COUNT).scalar_one() == 0
        conn.rollback()


# Concurrency: OS processes x threads, each thread with its own connection.
PROCESSES = 4
THREADS = 8
TRANSACTIONS = 12


def _append_worker(
    url: str, worker: int, start: Any, results: Any
) -> None:  # runs in a spawned process
    try:
        engine = make_engine(url, pool_size=THREADS, max_overflow=0)
        committed: list[tuple[int, str]] = []
        errors: list[str] = []
        lock = threading.Lock()
        go = threading.Barrier(THREADS)

        def thread(index: int) -> None:
            mine: list[tuple[int, str]] = []
            try:
                with engine.connect() as conn:
                    conn.rollback()
                    go.wait()
                    for n in range(TRANSACTIONS):
                        group = index % 3 == 0
                        # a third of the threads end each kept transaction with append_and_commit
                        one_trip = index % 3 == 1 and n % 4 != 3
                        events = 1 + n % 2  # one or two events per transaction
                        batch = [
                            append_event(
                                conn,
                                tipo_evento="CONCORRENTE",
                                ator_tipo=f"W{worker}",
                                dados_evento={"thread": index, "n": n, "k": k},
                                group_commit=group,
                            )
                            for k in range(events - 1 if one_trip else events)
                        ]
                        if one_trip:
                            batch.append(
                                append_and_commit(
                                    conn,
                                    tipo_evento="CONCORRENTE",
                                    ator_tipo=f"W{worker}",
                                    dados_evento={"thread": index, "n": n, "k": events - 1},
                                )
                            )
                            mine.extend((e.id, e.hash_atual) for e in batch)
                            continue
                        if n % 4 == 3:
                            conn.rollback()  # deliberately abandoned
                            continue
                        conn.commit()
                        if group:
                            wait_durable(conn)
                        mine.extend((e.id, e.hash_atual) for e in batch)
            except Exception:
                with lock:
                    errors.append(traceback.format_exc())
            with lock:
                committed.extend(mine)

        threads = [threading.Thread(target=thread, args=(i,)) for i in range(THREADS)]
        start.wait(timeout=60)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        engine.dispose()
        results.put((worker, committed, errors))
    except Exception:
        results.put((worker, [], [traceback.format_exc()]))


def test_concurrent_appends_form_one_chain(fresh_db_url: str, fresh_engine: sa.Engine) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_append_worker, args=(fresh_db_url, w, start, results))
        for w in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    gathered = []
    try:
        for _ in procs:
            gathered.append(results.get(timeout=120))
    except queue.Empty:
        pytest.fail("a writer process did not report back")
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    errors = [e for _, _, errs in gathered for e in errs]
    assert not errors, errors[0]
    committed = {i: h for _, pairs, _ in gathered for i, h in pairs}
    per_thread = (
        TRANSACTIONS - TRANSACTIONS // 4 + sum(n % 2 for n in range(TRANSACTIONS) if n % 4 != 3)
    )
    assert len(committed) == PROCESSES * THREADS * per_thread

    with fresh_engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, timestamp, hash_anterior, hash_atual FROM ledger_eventos ORDER BY id"
            )
        ).all()
        result = verify_chain(conn, batch_size=100)
    assert result.ok, result
    assert result.count == len(committed) == len(rows)
    assert {r.id: r.hash_atual for r in rows} == committed
    assert rows[0].hash_anterior is None
    for previous, row in itertools.pairwise(rows):
        assert row.id > previous.id
        assert row.hash_anterior == previous.hash_atual
        assert row.timestamp >= previous.timestamp  # one clock, read under the chain lock
    assert result.head_hash == rows[-1].hash_atual


# Tampering, with the append-only trigger disabled as an attacker with owner rights would.
EVENTS = 10
DISABLE = "ALTER TABLE ledger_eventos DISABLE TRIGGER ledger_eventos_append_only"
ENABLE = "ALTER TABLE ledger_eventos ENABLE TRIGGER ledger_eventos_append_only"
PAYLOAD = ("timestamp", "tipo_evento", "ator_id", "ator_tipo", "dados_evento")


def _change_payload(conn: sa.Connection, ids: list[int]) -> int:
    conn.execute(
        sa.text(
            "UPDATE ledger_eventos SET dados_evento = jsonb_set(dados_evento, '{valor_usdc}',"
            " '\"9999.00000000\"') WHERE id = :id"
        ),
        {"id": ids[4]},
    )
    return ids[4]


def _change_timestamp(conn: sa.Connection, ids: list[int]) -> int:
    conn.execute(
        sa.text(
            "UPDATE ledger_eventos SET timestamp = timestamp + interval '1 microsecond'"
            " WHERE id = :id"
        ),
        {"id": ids[4]},
    )
    return ids[4]


def _change_and_rehash(conn: sa.Connection, ids: list[int]) -> int:
    # The forger recomputes the changed event's own hash: the next link gives it away.
    row = conn.execute(ROW, {"id": ids[4]}).one()
    forged = LedgerEvent(
        id=row.id,
        timestamp=row.timestamp,
        tipo_evento=row.tipo_evento,
        ator_id=row.ator_id,
        ator_tipo=row.ator_tipo,
        dados_evento={**row.dados_evento, "valor_usdc": "9999.00000000"},
    )
    conn.execute(
        sa.text(
            "UPDATE ledger_eventos SET dados_evento = CAST(:dados AS jsonb), hash_atual = :h"
            " WHERE id = :id"
        ),
        {
            "dados": json.dumps(forged.dados_evento),
            "h": compute_hash(row.hash_anterior, forged),
            "id": row.id,
        },
    )
    return ids[5]


def _delete_middle(conn: sa.Connection, ids: list[int]) -> int:
    conn.execute(sa.text("DELETE FROM ledger_eventos WHERE id = :id"), {"id": ids[4]})
    return ids[5]


def _delete_first(conn: sa.Connection, ids: list[int]) -> int:
    conn.execute(sa.text("DELETE FROM ledger_eventos WHERE id = :id"), {"id": ids[0]})
    return ids[1]


def _swap(conn: sa.Connection, a: int, b: int, columns: tuple[str, ...]) -> None:
    saved = {
        r.id: r
        for r in conn.execute(
            sa.text("SELECT * FROM ledger_eventos WHERE id IN (:a, :b)"), {"a": a, "b": b}
        )
    }
    if "hash_atual" in columns:  # park b's hashes so the unique indexes accept the midpoint
        conn.execute(
            sa.text(
                "UPDATE ledger_eventos SET hash_atual = repeat('f', 64),"
                " hash_anterior = repeat('e', 64) WHERE id = :b"
            ),
            {"b": b},
        )
    sets = ", ".join(
        "dados_evento = CAST(:dados_evento AS jsonb)" if c == "dados_evento" else f"{c} = :{c}"
        for c in columns
    )
    for target, source in ((a, b), (b, a)):
        values = {c: getattr(saved[source], c) for c in columns}
        values["dados_evento"] = json.dumps(values["dados_evento"])
        conn.execute(
            sa.text(f"UPDATE ledger_eventos SET {sets} WHERE id = :target"),
            {**values, "target": target},
        )


def _swap_contents(conn: sa.Connection, ids: list[int]) -> int:
    _swap(conn, ids[2], ids[6], PAYLOAD)
    return ids[2]


def _swap_rows(conn: sa.Connection, ids: list[int]) -> int:
    _swap(conn, ids[2], ids[6], (*PAYLOAD, "hash_anterior", "hash_atual"))
    return ids[2]


ATTACKS: dict[str, Callable[[sa.Connection, list[int]], int]] = {
    "change_payload": _change_payload,
    "change_timestamp": _change_timestamp,
    "change_and_rehash": _change_and_rehash,
    "delete_middle": _delete_middle,
    "delete_first": _delete_first,
    "swap_contents": _swap_contents,
    "swap_rows": _swap_rows,
}


def _committed_chain(engine: sa.Engine) -> list[int]:
    with engine.begin() as conn:
        actor = _new_user(conn)
        for n in range(EVENTS):
            append_event(
                conn,
                tipo_evento=f"EVENTO_{n}",
                dados_evento={"n": n, "valor_usdc": f"{n}.00000000"},
                ator_id=actor if n % 2 else None,
                ator_tipo="INVESTIDOR" if n % 2 else None,
            )
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT id FROM ledger_eventos ORDER BY id")).scalars())


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_tampering_is_detected(fresh_db_url: str, fresh_engine: sa.Engine, attack: str) -> None:
    ids = _committed_chain(fresh_engine)
    out = io.StringIO()
    assert verify_ledger_command(fresh_db_url, out) == 0, out.getvalue()

    with fresh_engine.begin() as conn:
        conn.execute(sa.text(DISABLE))
        expected = ATTACKS[attack](conn, ids)
        conn.execute(sa.text(ENABLE))

    out = io.StringIO()
    assert verify_ledger_command(fresh_db_url, out) == 1
    assert f"evento id {expected}:" in out.getvalue()
    with fresh_engine.connect() as conn:
        for batch_size in (3, 1000):  # found across batch boundaries too
            result = verify_chain(conn, batch_size=batch_size)
            assert not result.ok
            assert result.first_broken_id == expected
            assert result.reason


def test_cutting_the_tail_changes_the_reported_head(
    fresh_db_url: str, fresh_engine: sa.Engine
) -> None:
    # A chain cannot prove its own last event away: what catches a cut tail is comparing the
    # head hash that verify-ledger prints with one anchored elsewhere earlier.
    ids = _committed_chain(fresh_engine)
    out = io.StringIO()
    assert verify_ledger_command(fresh_db_url, out) == 0
    anchored = out.getvalue()
    with fresh_engine.begin() as conn:
        conn.execute(sa.text(DISABLE))
        conn.execute(sa.text("DELETE FROM ledger_eventos WHERE id = :id"), {"id": ids[-1]})
        conn.execute(sa.text(ENABLE))
    out = io.StringIO()
    assert verify_ledger_command(fresh_db_url, out) == 0
    assert out.getvalue() != anchored
    assert f"{EVENTS - 1} eventos" in out.getvalue()


def test_unreachable_database() -> None:
    out = io.StringIO()
    assert verify_ledger_command("postgresql://postgres@127.0.0.1:1/nada", out) == 2
    assert "Não foi possível conectar" in out.getvalue()


def test_database_without_ledger(pg_admin_url: str) -> None:
    out = io.StringIO()
    assert verify_ledger_command(pg_admin_url, out) == 2
    assert "ledger_eventos" in out.getvalue()
