"""The local replica: one SQLite file per user account, with the outbox and the sync cursor.

- Opened with :meth:`Replica.open`, which sets WAL mode and migrates the file forward
  (``PRAGMA user_version``, steps in ``desktop.replica.migrations``).
- Replicated tables are generic: one local table per server table, named like it, created (and
  widened with ``ALTER TABLE ADD COLUMN``) from the columns a pulled page announces. The primary
  key is ``id`` (text); the other columns have no declared type, so values keep the JSON type the
  server sent (text, integer, real, NULL; booleans become 0/1, objects and arrays JSON text).
- :meth:`Replica.apply_page` applies a page — deletions, upserts (one ``executemany`` per table),
  intent results and the new cursor — in ONE transaction, so a dropped link resumes exactly after
  the last applied page.
- The outbox keeps every intent with a gapless per-device ``seq`` assigned at enqueue, in the same
  transaction, and its contents (``args`` JSON, ``created_at``) frozen from then on.

Thread use: the sync worker owns the writes; other threads may read through their own
connections (WAL lets readers run during a write). No Qt here.
"""

# SQL here is assembled from this module's constants and from identifiers checked by _quote()
# (a strict pattern, then double-quoted); values always travel as bound parameters.
# ruff: noqa: S608

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry

from desktop.replica.migrations import MIGRATIONS
from shared_models.sync.protocol import (
    INITIAL_CURSOR,
    Intent,
    IntentResult,
    IntentState,
    PullPage,
    TableChanges,
)

PK_COLUMN = "id"
ROWS_PER_INSERT = 64  # rows per INSERT statement when applying a page (see _insert_rows)
CHECKPOINT_EVERY_S = 0.1  # at most one background WAL checkpoint per this many seconds
# Local bookkeeping tables: a server table can never take one of these names.
RESERVED_TABLES = frozenset({"sync_state", "outbox", "replica_tables"})
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

STATE_CURSOR = "cursor"
STATE_DEVICE_ID = "device_id"
STATE_LAST_PULL_AT = "last_pull_at"
STATE_LAST_SYNC_AT = "last_sync_at"

Clock = Callable[[], datetime]


class ReplicaError(Exception):
    """Base class of the replica's errors."""


class ReplicaTooNewError(ReplicaError):
    """The file was written by a newer version of the app (its user_version is ahead of ours)."""


class PageRejectedError(ReplicaError):
    """A pulled page cannot be applied (bad identifier, no primary key...): a server bug."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _quote(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise PageRejectedError(f"invalid identifier: {identifier!r}")
    return f'"{identifier}"'


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One intent of the outbox, as stored."""

    device_id: uuid.UUID
    seq: int
    intent_id: uuid.UUID
    name: str
    version: int
    args_json: str
    correlation_id: str | None
    state: IntentState
    code: str | None
    message: str | None
    result: dict[str, Any] | None
    created_at: datetime
    sent_at: datetime | None
    resolved_at: datetime | None
    attempts: int
    resubmission_of: int | None

    @property
    def args(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.args_json)
        return value

    @property
    def pending(self) -> bool:
        return self.state in (IntentState.QUEUED, IntentState.SENT)

    def to_intent(self) -> Intent:
        """The wire form; always built from the frozen stored contents."""
        return Intent(
            seq=self.seq,
            intent_id=self.intent_id,
            name=self.name,
            version=self.version,
            args=self.args,
            correlation_id=self.correlation_id,
            created_at=self.created_at,
        )


_OUTBOX_COLUMNS = (
    "device_id, seq, intent_id, name, version, args, correlation_id, state, code, message, "
    "result, created_at, sent_at, resolved_at, attempts, resubmission_of"
)


def _entry(row: Sequence[Any]) -> OutboxEntry:
    created = _parse_iso(row[11])
    assert created is not None
    return OutboxEntry(
        device_id=uuid.UUID(row[0]),
        seq=int(row[1]),
        intent_id=uuid.UUID(row[2]),
        name=row[3],
        version=int(row[4]),
        args_json=row[5],
        correlation_id=row[6],
        state=IntentState(row[7]),
        code=row[8],
        message=row[9],
        result=json.loads(row[10]) if row[10] is not None else None,
        created_at=created,
        sent_at=_parse_iso(row[12]),
        resolved_at=_parse_iso(row[13]),
        attempts=int(row[14]),
        resubmission_of=row[15],
    )


@dataclass(frozen=True, slots=True)
class AppliedPage:
    rows: int  # upserted + deleted rows
    results: list[OutboxEntry]  # outbox entries resolved by the page's intent results


def _make_engine(path: Path) -> sa.Engine:
    engine = sa.create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=2,
        max_overflow=4,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # We issue BEGIN ourselves (below): pysqlite's implicit transactions would leave DDL
        # outside the page's transaction.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe in WAL
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-16000")
        # Checkpoints run on the replica's own thread (see _Checkpointer), not in the commit of
        # whichever write crosses the threshold: a page's commit must not wait for one.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Replica:
    """The local SQLite replica of one user account. Build with :meth:`open`."""

    def __init__(self, engine: sa.Engine, path: Path, device_id: uuid.UUID, now: Clock) -> None:
        self._engine = engine
        self.path = path
        self.device_id = device_id
        self._now = now
        self._known: dict[str, tuple[str, ...]] = {}  # table -> local columns (cache)
        self._checkpointer = _Checkpointer(path)

    # -- lifecycle ------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        device_id: uuid.UUID | None = None,
        now: Clock = _utcnow,
    ) -> Replica:
        """Open (creating if needed) and migrate the replica at ``path``.

        The device id is generated on first open and stored; passing one only matters then (a
        different one later raises, because seqs are per device).
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = _make_engine(path)
        try:
            migrate(engine)
            with _write(engine) as conn:
                stored = conn.exec_driver_sql(
                    "SELECT value FROM sync_state WHERE key = ?", (STATE_DEVICE_ID,)
                ).scalar()
                if stored is None:
                    device = device_id or uuid.uuid4()
                    conn.exec_driver_sql(
                        "INSERT INTO sync_state (key, value) VALUES (?, ?), (?, ?)",
                        (STATE_DEVICE_ID, str(device), STATE_CURSOR, INITIAL_CURSOR),
                    )
                else:
                    device = uuid.UUID(stored)
                    if device_id is not None and device_id != device:
                        raise ReplicaError("this replica belongs to another device id")
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, path, device, now)

    def close(self) -> None:
        self._checkpointer.close()
        self._engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A write transaction (see :func:`_write`); a WAL checkpoint follows in the background."""
        with _write(self._engine) as conn:
            yield conn
        self._checkpointer.request()

    def __enter__(self) -> Replica:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def engine(self) -> sa.Engine:
        """For readers (the UI's queries run on their own connections)."""
        return self._engine

    @property
    def schema_version(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())

    # -- sync state -----------------------------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        with self._engine.connect() as conn:
            value = conn.exec_driver_sql(
                "SELECT value FROM sync_state WHERE key = ?", (key,)
            ).scalar()
            return None if value is None else str(value)

    def set_state(self, key: str, value: str) -> None:
        with self._write() as conn:
            _set_state(conn, key, value)

    @property
    def cursor(self) -> str:
        return self.get_state(STATE_CURSOR) or INITIAL_CURSOR

    @property
    def last_sync_at(self) -> datetime | None:
        """End of the last sync that completed (push and pull) without error."""
        return _parse_iso(self.get_state(STATE_LAST_SYNC_AT))

    def mark_synced(self) -> None:
        self.set_state(STATE_LAST_SYNC_AT, _iso(self._now()))

    # -- outbox ---------------------------------------------------------------------------------

    def enqueue(
        self,
        *,
        name: str,
        version: int,
        args: dict[str, Any],
        correlation_id: str | None = None,
        resubmission_of: int | None = None,
    ) -> OutboxEntry:
        """Store a (validated) intent with the next seq of this device; contents are frozen."""
        args_json = _dumps(args)
        created = _iso(self._now())
        intent_id = uuid.uuid4()
        with self._write() as conn:
            seq = int(
                conn.exec_driver_sql(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox WHERE device_id = ?",
                    (str(self.device_id),),
                ).scalar_one()
            )
            conn.exec_driver_sql(
                "INSERT INTO outbox (device_id, seq, intent_id, name, version, args,"
                " correlation_id, state, created_at, resubmission_of)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                (
                    str(self.device_id),
                    seq,
                    str(intent_id),
                    name,
                    version,
                    args_json,
                    correlation_id,
                    created,
                    resubmission_of,
                ),
            )
            row = conn.exec_driver_sql(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE device_id = ? AND seq = ?",
                (str(self.device_id), seq),
            ).one()
        return _entry(row)

    def outbox(
        self, states: Iterable[IntentState] | None = None, *, limit: int | None = None
    ) -> list[OutboxEntry]:
        """Entries of this device in seq order, optionally filtered by state."""
        sql = f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE device_id = ?"
        params: list[Any] = [str(self.device_id)]
        if states is not None:
            wanted = [IntentState(s).value for s in states]
            sql += f" AND state IN ({', '.join('?' * len(wanted))})"
            params.extend(wanted)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._engine.connect() as conn:
            return [_entry(r) for r in conn.exec_driver_sql(sql, tuple(params))]

    def pending(self, *, limit: int | None = None) -> list[OutboxEntry]:
        """Intents not yet resolved (queued or sent), in seq order."""
        return self.outbox((IntentState.QUEUED, IntentState.SENT), limit=limit)

    def entry(self, seq: int) -> OutboxEntry | None:
        with self._engine.connect() as conn:
            row = conn.exec_driver_sql(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE device_id = ? AND seq = ?",
                (str(self.device_id), seq),
            ).first()
        return _entry(row) if row is not None else None

    def outbox_counts(self) -> dict[IntentState, int]:
        counts = dict.fromkeys(IntentState, 0)
        with self._engine.connect() as conn:
            for state, n in conn.exec_driver_sql(
                "SELECT state, COUNT(*) FROM outbox WHERE device_id = ? GROUP BY state",
                (str(self.device_id),),
            ):
                counts[IntentState(state)] = int(n)
        return counts

    def mark_sent(self, seqs: Sequence[int]) -> None:
        """Before a push: queued → sent (and count the attempt). Contents never change."""
        now = _iso(self._now())
        with self._write() as conn:
            conn.exec_driver_sql(
                "UPDATE outbox SET state = CASE state WHEN 'queued' THEN 'sent' ELSE state END,"
                " sent_at = COALESCE(sent_at, ?), attempts = attempts + 1"
                " WHERE device_id = ? AND seq = ?",
                [(now, str(self.device_id), seq) for seq in seqs],
            )

    def record_results(self, results: Iterable[IntentResult]) -> list[OutboxEntry]:
        """Store final results (from a push response or a pulled page); returns what changed."""
        with self._write() as conn:
            changed = _record_results(conn, results, _iso(self._now()))
        return self._reload(changed)

    def _reload(self, intent_ids: list[str]) -> list[OutboxEntry]:
        if not intent_ids:
            return []
        with self._engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox"
                f" WHERE intent_id IN ({', '.join('?' * len(intent_ids))}) ORDER BY seq",
                tuple(intent_ids),
            ).all()
        return [_entry(r) for r in rows]

    # -- replicated tables ----------------------------------------------------------------------

    def apply_page(self, page: PullPage) -> AppliedPage:
        """Apply one pulled page and its cursor in ONE transaction."""
        rows = 0
        created: dict[str, tuple[str, ...]] = {}
        with self._write() as conn:
            for table, changes in page.tables.items():
                rows += self._apply_table(conn, table, changes, created)
            changed = _record_results(conn, page.intent_results, _iso(self._now()))
            _set_state(conn, STATE_CURSOR, page.cursor)
            _set_state(conn, STATE_LAST_PULL_AT, _iso(self._now()))
        self._known.update(created)  # trusted only once committed
        return AppliedPage(rows=rows, results=self._reload(changed))

    def _apply_table(
        self,
        conn: sa.Connection,
        table: str,
        changes: TableChanges,
        created: dict[str, tuple[str, ...]],
    ) -> int:
        if table in RESERVED_TABLES or table.startswith("sqlite_"):
            raise PageRejectedError(f"reserved table name: {table!r}")
        qtable = _quote(table)
        columns = tuple(changes.columns)
        if changes.upserts or changes.deletes:
            known = created.get(table) or self._known.get(table)
            if known is None or not set(columns) <= set(known):
                created[table] = self._ensure_table(conn, table, columns)
        applied = 0
        if changes.deletes:
            conn.exec_driver_sql(
                f'DELETE FROM {qtable} WHERE "{PK_COLUMN}" = ?', [(pk,) for pk in changes.deletes]
            )
            applied += len(changes.deletes)
        if changes.upserts:
            rows = changes.upserts
            width = len(columns)
            if any(n != width for n in set(map(len, rows))):
                raise PageRejectedError(f"{table}: a row does not match its {width} columns")
            cursor = _dbapi_cursor(conn)
            try:
                _insert_rows(cursor, qtable, columns, rows)
            except (sqlite3.InterfaceError, sqlite3.ProgrammingError):
                # A value SQLite cannot bind (a JSON object or array): stored as JSON text.
                # INSERT OR REPLACE makes the retry idempotent within the transaction.
                _insert_rows(cursor, qtable, columns, [_bindable(row) for row in rows])
            finally:
                cursor.close()
            applied += len(rows)
        return applied

    def _ensure_table(
        self, conn: sa.Connection, table: str, columns: tuple[str, ...]
    ) -> tuple[str, ...]:
        """Create or widen the local table; returns its columns."""
        if PK_COLUMN not in columns:
            raise PageRejectedError(f"{table}: no {PK_COLUMN!r} column in {columns}")
        row = conn.exec_driver_sql(
            "SELECT columns FROM replica_tables WHERE name = ?", (table,)
        ).scalar()
        local: list[str] = json.loads(row) if row is not None else []
        if row is None:
            others = [c for c in columns if c != PK_COLUMN]
            defs = [f'"{PK_COLUMN}" TEXT PRIMARY KEY NOT NULL', *(_quote(c) for c in others)]
            conn.exec_driver_sql(f"CREATE TABLE {_quote(table)} ({', '.join(defs)})")
            local = [PK_COLUMN, *others]
        else:
            for column in columns:
                if column not in local:
                    conn.exec_driver_sql(f"ALTER TABLE {_quote(table)} ADD COLUMN {_quote(column)}")
                    local.append(column)
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO replica_tables (name, pk, columns, updated_at)"
            " VALUES (?, ?, ?, ?)",
            (table, PK_COLUMN, json.dumps(local), _iso(self._now())),
        )
        return tuple(local)

    def reset_replicated(self) -> None:
        """Empty every replicated table and go back to the initial cursor (full resync)."""
        with self._write() as conn:
            names = [str(r[0]) for r in conn.exec_driver_sql("SELECT name FROM replica_tables")]
            for name in names:
                conn.exec_driver_sql(f"DELETE FROM {_quote(name)}")
            _set_state(conn, STATE_CURSOR, INITIAL_CURSOR)

    def tables(self) -> list[str]:
        """Names of the replicated tables present locally."""
        with self._engine.connect() as conn:
            return [
                str(r[0])
                for r in conn.exec_driver_sql("SELECT name FROM replica_tables ORDER BY name")
            ]

    def columns(self, table: str) -> list[str]:
        with self._engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT columns FROM replica_tables WHERE name = ?", (table,)
            ).scalar()
        return list(json.loads(row)) if row is not None else []

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of a replicated table, as dicts ordered by primary key (small tables/tests)."""
        if table not in self.tables():
            return []
        with self._engine.connect() as conn:
            result = conn.exec_driver_sql(
                f'SELECT * FROM {_quote(table)} ORDER BY "{PK_COLUMN}"'
            ).mappings()
            return [dict(r) for r in result]

    def row_count(self, table: str) -> int:
        if table not in self.tables():
            return 0
        with self._engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {_quote(table)}").scalar_one())

    def snapshot(self) -> dict[str, set[tuple[tuple[str, Any], ...]]]:
        """Every non-empty replicated table as a set of rows (for comparing two replicas)."""
        out: dict[str, set[tuple[tuple[str, Any], ...]]] = {}
        for table in self.tables():
            rows = {tuple(sorted(r.items())) for r in self.rows(table)}
            if rows:
                out[table] = rows
        return out


class _Checkpointer:
    """WAL checkpoints on a thread of their own, after write transactions.

    The app's connections never checkpoint (``wal_autocheckpoint=0``): copying the WAL back into
    the database file and syncing both (``synchronous=NORMAL`` makes commits durable there) would
    otherwise fall on the commit that crosses the threshold, i.e. on the sync worker while it
    applies pages. Here a ``PASSIVE`` checkpoint (it waits for no reader or writer) runs after
    every write transaction that asks for it, at most ``CHECKPOINT_EVERY_S`` apart, on its own
    connection, the GIL released. Started on the first request; :meth:`close` runs a last one.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="replica-checkpoint", daemon=True
                )
                self._thread.start()
        self._wanted.set()

    def close(self) -> None:
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
        self._wanted.set()
        if thread is not None:
            thread.join()

    def _loop(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, timeout=30)
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                with suppress(sqlite3.Error):  # busy or gone: the next request tries again
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if self._stop.is_set():
                    return
                self._stop.wait(CHECKPOINT_EVERY_S)
        finally:
            conn.close()


def _dbapi_cursor(conn: sa.Connection) -> sqlite3.Cursor:
    raw = conn.connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw.cursor()


def _insert_rows(
    cursor: sqlite3.Cursor, qtable: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``INSERT OR REPLACE`` of ``rows`` (all of ``len(columns)`` values), several per statement.

    One multi-row ``VALUES`` statement per ``ROWS_PER_INSERT`` rows, through ``executemany``:
    SQLite runs each statement in one step (the GIL is released meanwhile), which costs about a
    fifth less than one statement per row.
    """
    width = len(columns)
    limit = cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(ROWS_PER_INSERT, limit // width))
    head = f"INSERT OR REPLACE INTO {qtable} ({', '.join(_quote(c) for c in columns)}) VALUES "
    one = f"({', '.join('?' * width)})"
    whole = len(rows) - len(rows) % per
    flat = itertools.chain.from_iterable
    if whole:
        cursor.executemany(
            head + ", ".join([one] * per),
            (tuple(flat(rows[i : i + per])) for i in range(0, whole, per)),
        )
    if whole < len(rows):
        rest = rows[whole:]
        cursor.execute(head + ", ".join([one] * len(rest)), tuple(flat(rest)))


def _bindable(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(_dumps(v) if isinstance(v, dict | list) else v for v in row)


def _set_state(conn: sa.Connection, key: str, value: str) -> None:
    conn.exec_driver_sql(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _record_results(conn: sa.Connection, results: Iterable[IntentResult], now: str) -> list[str]:
    changed: list[str] = []
    for result in results:
        if result.status not in (IntentState.APPLIED, IntentState.REJECTED):
            continue
        cur = conn.exec_driver_sql(
            "UPDATE outbox SET state = ?, code = ?, message = ?, result = ?, resolved_at = ?"
            " WHERE intent_id = ? AND state IN ('queued', 'sent')",
            (
                result.status.value,
                result.code,
                result.message,
                _dumps(result.result) if result.result is not None else None,
                now,
                str(result.intent_id),
            ),
        )
        if cur.rowcount:
            changed.append(str(result.intent_id))
    return changed


@contextmanager
def _write(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A write transaction (``BEGIN IMMEDIATE``): committed on success, rolled back on error."""
    with engine.connect() as base:
        conn = base.execution_options(immediate=True)
        with conn.begin():
            yield conn


def migrate(engine: sa.Engine) -> int:
    """Bring the file to the current schema version; returns the version."""
    with _write(engine) as conn:
        version = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
        if version > len(MIGRATIONS):
            raise ReplicaTooNewError(
                f"replica schema version {version} is newer than this app ({len(MIGRATIONS)})"
            )
        for target in range(version + 1, len(MIGRATIONS) + 1):
            MIGRATIONS[target - 1](conn)
            conn.exec_driver_sql(f"PRAGMA user_version = {target}")
    return len(MIGRATIONS)


def default_replica_path(user_id: uuid.UUID | str, *, base_dir: Path | None = None) -> Path:
    """``<user data dir>/accounts/<user-id>/replica.sqlite`` (platformdirs ``peerseed``)."""
    if base_dir is None:
        import platformdirs

        base_dir = Path(platformdirs.user_data_dir("peerseed", appauthor=False))
    return base_dir / "accounts" / str(uuid.UUID(str(user_id))) / "replica.sqlite"
