"""The local replica: migrations, WAL, outbox (gapless, frozen, durable), atomic pages."""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from desktop.replica import PageRejectedError, Replica, ReplicaError, ReplicaTooNewError
from desktop.replica import migrations as replica_migrations
from desktop.replica.store import ROWS_PER_INSERT, default_replica_path
from shared_models.sync.protocol import (
    INITIAL_CURSOR,
    IntentResult,
    IntentState,
    PullPage,
    TableChanges,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "accounts" / "u" / "replica.sqlite"


def _page(cursor: str, **tables: TableChanges) -> PullPage:
    return PullPage(cursor=cursor, more=False, tables=tables)


def test_open_creates_migrated_wal_database(path: Path) -> None:
    with Replica.open(path) as replica:
        assert replica.schema_version == replica_migrations.SCHEMA_VERSION
        assert replica.cursor == INITIAL_CURSOR
        device = replica.device_id
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(
            replica_migrations.MIGRATIONS
        )
    finally:
        raw.close()
    with Replica.open(path) as again:
        assert again.device_id == device  # stable across restarts


def test_device_id_is_fixed_at_creation(path: Path) -> None:
    chosen = uuid.uuid4()
    with Replica.open(path, device_id=chosen) as replica:
        assert replica.device_id == chosen
    with pytest.raises(ReplicaError):
        Replica.open(path, device_id=uuid.uuid4())


def test_migrations_run_forward_once_in_order(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Replica.open(path).close()
    calls: list[int] = []

    def v2(conn: sa.Connection) -> None:
        calls.append(2)
        conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN note TEXT")

    def v3(conn: sa.Connection) -> None:
        calls.append(3)
        conn.exec_driver_sql("UPDATE outbox SET note = 'x'")

    monkeypatch.setattr(replica_migrations, "MIGRATIONS", [*replica_migrations.MIGRATIONS, v2, v3])
    monkeypatch.setattr("desktop.replica.store.MIGRATIONS", replica_migrations.MIGRATIONS)
    with Replica.open(path) as replica:
        assert replica.schema_version == 3
    with Replica.open(path):
        pass
    assert calls == [2, 3]


def test_a_failed_migration_step_leaves_the_previous_version(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Replica.open(path).close()

    def broken(conn: sa.Connection) -> None:
        conn.exec_driver_sql("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    steps = [*replica_migrations.MIGRATIONS, broken]
    monkeypatch.setattr("desktop.replica.store.MIGRATIONS", steps)
    with pytest.raises(RuntimeError):
        Replica.open(path)
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        assert (
            raw.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchall() == []
        )
    finally:
        raw.close()


def test_a_newer_replica_is_refused(path: Path) -> None:
    Replica.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(ReplicaTooNewError):
        Replica.open(path)


def test_outbox_seq_is_gapless_frozen_and_durable(path: Path) -> None:
    with Replica.open(path) as replica:
        first = replica.enqueue(name="a.b", version=1, args={"x": "1,50", "n": [1, 2]})
        second = replica.enqueue(name="a.c", version=2, args={}, correlation_id="corr-1")
        assert (first.seq, second.seq) == (1, 2)
        assert first.state is IntentState.QUEUED
        wire = first.to_intent().model_dump_json()
    with Replica.open(path) as reopened:
        entries = reopened.pending()
        assert [e.seq for e in entries] == [1, 2]
        assert entries[0].to_intent().model_dump_json() == wire  # byte-identical on resend
        assert entries[1].correlation_id == "corr-1"
        reopened.mark_sent([1])
        assert reopened.entry(1).state is IntentState.SENT  # type: ignore[union-attr]
        assert reopened.entry(1).attempts == 1  # type: ignore[union-attr]
        third = reopened.enqueue(name="a.b", version=1, args={})
        assert third.seq == 3


def test_results_are_final(path: Path) -> None:
    with Replica.open(path) as replica:
        entry = replica.enqueue(name="a.b", version=1, args={})
        rejected = IntentResult(
            seq=1,
            intent_id=entry.intent_id,
            status=IntentState.REJECTED,
            code="saldo_insuficiente",
            message="Saldo insuficiente.",
        )
        [changed] = replica.record_results([rejected])
        assert changed.state is IntentState.REJECTED
        assert changed.message == "Saldo insuficiente."
        again = rejected.model_copy(update={"status": IntentState.APPLIED})
        assert replica.record_results([again]) == []
        assert replica.entry(1).state is IntentState.REJECTED  # type: ignore[union-attr]
        assert replica.outbox_counts()[IntentState.REJECTED] == 1


def test_apply_page_creates_widens_deletes_and_moves_the_cursor(path: Path) -> None:
    with Replica.open(path) as replica:
        entry = replica.enqueue(name="a.b", version=1, args={})
        page = PullPage(
            cursor="10",
            more=True,
            tables={
                "cprs": TableChanges(
                    columns=["id", "valor", "ativo", "extra"],
                    upserts=[["c1", "100.00", True, {"k": [1]}], ["c2", "5.50", False, None]],
                )
            },
            intent_results=[
                IntentResult(
                    seq=1, intent_id=entry.intent_id, status=IntentState.APPLIED, result={"id": 1}
                )
            ],
        )
        applied = replica.apply_page(page)
        assert applied.rows == 2
        assert [e.state for e in applied.results] == [IntentState.APPLIED]
        assert replica.cursor == "10"
        assert replica.rows("cprs") == [
            {"id": "c1", "valor": "100.00", "ativo": 1, "extra": '{"k":[1]}'},
            {"id": "c2", "valor": "5.50", "ativo": 0, "extra": None},
        ]
        replica.apply_page(
            _page(
                "11",
                cprs=TableChanges(
                    columns=["id", "valor", "ativo", "extra", "novo"],
                    upserts=[["c2", "6.00", False, None, 7]],
                    deletes=["c1"],
                ),
            )
        )
        assert replica.columns("cprs") == ["id", "valor", "ativo", "extra", "novo"]
        assert replica.rows("cprs") == [
            {"id": "c2", "valor": "6.00", "ativo": 0, "extra": None, "novo": 7}
        ]
        assert replica.cursor == "11"


def test_a_page_is_applied_all_or_nothing(path: Path) -> None:
    with Replica.open(path) as replica:
        replica.apply_page(_page("1", a=TableChanges(columns=["id", "v"], upserts=[["x", 1]])))
        bad = PullPage(
            cursor="2",
            more=False,
            tables={
                "a": TableChanges(columns=["id", "v"], upserts=[["y", 2]], deletes=["x"]),
                "b": TableChanges(columns=["id", "v"], upserts=[["z", 1, "too many"]]),
            },
        )
        with pytest.raises(PageRejectedError):
            replica.apply_page(bad)
        assert replica.cursor == "1"
        assert replica.rows("a") == [{"id": "x", "v": 1}]
        assert "b" not in replica.tables()


@pytest.mark.parametrize("count", [1, ROWS_PER_INSERT, 3 * ROWS_PER_INSERT + 5])
def test_many_rows_per_statement_land_in_order_and_in_place(path: Path, count: int) -> None:
    rows = [[f"r{i:05d}", i, f"v{i}", None if i % 3 else True] for i in range(count)]
    rows.append(["r00000", -1, "replaced in the same page", {"nested": [1]}])
    with Replica.open(path) as replica:
        replica.apply_page(_page("1", t=TableChanges(columns=["id", "n", "s", "x"], upserts=rows)))
        stored = replica.rows("t")
    assert len(stored) == count
    assert stored[0] == {
        "id": "r00000",
        "n": -1,
        "s": "replaced in the same page",
        "x": '{"nested":[1]}',
    }
    assert stored[1:] == [
        {"id": f"r{i:05d}", "n": i, "s": f"v{i}", "x": None if i % 3 else 1}
        for i in range(1, count)
    ]


def test_rows_of_the_wrong_width_are_refused_even_if_the_total_adds_up(path: Path) -> None:
    # One short row and one long row: flattened, the values would still fill the statements.
    rows = [["a", 1], ["b"], ["c", 3, "extra"]] + [[f"r{i}", i] for i in range(2 * ROWS_PER_INSERT)]
    with Replica.open(path) as replica:
        with pytest.raises(PageRejectedError):
            replica.apply_page(_page("1", t=TableChanges(columns=["id", "n"], upserts=rows)))
        assert replica.cursor == INITIAL_CURSOR
        assert "t" not in replica.tables()


@pytest.mark.parametrize("name", ["outbox", "sync_state", "replica_tables", "sqlite_x", "A; DROP"])
def test_reserved_or_invalid_table_names_are_refused(path: Path, name: str) -> None:
    with Replica.open(path) as replica:
        with pytest.raises(PageRejectedError):
            replica.apply_page(
                PullPage(
                    cursor="1",
                    more=False,
                    tables={name: TableChanges(columns=["id"], upserts=[["x"]])},
                )
            )
        assert replica.cursor == INITIAL_CURSOR


def test_a_table_without_id_is_refused(path: Path) -> None:
    with Replica.open(path) as replica, pytest.raises(PageRejectedError):
        replica.apply_page(_page("1", t=TableChanges(columns=["pk"], upserts=[["x"]])))


def test_snapshot_ignores_empty_tables(path: Path) -> None:
    with Replica.open(path) as replica:
        replica.apply_page(_page("1", t=TableChanges(columns=["id"], upserts=[["x"]])))
        replica.apply_page(_page("2", t=TableChanges(columns=["id"], deletes=["x"])))
        assert replica.snapshot() == {}


def test_readers_see_committed_pages_while_a_writer_works(path: Path) -> None:
    with Replica.open(path) as replica:
        replica.apply_page(_page("1", t=TableChanges(columns=["id"], upserts=[["x"]])))
        with replica.engine.connect() as reader:
            assert reader.exec_driver_sql("SELECT COUNT(*) FROM t").scalar_one() == 1
            replica.apply_page(_page("2", t=TableChanges(columns=["id"], upserts=[["y"]])))
            reader.rollback()
            assert reader.exec_driver_sql("SELECT COUNT(*) FROM t").scalar_one() == 2


def test_default_path_is_per_user_under_the_data_dir(tmp_path: Path) -> None:
    user = uuid.uuid4()
    assert default_replica_path(user, base_dir=tmp_path) == (
        tmp_path / "accounts" / str(user) / "replica.sqlite"
    )
    assert default_replica_path(user).name == "replica.sqlite"
    assert "peerseed" in str(default_replica_path(user)).lower()


def test_checkpoints_run_in_the_background_not_in_the_commit(path: Path) -> None:
    rows = [[f"r{i:05d}", "x" * 200] for i in range(3000)]
    with Replica.open(path) as replica:
        with replica.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
        before = path.stat().st_size
        replica.apply_page(_page("1", t=TableChanges(columns=["id", "v"], upserts=rows)))
        # The rows reach the database file (copied from the WAL) without any commit doing it.
        deadline = time.monotonic() + 10
        while path.stat().st_size < before + 3000 * 200 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert path.stat().st_size >= before + 3000 * 200
        assert replica.row_count("t") == 3000
    with Replica.open(path) as again:
        assert again.row_count("t") == 3000 and again.cursor == "1"
