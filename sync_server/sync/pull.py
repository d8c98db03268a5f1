"""Pull: pages of changes of a user's scope, built in PostgreSQL and passed through as bytes.

A page is the JSON of :class:`shared_models.sync.protocol.PullPage`. Its rows (columnar arrays,
see :mod:`sync_server.sync.scopes`) are produced as JSON text by PostgreSQL and concatenated here
without per-row Python work. Every page is read in one REPEATABLE READ, read-only transaction, so
its rows, its visibility checks and its horizon come from one snapshot.

- Cursor ``0`` starts a **snapshot**: the current rows of the user's scope, table by table in id
  order (keyset), then the change log from the horizon captured when the snapshot started. Rows
  read in later snapshot pages may be newer than that horizon: harmless, every change at or after
  it is replayed and rows are always sent as they are *now*.
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
import math
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

import sqlalchemy as sa

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

KNOWN_TABLES: Final = frozenset(scopes.BY_NAME)
# Bytes of a page outside its rows (keys, column lists); rows get the rest of max_bytes.
PAGE_OVERHEAD: Final = 2048
DELETE_BYTES: Final = 40  # a removed row's id in "deletes"
FIRST_GUESS_ROW_BYTES: Final = 200
MAX_CHUNK_ROWS: Final = 50_000
MAX_LOG_WINDOW: Final = 20_000


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


@dataclass
class _TablePart:
    upserts: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)  # JSON arrays of ids (text)


@dataclass
class _PageBuilder:
    budget: int
    used: int = 0
    rows: int = 0
    tables: dict[str, _TablePart] = field(default_factory=dict)
    intent_results: list[str] = field(default_factory=list)

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
        self, table: str, upserts: str | None, deletes: str | None, rows: int, size: int
    ) -> None:
        self.rows += rows
        self.used += size
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
        out = ['{"cursor":', json.dumps(cursor), ',"more":', "true" if more else "false"]
        out.append(',"tables":{')
        for i, (name, part) in enumerate(self.tables.items()):
            columns = json.dumps(scopes.BY_NAME[name].column_names, separators=(",", ":"))
            if len(part.deletes) == 1:
                deletes = part.deletes[0]
            else:
                ids = [i for chunk in part.deletes for i in json.loads(chunk)]
                deletes = json.dumps(ids, separators=(",", ":"))
            out.append(
                f'{"," if i else ""}{json.dumps(name)}:{{"columns":{columns},'
                f'"upserts":[{",".join(part.upserts)}],"deletes":{deletes}}}'
            )
        out.append('},"intent_results":[')
        out.append(",".join(self.intent_results))
        out.append("]}")
        return "".join(out).encode()


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


def _snapshot_chunk_sql(table: scopes.ReplicatedTable) -> sa.TextClause:
    # The snapshot query is ordered by id, so the window needs no sort and the aggregates see
    # the rows in id order (string_agg without ORDER BY: no second sort of the row texts).
    return sa.text(
        f"""
        SELECT string_agg(s.j, ',') FILTER (WHERE s.keep),
               count(*) FILTER (WHERE s.keep),
               count(*),
               max(s.id::text COLLATE "C") FILTER (WHERE s.keep),  -- uuid order, no sort
               coalesce(max(s.acc) FILTER (WHERE s.keep), 0)
        FROM (
            SELECT w.id, w.j, w.acc, (w.acc <= :budget OR (w.rn = 1 AND :force)) AS keep
            FROM (
                SELECT r.id, r.j,
                       sum(octet_length(r.j) + 1) OVER (ORDER BY r.id) AS acc,
                       row_number() OVER (ORDER BY r.id) AS rn
                FROM ({table.snapshot_sql}) AS r
            ) AS w
        ) AS s
        """
    )


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


def _snapshot_page(
    conn: sa.Connection, viewer: Viewer, cursor: SnapshotCursor, max_bytes: int
) -> tuple[_PageBuilder, Cursor, bool]:
    builder = _PageBuilder(_row_budget(max_bytes))
    names = [t.name for t in scopes.TABLES]
    index = names.index(cursor.table)
    last = cursor.last
    estimate = FIRST_GUESS_ROW_BYTES
    while index < len(scopes.TABLES):
        table = scopes.TABLES[index]
        overhead = 0 if table.name in builder.tables else 64 + 16 * len(table.columns)
        remaining = builder.remaining - overhead
        n = min(max(math.ceil(max(remaining, 0) / estimate * 1.05) + 4, 8), MAX_CHUNK_ROWS)
        text, kept, fetched, last_id, size = conn.execute(
            SNAPSHOT_CHUNK_SQL[table.name],
            {**viewer.params, "last": last, "n": n, "budget": remaining, "force": builder.empty},
        ).one()
        if kept:
            builder.add(table.name, text, None, kept, size + overhead)
            last = uuid.UUID(last_id)
            estimate = max(size // kept, 16)
        if kept < fetched:  # the page is full
            return builder, SnapshotCursor(cursor.horizon, table.name, last), True
        if fetched < n:  # this table is done
            index += 1
            last = ZERO_ID
            estimate = FIRST_GUESS_ROW_BYTES
        elif builder.remaining <= 0:
            return builder, SnapshotCursor(cursor.horizon, table.name, last), True
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
    return Page(body=builder.render(text, more), cursor=text, more=more, rows=builder.rows)
