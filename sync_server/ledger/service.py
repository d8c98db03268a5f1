"""Appending to and verifying the hash-chained ledger (``ledger_eventos``).

Appending serialises on one transaction-scoped advisory lock. Under READ COMMITTED every
statement takes a fresh snapshot, so the statement that reads the chain's head *after* the lock
was granted sees every append committed before it, and no other append can proceed until this
transaction ends (PostgreSQL releases the lock after the commit is visible). Ids come from the
table's sequence under the same lock, so ids grow in chain order; rolled-back appends leave gaps,
which are harmless: the chain is linked by hashes, not by consecutive ids. The unique indexes on
``hash_anterior`` and on the genesis row make a fork impossible even if this protocol were
bypassed.

Speed: the lock and the INSERT travel in one pipelined round trip (with the implicit BEGIN); the
INSERT reads the head, draws the id and the timestamp and finishes the hash in SQL from canonical
pieces computed in Python (:class:`shared_models.ledger.EventTemplate`), and Python checks the
returned hash. The chain lock is held from that INSERT until the caller's COMMIT returns, which
by default includes the WAL flush: appends are durable one flush at a time. ``group_commit=True``
lets the lock go as soon as the commit is visible and moves the flush out of the critical section
(see :func:`append_event` and :func:`wait_durable`).

The timestamp is the database's ``clock_timestamp()`` read under the lock: one clock for every
server process and host, so timestamps never go backwards along the chain (barring a clock step
on the database host).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, NamedTuple, TextIO

import psycopg
import sqlalchemy as sa

from shared_models.ledger import (
    EventTemplate,
    LedgerEvent,
    compute_hash,
    event_template,
    validate_dados_evento,
    validate_event_fields,
)
from sync_server.db import make_engine

__all__ = [
    "GROUP_COMMIT_OPTION",
    "LEDGER_LOCK_KEY",
    "LedgerEntry",
    "LedgerError",
    "VerifyResult",
    "append_and_commit",
    "append_event",
    "ledger_head",
    "owes_durability",
    "verify_chain",
    "verify_ledger_command",
    "wait_durable",
]

# A unit of work (the request transaction of ``sync_server.deps.get_db``) sets this execution
# option on its connection to make group commit the default of every append_event in it; it then
# owes a durability barrier after its commit (:func:`owes_durability`, :func:`wait_durable`).
GROUP_COMMIT_OPTION: Final = "peerseed_ledger_group_commit"
_BARRIER_OWED: Final = "peerseed_ledger_barrier_owed"

# pg_advisory_xact_lock key of the ledger: the ASCII bytes of "PEERSEED" as a bigint.
LEDGER_LOCK_KEY: Final = int.from_bytes(b"PEERSEED", "big")
DEFAULT_BATCH_SIZE: Final = 5000


class LedgerError(RuntimeError):
    """The ledger cannot be appended to from this connection (a programming error)."""


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One appended row of ``ledger_eventos``."""

    id: int
    timestamp: datetime
    tipo_evento: str
    ator_id: uuid.UUID | None
    ator_tipo: str | None
    dados_evento: Mapping[str, Any]
    hash_anterior: str | None
    hash_atual: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of :func:`verify_chain`.

    ``count`` is the number of events read: all of them for a sound chain, up to and including the
    first broken one otherwise. ``head_hash`` is the ``hash_atual`` of the last sound event read.
    """

    ok: bool
    count: int
    head_hash: str | None
    first_broken_id: int | None = None
    reason: str | None = None


# Sent in one pipeline. The INSERT is a separate statement from the lock, so its READ COMMITTED
# snapshot is taken once the lock is held and sees the head committed by the previous holder; it
# runs the moment the lock is granted, without a round trip to the client.
_LOCK_SQL = "SELECT pg_advisory_xact_lock(%(k)s)"
_LOCK_GROUP_COMMIT_SQL = (
    "SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(%(k)s)"
)
_INSERT_SQL = (
    "INSERT INTO ledger_eventos"
    " (id, timestamp, tipo_evento, ator_id, ator_tipo, dados_evento, hash_anterior, hash_atual)"
    " SELECT n.id, n.ts, %(tipo)s, CAST(%(ator_id)s AS uuid), %(ator_tipo)s,"
    " CAST(%(dados)s AS jsonb), h.hash_atual,"
    " encode(sha256(convert_to(coalesce(h.hash_atual, '') || chr(10) || %(before_id)s"
    " || n.id::text || %(before_ts)s"
    " || to_char(n.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    " || %(after_ts)s, 'UTF8')), 'hex')"
    " FROM (SELECT nextval('ledger_eventos_id_seq') AS id, clock_timestamp() AS ts) AS n"
    " LEFT JOIN (SELECT hash_atual FROM ledger_eventos ORDER BY id DESC LIMIT 1) AS h ON true"
    " WHERE current_setting('transaction_isolation') = 'read committed'"
    " RETURNING id, timestamp, hash_anterior, hash_atual"
)
# A synchronous commit flushes the WAL up to its own commit record, hence past every commit before
# it, and concurrent callers share the flush. PostgreSQL only flushes for a transaction that has
# an xid *and* wrote WAL: a transactional logical message is the smallest such write that needs
# no table and no privilege (it is ignored unless someone decodes the WAL logically).
_DURABILITY_BARRIER_SQL = (
    "SELECT set_config('synchronous_commit', 'on', true),"
    " pg_logical_emit_message(true, 'peerseed.ledger', 'durable')"
)
_COMMIT_SQL = "COMMIT"
_HEAD = sa.text("SELECT id, hash_atual FROM ledger_eventos ORDER BY id DESC LIMIT 1")
_FIRST_BATCH = sa.text(
    "SELECT id, timestamp, tipo_evento, ator_id, ator_tipo, dados_evento::text,"
    " hash_anterior, hash_atual FROM ledger_eventos ORDER BY id LIMIT :n"
)
_NEXT_BATCH = sa.text(
    "SELECT id, timestamp, tipo_evento, ator_id, ator_tipo, dados_evento::text,"
    " hash_anterior, hash_atual FROM ledger_eventos WHERE id > :after ORDER BY id LIMIT :n"
)


def append_event(
    conn: sa.Connection,
    *,
    tipo_evento: str,
    dados_evento: Mapping[str, Any],
    ator_id: uuid.UUID | None = None,
    ator_tipo: str | None = None,
    group_commit: bool | None = None,
) -> LedgerEntry:
    """Append one event inside the caller's transaction; never commits.

    The event becomes visible (and the chain lock is released) when the caller commits, atomically
    with the business effect; a rollback leaves no trace but a gap in the ids. Every other append
    waits for this transaction to end, so call this as the last step before committing.
    Requires READ COMMITTED (PostgreSQL's default) and a transaction (not AUTOCOMMIT).

    ``group_commit=True`` commits the caller's transaction with ``synchronous_commit=off``: the
    chain lock is released once the commit is visible instead of after its WAL flush, so
    concurrent appends share flushes (about twice the throughput under contention, see
    docs/performance.md). The commit is then not yet durable when ``commit()`` returns: the
    caller MUST call :func:`wait_durable` after committing and before acknowledging anything
    outside the database. A crash before that loses this transaction whole (and everything
    committed after it), never a piece of the chain. ``None`` (the default) takes the
    connection's :data:`GROUP_COMMIT_OPTION` execution option, off unless a unit of work that
    waits for durability after its commit (the request transaction) turned it on.

    Raises ``PersonalDataError`` / ``InvalidEventDataError`` (both ``ValueError``) before touching
    the database when the data cannot enter the chain, ``LedgerError`` on a misused connection,
    and SQLAlchemy ``DBAPIError`` subclasses for database errors.
    """
    pending = _prepare(
        conn,
        tipo_evento=tipo_evento,
        dados_evento=dados_evento,
        ator_id=ator_id,
        ator_tipo=ator_tipo,
    )
    if group_commit is None:
        group_commit = bool(conn.get_execution_options().get(GROUP_COMMIT_OPTION, False))
    if group_commit:
        conn.info[_BARRIER_OWED] = True
    lock_sql = _LOCK_GROUP_COMMIT_SQL if group_commit else _LOCK_SQL
    return pending.entry(_execute_append(pending.driver, lock_sql, pending.params), committed=False)


def append_and_commit(
    conn: sa.Connection,
    *,
    tipo_evento: str,
    dados_evento: Mapping[str, Any],
    ator_id: uuid.UUID | None = None,
    ator_tipo: str | None = None,
) -> LedgerEntry:
    """Append one event as the last step of the caller's transaction, commit it and return once
    it is durable, in one round trip.

    Whatever the caller already did in the open transaction (or nothing) commits atomically with
    the event. One pipeline carries the chain lock, the INSERT, the ``COMMIT`` (with
    ``synchronous_commit=off``, so the chain lock goes as soon as the commit is visible) and a
    synchronous durability barrier (see :func:`wait_durable`); so no client round trip and no
    WAL flush sit inside the critical section, concurrent appends share WAL flushes, and nothing
    is acknowledged before it is on disk. When this returns the transaction is committed and
    durable and the connection is outside a transaction (SQLAlchemy's view included).

    On any error nothing is committed: the caller's transaction is left to roll back (a ``with
    conn.begin():`` block does it). Same exceptions as :func:`append_event`; requires a UTF8
    database.
    """
    pending = _prepare(
        conn,
        tipo_evento=tipo_evento,
        dados_evento=dados_evento,
        ator_id=ator_id,
        ator_tipo=ator_tipo,
    )
    driver = pending.driver
    if driver.info.parameter_status("server_encoding") != "UTF8":
        # append_event re-checks the hash before the commit; here the commit has already
        # happened when the row comes back, so the one cause of a mismatch is refused up front.
        raise LedgerError("append_and_commit exige um banco com codificação UTF8")
    row = _execute_append(driver, _LOCK_GROUP_COMMIT_SQL, pending.params, commit=True)
    if driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        # A driver that wrapped the barrier in a transaction of its own: commit it
        # (synchronously) so the barrier still flushes before we return.
        driver.commit()
    conn.commit()  # SQLAlchemy's bookkeeping only: the driver is idle, so nothing is sent
    return pending.entry(row, committed=True)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A validated event ready to be appended on ``driver``."""

    driver: psycopg.Connection[Any]
    template: EventTemplate
    params: dict[str, Any]
    tipo_evento: str
    ator_id: uuid.UUID | None
    ator_tipo: str | None
    dados: dict[str, Any]

    def entry(self, row: tuple[Any, ...] | None, *, committed: bool) -> LedgerEntry:
        """The appended row, its hash re-checked against the formula."""
        if row is None:
            raise LedgerError(
                "o ledger exige READ COMMITTED: o topo da cadeia precisa ser lido depois de "
                "obtido o bloqueio"
            )
        event_id: int = row[0]
        timestamp: datetime = row[1]
        hash_anterior: str | None = row[2]
        hash_atual: str = row[3]
        if self.template.hash(hash_anterior, event_id, timestamp) != hash_atual:
            raise LedgerError(
                "o hash calculado pelo banco difere do calculado em Python "
                + (
                    f"no evento id {event_id} já gravado; rode verify-ledger"
                    if committed
                    else "(codificação do banco não é UTF8?); desfaça a transação"
                )
            )
        return LedgerEntry(
            id=event_id,
            timestamp=timestamp,
            tipo_evento=self.tipo_evento,
            ator_id=self.ator_id,
            ator_tipo=self.ator_tipo,
            dados_evento=self.dados,
            hash_anterior=hash_anterior,
            hash_atual=hash_atual,
        )


def _prepare(
    conn: sa.Connection,
    *,
    tipo_evento: str,
    dados_evento: Mapping[str, Any],
    ator_id: uuid.UUID | None,
    ator_tipo: str | None,
) -> _Pending:
    """Validate the event and build the INSERT's parameters; opens the caller's transaction."""
    validate_event_fields(tipo_evento, ator_tipo)
    dados = validate_dados_evento(dados_evento)
    if ator_id is not None and not isinstance(ator_id, uuid.UUID):
        raise TypeError("ator_id deve ser um uuid.UUID ou None")
    template = event_template(
        tipo_evento=tipo_evento, ator_id=ator_id, ator_tipo=ator_tipo, dados_evento=dados
    )
    driver = _driver(conn)
    if driver.autocommit:
        raise LedgerError("o ledger precisa de uma transação; a conexão está em AUTOCOMMIT")
    if not conn.in_transaction():
        conn.begin()  # what conn.execute() would autobegin, so the caller's commit() applies
    params = {
        "tipo": tipo_evento,
        "ator_id": ator_id,
        "ator_tipo": ator_tipo,
        "dados": template.dados_json,
        "before_id": template.before_id,
        "before_ts": template.before_timestamp,
        "after_ts": template.after_timestamp,
    }
    return _Pending(driver, template, params, tipo_evento, ator_id, ator_tipo, dados)


def _driver(conn: sa.Connection) -> psycopg.Connection[Any]:
    driver = conn.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise LedgerError("o ledger requer o driver psycopg (postgresql+psycopg://)")
    return driver


def _execute_append(
    driver: psycopg.Connection[Any],
    lock_sql: str,
    params: dict[str, Any],
    *,
    commit: bool = False,
) -> tuple[Any, ...] | None:
    try:
        with driver.cursor() as lock_cursor, driver.cursor() as cursor:
            if psycopg.Pipeline.is_supported():
                with driver.pipeline():
                    lock_cursor.execute(lock_sql, {"k": LEDGER_LOCK_KEY})
                    cursor.execute(_INSERT_SQL, params)
                    if commit:
                        # After an error the server skips these up to the pipeline's sync, so
                        # nothing commits and the transaction is left failed for the caller.
                        lock_cursor.execute(_COMMIT_SQL)
                        lock_cursor.execute(_DURABILITY_BARRIER_SQL)
            else:  # libpq < 14: same statements, one round trip each
                lock_cursor.execute(lock_sql, {"k": LEDGER_LOCK_KEY})
                cursor.execute(_INSERT_SQL, params)
                if commit:
                    lock_cursor.execute(_COMMIT_SQL)
                    lock_cursor.execute(_DURABILITY_BARRIER_SQL)
            return cursor.fetchone()
    except psycopg.Error as exc:
        # Surface the same exception types as conn.execute() (IntegrityError, OperationalError...).
        raise sa.exc.DBAPIError.instance(_INSERT_SQL, params, exc, psycopg.Error) from exc


def owes_durability(conn: sa.Connection) -> bool:
    """Whether this connection appended with group commit since it last settled; clears it.

    A unit of work reads it just before its commit and, when True, calls :func:`wait_durable`
    (on any connection) after the commit and before acknowledging anything.
    """
    return bool(conn.info.pop(_BARRIER_OWED, False))


def wait_durable(conn: sa.Connection) -> None:
    """Block until every transaction this connection committed is durable (WAL flushed).

    Call it after committing a transaction that appended with ``group_commit=True`` and before
    acknowledging the effect (HTTP response, job done...). It runs (and commits) a tiny
    transaction of its own, so the connection must not be inside a transaction.
    """
    if conn.in_transaction():
        raise LedgerError("wait_durable deve ser chamado depois do commit, fora de uma transação")
    conn.info.pop(_BARRIER_OWED, None)
    driver = _driver(conn)
    # One statement in autocommit is its own transaction: it gets an xid and commits
    # synchronously, in one round trip. SQLAlchemy's view (no transaction) is unchanged.
    previous = driver.autocommit
    driver.autocommit = True
    try:
        with driver.cursor() as cursor:
            cursor.execute(_DURABILITY_BARRIER_SQL)
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError.instance(_DURABILITY_BARRIER_SQL, {}, exc, psycopg.Error) from exc
    finally:
        driver.autocommit = previous


def ledger_head(conn: sa.Connection) -> tuple[int, str] | None:
    """``(id, hash_atual)`` of the last event visible to this connection, or None when empty."""
    row = conn.execute(_HEAD).one_or_none()
    return None if row is None else (row[0], row[1])


def verify_chain(conn: sa.Connection, *, batch_size: int = DEFAULT_BATCH_SIZE) -> VerifyResult:
    """Recompute every hash in id order and check the links; stop at the first broken event.

    Rows are read in keyset-paginated batches of ``batch_size``, so memory stays flat for any
    chain length. For a consistent view while others append, run it in a REPEATABLE READ
    transaction (as :func:`verify_ledger_command` does).
    """
    if batch_size < 1:
        raise ValueError("batch_size deve ser positivo")
    count = 0
    prev_id: int | None = None
    prev_hash: str | None = None
    while True:
        if prev_id is None:
            rows = conn.execute(_FIRST_BATCH, {"n": batch_size}).all()
        else:
            rows = conn.execute(_NEXT_BATCH, {"after": prev_id, "n": batch_size}).all()
        if not rows:
            return VerifyResult(ok=True, count=count, head_hash=prev_hash)
        for event_id, ts, tipo, ator_id, ator_tipo, dados, hash_anterior, hash_atual in rows:
            count += 1
            reason = _link_problem(prev_id, prev_hash, hash_anterior)
            if reason is None:
                event = _Stored(event_id, ts, tipo, ator_id, ator_tipo, dados)
                reason = _hash_problem(event, hash_anterior, hash_atual)
            if reason is not None:
                return VerifyResult(
                    ok=False,
                    count=count,
                    head_hash=prev_hash,
                    first_broken_id=event_id,
                    reason=reason,
                )
            prev_id, prev_hash = event_id, hash_atual
        if len(rows) < batch_size:
            return VerifyResult(ok=True, count=count, head_hash=prev_hash)


def _link_problem(
    prev_id: int | None, prev_hash: str | None, hash_anterior: str | None
) -> str | None:
    if prev_id is None:
        if hash_anterior is not None:
            return "o primeiro evento da cadeia deveria ter hash_anterior nulo"
        return None
    if hash_anterior is None:
        return f"hash_anterior nulo, mas o evento não é o primeiro (anterior: id {prev_id})"
    if hash_anterior != prev_hash:
        return f"hash_anterior não corresponde ao hash_atual do evento anterior (id {prev_id})"
    return None


class _Stored(NamedTuple):
    id: int
    timestamp: datetime
    tipo_evento: str
    ator_id: uuid.UUID | None
    ator_tipo: str | None
    dados_json: str


def _hash_problem(row: _Stored, hash_anterior: str | None, hash_atual: str) -> str | None:
    try:
        dados = json.loads(row.dados_json)
        if not isinstance(dados, dict):
            return "dados_evento não é um objeto JSON"
        event = LedgerEvent(
            id=row.id,
            timestamp=row.timestamp,
            tipo_evento=row.tipo_evento,
            ator_id=row.ator_id,
            ator_tipo=row.ator_tipo,
            dados_evento=dados,
        )
        expected = compute_hash(hash_anterior, event)
    except ValueError as exc:
        return f"o evento não pode ser canonicalizado (JCS): {exc}"
    if expected != hash_atual:
        return (
            "hash_atual não confere com o conteúdo do evento "
            f"(armazenado {hash_atual[:16]}…, recalculado {expected[:16]}…)"
        )
    return None


def verify_ledger_command(database_url: str, out: TextIO) -> int:
    """``peerseed-server verify-ledger``: 0 sound chain, 1 broken chain, 2 cannot verify."""
    try:
        engine = make_engine(
            database_url,
            pool_size=1,
            max_overflow=0,
            application_name="peerseed-verify-ledger",
        )
    except (sa.exc.ArgumentError, ValueError) as exc:
        print(f"URL de banco de dados inválida: {exc}", file=out)
        return 2
    try:
        with engine.connect() as raw:
            conn = raw.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.execute(sa.text("SET TRANSACTION READ ONLY"))
                result = verify_chain(conn)
    except sa.exc.OperationalError as exc:
        print(f"Não foi possível conectar ao banco de dados: {_first_line(exc)}", file=out)
        return 2
    except sa.exc.ProgrammingError as exc:
        print(
            "Não foi possível ler ledger_eventos (o banco foi migrado?): " + _first_line(exc),
            file=out,
        )
        return 2
    finally:
        engine.dispose()
    if result.ok:
        print(f"Ledger íntegro: {result.count} eventos.", file=out)
        print(f"Hash do último evento: {result.head_hash or '(ledger vazio)'}", file=out)
        return 0
    print(f"Ledger QUEBRADO no evento id {result.first_broken_id}: {result.reason}", file=out)
    print(f"Eventos lidos até a quebra: {result.count}.", file=out)
    return 1


def _first_line(exc: sa.exc.DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
