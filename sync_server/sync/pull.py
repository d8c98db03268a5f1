"""Pull: pages of changes of a user's scope, built in PostgreSQL and passed through as bytes.

A page is the JSON of :class:`shared_models.sync.protocol.PullPage`. Its rows (columnar arrays,
see :mod:`sync_server.sync.scopes`) are produced as JSON text by PostgreSQL and concatenated here
without per-row Python work (snapshot chunks even arrive as bytes: no decoding, no re-encoding).
Every page is read in one REPEATABLE READ, read-only transaction, so its rows, its visibility
checks and its horizon come from one snapshot.

- Cursor ``0`` starts a **snapshot**: the current rows of the user's scope, table by table in id
  order (keyset), then the change log from the horizon captured when the snapshot started. Rows
  read in later snapshot pages may be newer than that horizon: harmless, every change at or after
  it is replayed and rows are always sent as they are *now*. A page is filled by chunks: a small
  probe measures the table's rows, then one chunk sized to the room left; PostgreSQL builds each
  row once (a chunk that overflows the page is cut here, by the row lengths it also returns).
- A change-log cursor reads the user's audiences' changes after it, never at or beyond
  ``sync_horizon()`` (the oldest transaction of this database still in flight), deduplicates them
  by row and sends each row's current state if the user may see it, else its deletion.
- An idle pull (change-log cursor, nothing after it) costs one index probe per audience and
  answers ``None`` (HTTP 204).
"""

# SQL here is assembled from constants of this package only, never from request input.
# ruff: noqa: S608

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

import psycopg
import sqlalchemy as sa
from psycopg.adapt import Buffer, Loader
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

from shared_models.enums import Perfil
from sync_server.sync import scopes
from sync_server.sync.cursor import (
    ZERO_ID,
    Cursor,
    InitialCursor,
    LogCursor,
    SnapshotCursor,
    format_cursor,
    parse_cursor,
)
from sync_server.sync.prefetch import PagePrefetcher, PrefetchKey

KNOWN_TABLES: Final = frozenset(scopes.BY_NAME)
# Bytes of a page outside its rows (keys, column lists); rows get the rest of max_bytes.
PAGE_OVERHEAD: Final = 2048
DELETE_BYTES: Final = 40  # a removed row's id in "deletes"
MAX_LOG_WINDOW: Final = 20_000
# Snapshot chunks: the first chunk of a table in a page is a probe of PROBE_ROWS rows (it measures
# their JSON size); the next one asks for as many rows as should fill the room left. A page with
# less room left than FULL_ENOUGH of its budget is full (a smaller chunk costs a query for little).
PROBE_ROWS: Final = 32
MAX_CHUNK_ROWS: Final = 50_000
FULL_ENOUGH: Final = 0.04
ID_BYTES: Final = 16  # uuid_send(); every replicated table's key is a uuid


@dataclass(frozen=True)
class Viewer:
    """Who pulls: decides the audiences listened to and the visibility parameters."""

    user_id: uuid.UUID
    perfil: Perfil

    @property
    def audiences(self) -> tuple[str, ...]:
        return scopes.audiences(user_id=str(self.user_id), perfil=self.perfil)

    @property
    def params(self) -> dict[str, Any]:
        return {
            "me": self.user_id,
            "is_agent": self.perfil is Perfil.AGENTE_CAMPO,
            "is_admin": self.perfil is Perfil.ADMIN,
        }

    def audience_params(self) -> dict[str, str]:
        return {f"a{i}": a for i, a in enumerate(self.audiences)}


@dataclass(frozen=True)
class Page:
    body: bytes  # uncompressed JSON of a PullPage
    cursor: str
    more: bool
    rows: int
    snapshot: bool = False  # the next page (cursor) is still inside the initial snapshot


@dataclass
class _TablePart:
    upserts: list[bytes] = field(default_factory=list)  # comma-separated JSON arrays
    deletes: list[str] = field(default_factory=list)  # JSON arrays of ids (text)


@dataclass
class _PageBuilder:
    budget: int
    used: int = 0
    rows: int = 0
    tables: dict[str, _TablePart] = field(default_factory=dict)
    intent_results: list[bytes] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.budget - self.used

    @property
    def empty(self) -> bool:
        return self.rows == 0

    def _part(self, table: str) -> _TablePart:
        if table not in self.tables:
            self.tables[table] = _TablePart()
        return self.tables[table]

    def add(
        self, table: str, upserts: bytes | str | None, deletes: str | None, rows: int, size: int
    ) -> None:
        self.rows += rows
        self.used += size
        if isinstance(upserts, str):
            upserts = upserts.encode()
        if table == scopes.INTENT_RESULTS_TABLE:
            if upserts:
                self.intent_results.append(upserts)
            return
        part = self._part(table)
        if upserts:
            part.upserts.append(upserts)
        if deletes:
            part.deletes.append(deletes)

    def render(self, cursor: str, more: bool) -> bytes:
        head = f'{{"cursor":{json.dumps(cursor)},"more":{"true" if more else "false"},"tables":{{'
        out = [head.encode()]
        for i, (name, part) in enumerate(self.tables.items()):
            columns = json.dumps(scopes.BY_NAME[name].column_names, separators=(",", ":"))
            if len(part.deletes) == 1:
                deletes = part.deletes[0]
            else:
                ids = [i for chunk in part.deletes for i in json.loads(chunk)]
                deletes = json.dumps(ids, separators=(",", ":"))
            key = json.dumps(name)
            out.append(f'{"," if i else ""}{key}:{{"columns":{columns},"upserts":['.encode())
            out.append(b",".join(part.upserts))
            out.append(f'],"deletes":{deletes}}}'.encode())
        out.append(b'},"intent_results":[')
        out.append(b",".join(self.intent_results))
        out.append(b"]}")
        return b"".join(out)


# -- SQL ---------------------------------------------------------------------------------------


def _audience_branches(count: int, where: str, select: str, limit: str) -> str:
    branches = [
        f"(SELECT {select} FROM sync_changes c WHERE c.audience = :a{i} AND {where}"
        f" ORDER BY c.xid, c.pos{limit})"
        for i in range(count)
    ]
    return " UNION ALL ".join(branches)


def _idle_sql(count: int) -> sa.TextClause:
    # ORDER BY ... LIMIT 1 rather than EXISTS: even a generic plan of a prepared statement then
    # walks the primary key (an EXISTS may be planned as a sequential scan "that stops early").
    checks = " OR ".join(
        f"(SELECT 1 FROM sync_changes c WHERE c.audience = :a{i}"
        " AND (c.xid, c.pos) > (:cx, :cp) ORDER BY c.audience, c.xid, c.pos LIMIT 1) IS NOT NULL"
        for i in range(count)
    )
    return sa.text(f"SELECT {checks}")


def _row_lookup(table: scopes.ReplicatedTable) -> str:
    return (
        f"SELECT l.xid, l.pos, '{table.name}'::text AS table_name, l.row_id,"
        f" (SELECT {table.row_json} FROM {table.name} t"
        f" WHERE t.{table.pk} = l.row_id AND {table.visible}) AS j"
        f" FROM last l WHERE l.table_name = '{table.name}'"
    )


def _log_page_sql(count: int) -> sa.TextClause:
    window = _audience_branches(
        count,
        "(c.xid, c.pos) > (:cx, :cp) AND c.xid < (SELECT h.h FROM h)",
        "c.xid, c.pos, c.table_name, c.row_id",
        " LIMIT :m",
    )
    lookups = " UNION ALL ".join(_row_lookup(t) for t in scopes.TABLES)
    return sa.text(
        f"""
        WITH h AS MATERIALIZED (SELECT sync_horizon(CAST(:foreign AS bigint[])) AS h),
        ch AS MATERIALIZED (
            SELECT u.xid, u.pos, u.table_name, u.row_id FROM ({window}) AS u
            ORDER BY u.xid, u.pos LIMIT :m
        ),
        last AS MATERIALIZED (
            SELECT DISTINCT ON (ch.table_name, ch.row_id) ch.table_name, ch.row_id, ch.xid, ch.pos
            FROM ch ORDER BY ch.table_name, ch.row_id, ch.xid DESC, ch.pos DESC
        ),
        j AS MATERIALIZED ({lookups}),
        s AS MATERIALIZED (
            SELECT j.*, sum(coalesce(octet_length(j.j), {DELETE_BYTES}) + 1) OVER w AS acc,
                   row_number() OVER w AS rn
            FROM j WINDOW w AS (ORDER BY j.xid, j.pos)
        ),
        k AS MATERIALIZED (SELECT * FROM s WHERE s.acc <= :budget OR s.rn = 1)
        SELECT k.table_name,
               string_agg(k.j, ',' ORDER BY k.xid, k.pos) FILTER (WHERE k.j IS NOT NULL),
               (json_agg(k.row_id ORDER BY k.xid, k.pos) FILTER (WHERE k.j IS NULL))::text,
               count(*), max(k.acc), NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint
        FROM k GROUP BY k.table_name
        UNION ALL
        SELECT NULL, NULL, NULL,
               (SELECT count(*) FROM ch),
               (SELECT count(*) FROM s) - (SELECT count(*) FROM k),
               (SELECT ch.xid FROM ch ORDER BY ch.xid DESC, ch.pos DESC LIMIT 1),
               (SELECT ch.pos FROM ch ORDER BY ch.xid DESC, ch.pos DESC LIMIT 1),
               (SELECT k.xid FROM k ORDER BY k.xid DESC, k.pos DESC LIMIT 1),
               (SELECT k.pos FROM k ORDER BY k.xid DESC, k.pos DESC LIMIT 1)
        """
    )


_PSYCOPG: Final = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]


def _snapshot_chunk_sql(table: scopes.ReplicatedTable) -> str:
    """Up to ``:n`` rows of ``table``'s scope after ``:last``: their JSON arrays joined by commas,
    their ids (16 bytes each, ``uuid_send``) and their JSON lengths, all three in id order.

    The snapshot query is ordered by id, so the aggregates see the rows in that order. Compiled
    for psycopg: it runs on a raw cursor whose text results are bytes (see ``_run_chunk``).
    """
    sql = sa.text(
        f"""
        SELECT string_agg(r.j, ','), string_agg(uuid_send(r.id), ''::bytea),
               string_agg(octet_length(r.j)::text, ',')
        FROM ({table.snapshot_sql}) AS r
        """
    )
    return str(sql.compile(dialect=_PSYCOPG))


IDLE_SQL: Final = {n: _idle_sql(n) for n in (2, 3, 4)}
LOG_PAGE_SQL: Final = {n: _log_page_sql(n) for n in (2, 3, 4)}
SNAPSHOT_CHUNK_SQL: Final = {t.name: _snapshot_chunk_sql(t) for t in scopes.TABLES}
HORIZON_SQL: Final = sa.text("SELECT sync_horizon(CAST(:foreign AS bigint[]))")
FOREIGN_XIDS_SQL: Final = sa.text("SELECT sync_foreign_xids()")
# Timestamps in UTC, dates in ISO; plans depend on the values (LIMIT, audience sizes), so a
# generic plan of a prepared statement is never reused.
SESSION_SETUP_SQL: Final = sa.text(
    "SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),"
    " set_config('plan_cache_mode', 'force_custom_plan', true)"
)


# -- pull --------------------------------------------------------------------------------------


def has_changes_after(conn: sa.Connection, viewer: Viewer, position: LogCursor) -> bool:
    """Whether any change of the viewer's audiences lies after ``position`` (horizon ignored)."""
    params = {**viewer.audience_params(), "cx": position.xid, "cp": position.pos}
    return bool(conn.execute(IDLE_SQL[len(viewer.audiences)], params).scalar())


def _row_budget(max_bytes: int) -> int:
    return max(max_bytes - PAGE_OVERHEAD, 1)


class _BytesLoader(Loader):
    """Text results as the bytes PostgreSQL sent (UTF-8): a page is bytes in the end anyway."""

    def load(self, data: Buffer) -> bytes:
        return bytes(data)


@dataclass(frozen=True)
class _Chunk:
    text: bytes  # the kept rows' JSON arrays, comma-separated
    kept: int
    fetched: int
    size: int  # bytes the kept rows take in the page (a comma each)
    last: uuid.UUID | None  # id of the last kept row


def _run_chunk(
    cursor: psycopg.Cursor[Any],
    table: scopes.ReplicatedTable,
    params: dict[str, Any],
    room: int,
    force: bool,
) -> _Chunk:
    """Rows of one snapshot chunk that fit in ``room`` bytes (the first one anyway if ``force``).

    PostgreSQL builds every fetched row once; when they do not all fit, the rows are cut here at
    the last one that does, using the lengths the query returns alongside.
    """
    row = cursor.execute(SNAPSHOT_CHUNK_SQL[table.name], params).fetchone()
    if row is None or not row[1]:
        return _Chunk(b"", 0, 0, 0, None)
    text: bytes = row[0]
    ids: bytes = row[1]
    lengths: bytes = row[2]
    fetched = kept = len(ids) // ID_BYTES
    size = len(text) + 1
    if size > room:  # drop rows from the end until the rest fits (the estimate was a bit off)
        sizes = lengths.split(b",")
        while kept and size > room:
            kept -= 1
            size -= int(sizes[kept]) + 1
        if kept == 0 and force:  # a row larger than the page travels alone
            kept, size = 1, int(sizes[0]) + 1
        if kept == 0:
            return _Chunk(b"", 0, fetched, 0, None)
        text = text[: size - 1]
    last = uuid.UUID(bytes=bytes(ids[(kept - 1) * ID_BYTES : kept * ID_BYTES]))
    return _Chunk(text, kept, fetched, size, last)


def _snapshot_page(
    conn: sa.Connection, viewer: Viewer, cursor: SnapshotCursor, max_bytes: int
) -> tuple[_PageBuilder, Cursor, bool]:
    builder = _PageBuilder(_row_budget(max_bytes))
    full_enough = int(builder.budget * FULL_ENOUGH)
    names = [t.name for t in scopes.TABLES]
    index = names.index(cursor.table)
    last = cursor.last
    # This table's rows in this page so far (bytes, rows): the size estimate of the next chunk.
    measured = (0, 0)
    raw = conn.connection.dbapi_connection
    assert isinstance(raw, psycopg.Connection)
    with raw.cursor() as pg:
        pg.adapters.register_loader("text", _BytesLoader)
        while index < len(scopes.TABLES):
            table = scopes.TABLES[index]
            overhead = 0 if table.name in builder.tables else 64 + 16 * len(table.columns)
            room = builder.remaining - overhead
            if room <= full_enough and not builder.empty:  # full: the next page starts here
                return builder, SnapshotCursor(cursor.horizon, table.name, last), True
            if measured[1] == 0:
                n = PROBE_ROWS
            else:
                n = min(max(room * measured[1] // measured[0], 1), MAX_CHUNK_ROWS)
            chunk = _run_chunk(
                pg, table, {**viewer.params, "last": last, "n": n}, room, builder.empty
            )
            if chunk.kept:
                assert chunk.last is not None
                builder.add(table.name, chunk.text, None, chunk.kept, chunk.size + overhead)
                last = chunk.last
                measured = (measured[0] + chunk.size, measured[1] + chunk.kept)
            if chunk.kept < chunk.fetched or (
                chunk.fetched == n and builder.remaining <= full_enough
            ):  # the page is full
                return builder, SnapshotCursor(cursor.horizon, table.name, last), True
            if chunk.fetched < n:  # this table is done
                index += 1
                last = ZERO_ID
                measured = (0, 0)
    after = LogCursor(cursor.horizon, 0)
    return builder, after, has_changes_after(conn, viewer, after)


def _log_page(
    conn: sa.Connection, viewer: Viewer, cursor: LogCursor, max_bytes: int, foreign: list[int]
) -> tuple[_PageBuilder, Cursor, bool]:
    budget = _row_budget(max_bytes)
    window = min(max(budget // 150, 64), MAX_LOG_WINDOW)
    rows = conn.execute(
        LOG_PAGE_SQL[len(viewer.audiences)],
        {
            **viewer.params,
            **viewer.audience_params(),
            "cx": cursor.xid,
            "cp": cursor.pos,
            "m": window,
            "budget": budget,
            "foreign": foreign,
        },
    ).all()
    builder = _PageBuilder(budget)
    fetched = cut = 0
    ch_last = kept_last = cursor
    for table, upserts, deletes, count, size, ch_xid, ch_pos, kept_xid, kept_pos in rows:
        if table is not None:
            builder.add(table, upserts, deletes, int(count), int(size or 0))
            continue
        fetched, cut = int(count), int(size or 0)
        if fetched:
            ch_last = LogCursor(int(ch_xid), int(ch_pos))
            kept_last = LogCursor(int(kept_xid), int(kept_pos))
    if fetched == 0:
        return builder, cursor, False
    if cut:
        return builder, kept_last, True
    return builder, ch_last, fetched >= window


def pull(engine: sa.Engine, *, viewer: Viewer, cursor: str, max_bytes: int) -> Page | None:
    """The next page after ``cursor`` for ``viewer``, or None when nothing is deliverable."""
    parsed = parse_cursor(cursor, known_tables=KNOWN_TABLES)
    with engine.connect() as conn:
        foreign: list[int] = []
        if not isinstance(parsed, SnapshotCursor):  # a snapshot page needs no horizon
            conn.execution_options(isolation_level="AUTOCOMMIT")
            if isinstance(parsed, LogCursor) and not has_changes_after(conn, viewer, parsed):
                conn.rollback()
                return None
            # Read before the page's snapshot: see sync_horizon() in migration 0006.
            foreign = list(conn.execute(FOREIGN_XIDS_SQL).scalar_one())
            conn.rollback()
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            conn.execute(SESSION_SETUP_SQL)
            if isinstance(parsed, InitialCursor):
                horizon = int(conn.execute(HORIZON_SQL, {"foreign": foreign}).scalar_one())
                parsed = SnapshotCursor(horizon, scopes.TABLES[0].name, ZERO_ID)
            if isinstance(parsed, SnapshotCursor):
                builder, after, more = _snapshot_page(conn, viewer, parsed, max_bytes)
            else:
                builder, after, more = _log_page(conn, viewer, parsed, max_bytes, foreign)
    if builder.empty and not more and after == parsed:
        return None
    text = format_cursor(after)
    return Page(
        body=builder.render(text, more),
        cursor=text,
        more=more,
        rows=builder.rows,
        snapshot=isinstance(after, SnapshotCursor),
    )


def pull_with_prefetch(
    engine: sa.Engine,
    prefetcher: PagePrefetcher[Page | None] | None,
    *,
    viewer: Viewer,
    cursor: str,
    max_bytes: int,
) -> Page | None:
    """:func:`pull`, served from ``prefetcher`` when the page was built ahead, and building the
    next snapshot page ahead once this one is known (see :mod:`sync_server.sync.prefetch`)."""
    key = PrefetchKey(viewer.user_id, viewer.perfil, cursor)
    found, page = prefetcher.take(key, max_bytes) if prefetcher is not None else (False, None)
    if not found:
        page = pull(engine, viewer=viewer, cursor=cursor, max_bytes=max_bytes)
    if prefetcher is not None and page is not None and page.more and page.snapshot:
        after = page.cursor
        prefetcher.schedule(
            PrefetchKey(viewer.user_id, viewer.perfil, after),
            max_bytes,
            lambda: pull(engine, viewer=viewer, cursor=after, max_bytes=max_bytes),
        )
    return page
