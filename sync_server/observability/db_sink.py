"""Log lines stored in PostgreSQL (``logs``), written in batches off the request path.

:func:`install_db_sink` attaches a :class:`DbLogHandler` to the root logger, after the JSON
handlers of :func:`~sync_server.observability.logs.configure_logging`. The handler formats each
record with the *same* :class:`~sync_server.observability.logs.JsonFormatter` instance as the
stdout and file handlers, so what reaches PostgreSQL is exactly the (masked) line written
elsewhere; normally those handlers already formatted it and the handler just takes the cached
line. It appends the line to a bounded in-memory buffer. That is all the logging thread does:
no I/O, no waiting, no exception, no per-record work beyond one locked list append.

A background thread (:class:`DbLogWriter`) stores the lines in statements of at most
``batch_size`` lines: a full batch wakes it, and it writes full batches only (a remainder waits),
so a steady stream of lines goes out in few full statements; when ``flush_interval_s`` passes
without a full batch, on ``flush()`` and on close it writes everything waiting. So a line waits
at most about ``flush_interval_s`` (plus the write) before it is stored. Each batch is one
``INSERT ... SELECT FROM jsonb_array_elements($1)``, the parameter being the lines joined into one
JSON array (no per-line work in Python; PostgreSQL parses the JSON), sent on a connection the
thread keeps open in autocommit: one round trip per batch, no pool checkout, ping or
BEGIN/COMMIT. If that connection died while idle (PostgreSQL restarted) it reconnects once at
once. If the database does not answer, the lines stay in the buffer and the writer retries with
backoff; once the buffer holds ``buffer_max`` lines, new lines are dropped and *counted*
(``peerseed_log_sink_dropped_total{motivo="buffer_cheio"}``), and the count is logged when the
database comes back. A batch PostgreSQL refuses as data (it should not happen: the formatter
writes valid JSON) is retried line by line in one transaction and the refused lines are counted
as rejected.

Partitions: before writing on a new UTC day the writer calls ``logs_criar_particao`` for
yesterday, today and the next ``partitions_ahead_days`` days (once a day, not per batch); the
DEFAULT partition catches anything else, so an insert never fails for want of a partition.

Closing flushes what is buffered (bounded by a timeout); lines that still cannot be written are
counted as lost (``motivo="encerramento"``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sync_server.db import normalize_url
from sync_server.observability.logs import JsonFormatter, MaskingFilter
from sync_server.observability.metrics import MetricFamily, Sample
from sync_server.services import Services
from sync_server.settings import Settings

log = logging.getLogger(__name__)

INSERT_SQL = """
INSERT INTO logs ("timestamp", level, service, correlation_id, user_id, message, payload)
SELECT COALESCE((j->>'timestamp')::timestamptz, now()),
       left(COALESCE(j->>'level', 'INFO'), 10),
       left(COALESCE(j->>'service', ''), 100),
       left(j->>'correlation_id', 128),
       left(j->>'user_id', 64),
       COALESCE(j->>'message', ''),
       CASE WHEN jsonb_typeof(j->'payload') = 'object' THEN j->'payload'
            WHEN j->'payload' IS NULL OR jsonb_typeof(j->'payload') = 'null' THEN '{}'::jsonb
            ELSE jsonb_build_object('value', j->'payload') END
FROM jsonb_array_elements(%s::jsonb) AS j
"""
ENSURE_PARTITIONS_SQL = (
    "SELECT logs_criar_particao(d::date) FROM generate_series("
    "CAST(%s AS date), CAST(%s AS date), interval '1 day') AS d"
)
# SQLSTATE classes meaning "this data is refused" (retrying the same batch cannot help).
_DATA_ERROR_CLASSES = ("22", "23")
_OURS = "_peerseed_db_sink"


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True)
class SinkStats:
    submitted: int
    written: int
    buffered: int
    dropped_overflow: int
    dropped_shutdown: int
    rejected: int
    flush_failures: int
    database_available: bool
    batches: int


def _sqlstate(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None)
    return state if isinstance(state, str) else ""


class DbLogWriter:
    """A bounded buffer of formatted lines and the thread that stores them in batches."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        batch_size: int = 500,
        flush_interval_s: float = 0.5,
        buffer_max: int = 50_000,
        partitions_ahead_days: int = 3,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 5.0,
        today: Callable[[], dt.date] = utc_today,
    ) -> None:
        if batch_size < 1 or buffer_max < batch_size:
            raise ValueError("need 1 <= batch_size <= buffer_max")
        self.engine = engine
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.buffer_max = buffer_max
        self.partitions_ahead_days = partitions_ahead_days
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.today = today

        self._lock = threading.Lock()
        self._buffer: list[str] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._partitions_day: dt.date | None = None
        # The writer thread's own connection (AUTOCOMMIT), kept between batches.
        self._conn: sa.Connection | None = None
        self._conn_engine: sa.Engine | None = None
        # Set by flush(): write partial batches until the buffer is empty.
        self._flush_requested = False
        # Lines at the head of the buffer that the writer is storing right now: they stay
        # buffered (and count against buffer_max) until stored, but do not make a new batch.
        self._in_flight = 0

        self._submitted = 0
        self._written = 0
        self._batches = 0
        self._dropped_overflow = 0
        self._dropped_shutdown = 0
        self._rejected = 0
        self._flush_failures = 0
        self._available = True
        self._dropped_at_outage = 0

    # -- producer side (any thread; never blocks on I/O, never raises) -------------------------

    def submit(self, line: str) -> None:
        with self._lock:
            self._submitted += 1
            if len(self._buffer) >= self.buffer_max:
                self._dropped_overflow += 1
                return
            self._buffer.append(line)
            full = len(self._buffer) - self._in_flight >= self.batch_size
        if full and not self._wake.is_set():
            self._wake.set()

    def count_rejected(self) -> None:
        with self._lock:
            self._submitted += 1
            self._rejected += 1

    def stats(self) -> SinkStats:
        with self._lock:
            return SinkStats(
                submitted=self._submitted,
                written=self._written,
                buffered=len(self._buffer),
                dropped_overflow=self._dropped_overflow,
                dropped_shutdown=self._dropped_shutdown,
                rejected=self._rejected,
                flush_failures=self._flush_failures,
                database_available=self._available,
                batches=self._batches,
            )

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="peerseed-log-writer", daemon=True)
        self._thread.start()

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until the buffer is empty (True) or ``timeout_s`` passed (False)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            self._flush_requested = True
        self._wake.set()
        with self._lock:
            while self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._flush_requested = True
                self._idle.wait(min(remaining, 0.05))
                self._wake.set()
            return True

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the thread after a last flush; lines still unwritten are counted as lost."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        with self._lock:
            lost = len(self._buffer) if thread is None or not thread.is_alive() else 0
            if lost:
                self._dropped_shutdown += lost
                self._buffer.clear()
        if lost:
            log.error(
                "linhas de log não gravadas no PostgreSQL ao encerrar",
                extra={"payload": {"linhas_perdidas": lost}},
            )

    # -- writer thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        delay = self.retry_initial_s
        try:
            while True:
                # Woken early by a full batch (or flush/close); else the interval passed.
                woken = self._wake.wait(self.flush_interval_s)
                self._wake.clear()
                stopping = self._stop.is_set()
                try:
                    ok = self._drain(everything=stopping or not woken, stopping=stopping)
                except Exception:  # pragma: no cover - _drain guards itself; the thread must live
                    ok = False
                if stopping:
                    return
                if ok:
                    delay = self.retry_initial_s
                else:
                    # Back off; a stop request interrupts the wait and makes one last attempt.
                    self._stop.wait(delay)
                    delay = min(delay * 2, self.retry_max_s)
        finally:
            self._disconnect(invalidate=False)

    def _drain(self, *, everything: bool, stopping: bool = False) -> bool:
        """Store waiting lines in statements of at most ``batch_size`` lines.

        Woken by a full batch, only full batches are written: a remainder waits for the next full
        batch or for the interval, so a steady stream of lines goes out in few full statements
        rather than a busy loop of small ones. When the interval passed (``everything``), on
        flush and on close, everything waiting is written.
        """
        deadline = time.monotonic() + 3.0 if stopping else None
        while True:
            with self._lock:
                waiting = len(self._buffer)
                if not waiting:
                    self._flush_requested = False
                    self._idle.notify_all()
                    return True
                if waiting < self.batch_size and not (everything or self._flush_requested):
                    return True
                batch = self._buffer[: self.batch_size]
                self._in_flight = len(batch)
            try:
                rejected = self._write(batch)
            finally:
                with self._lock:
                    self._in_flight = 0
            if rejected is None:
                return False
            with self._lock:
                del self._buffer[: len(batch)]
                self._written += len(batch) - rejected
                self._rejected += rejected
                self._batches += 1
            if deadline is not None and time.monotonic() > deadline:
                return True

    def _write(self, batch: Sequence[str]) -> int | None:
        """Store ``batch``: the number of lines refused as data, or None if nothing was stored."""
        document = _sanitize(_json_array(batch))
        try:
            self._insert(document)
        except sa.exc.SQLAlchemyError as exc:
            if _sqlstate(exc)[:2] in _DATA_ERROR_CLASSES:
                return self._write_one_by_one(batch)
            self._disconnect(invalidate=True)
            self._outage(exc)
            return None
        except Exception as exc:  # a driver bug must not kill the writer
            self._disconnect(invalidate=True)
            self._outage(exc)
            return None
        self._recovered()
        return 0

    def _insert(self, document: str) -> None:
        """One statement on the held connection; reconnects once if it died while idle."""
        reused = self._conn is not None
        try:
            self._insert_on(self._connection(), document)
        except sa.exc.DBAPIError as exc:
            if not (reused and exc.connection_invalidated):
                raise
            # E.g. PostgreSQL restarted since the last batch: not an outage if it answers now.
            self._disconnect(invalidate=True)
            self._insert_on(self._connection(), document)

    def _insert_on(self, conn: sa.Connection, document: str) -> None:
        self._ensure_partitions(conn)
        conn.exec_driver_sql(INSERT_SQL, (document,))
        conn.commit()  # AUTOCOMMIT: already stored; this only ends SQLAlchemy's implicit begin

    def _write_one_by_one(self, batch: Sequence[str]) -> int | None:
        """The rare path after a data error: one transaction, a savepoint per line."""
        rejected = 0
        # The held connection is in AUTOCOMMIT; this path wants all-or-nothing, so it takes the
        # engine's connection back through the pool (which resets it) in a real transaction.
        self._disconnect(invalidate=False)
        try:
            with self.engine.begin() as conn:
                for line in batch:
                    savepoint = conn.begin_nested()
                    try:
                        conn.exec_driver_sql(INSERT_SQL, (_sanitize(_json_array([line])),))
                    except sa.exc.DBAPIError as exc:
                        if _sqlstate(exc)[:2] not in _DATA_ERROR_CLASSES:
                            raise
                        savepoint.rollback()
                        rejected += 1
                    else:
                        savepoint.commit()
        except sa.exc.SQLAlchemyError as exc:
            self._outage(exc)
            return None
        if rejected:
            log.error(
                "linhas de log recusadas pelo PostgreSQL",
                extra={"payload": {"linhas_recusadas": rejected}},
            )
        self._recovered()
        return rejected

    def _connection(self) -> sa.Connection:
        """The writer's connection, opened on ``self.engine`` when missing (or engine changed)."""
        conn = self._conn
        if conn is not None and self._conn_engine is self.engine and not conn.invalidated:
            return conn
        self._disconnect(invalidate=False)
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._conn, self._conn_engine = conn, self.engine
        return conn

    def _disconnect(self, *, invalidate: bool) -> None:
        conn, self._conn, self._conn_engine = self._conn, None, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            if invalidate:
                conn.invalidate()
            conn.close()

    def _ensure_partitions(self, conn: sa.Connection) -> None:
        today = self.today()
        if self._partitions_day == today:
            return
        try:
            conn.exec_driver_sql(
                ENSURE_PARTITIONS_SQL,
                (
                    today - dt.timedelta(days=1),
                    today + dt.timedelta(self.partitions_ahead_days),
                ),
            )
            conn.commit()
        except sa.exc.OperationalError:
            raise
        except sa.exc.SQLAlchemyError as exc:
            if getattr(exc, "connection_invalidated", False):
                raise
            conn.rollback()
            # The DEFAULT partition takes the lines; the maintenance job will sort them later.
            log.warning(
                "não foi possível criar as partições de logs",
                extra={"payload": {"erro": type(getattr(exc, "orig", None) or exc).__name__}},
            )
        self._partitions_day = today

    def _outage(self, exc: BaseException) -> None:
        with self._lock:
            self._flush_failures += 1
            first = self._available
            self._available = False
            buffered = len(self._buffer)
            self._dropped_at_outage = self._dropped_overflow
        if first:
            log.warning(
                "PostgreSQL indisponível para os logs; linhas retidas em memória",
                extra={
                    "payload": {
                        "erro": type(getattr(exc, "orig", None) or exc).__name__,
                        "linhas_em_espera": buffered,
                        "limite_do_buffer": self.buffer_max,
                    }
                },
            )

    def _recovered(self) -> None:
        with self._lock:
            if self._available:
                return
            self._available = True
            dropped = self._dropped_overflow - self._dropped_at_outage
        log.warning(
            "armazenamento de logs no PostgreSQL restabelecido",
            extra={"payload": {"linhas_descartadas_buffer_cheio": dropped}},
        )


def _json_array(lines: Sequence[str]) -> str:
    """Each line is one JSON object (the formatter's output), so this is a JSON array."""
    return "[" + ",".join(lines) + "]"


def _sanitize(text: str) -> str:
    # PostgreSQL's jsonb cannot hold U+0000 (checked once on the whole batch, not per line).
    return text.replace("\\u0000", "\\ufffd") if "\\u0000" in text else text


class DbLogHandler(logging.Handler):
    """Formats with the shared JSON formatter and hands the line to the writer; never blocks."""

    def __init__(self, writer: DbLogWriter, formatter: logging.Formatter) -> None:
        super().__init__()
        self.writer = writer
        self.setFormatter(formatter)
        self.addFilter(MaskingFilter())
        self._json = formatter if isinstance(formatter, JsonFormatter) else None
        setattr(self, _OURS, True)

    def handle(self, record: logging.LogRecord) -> bool:
        # Fast path: the stdout/file handlers before this one already masked and formatted the
        # record with the same formatter; hand that line over as it is.
        if self._json is not None:
            line = self._json.cached_line(record)
            if line is not None:
                self.writer.submit(line)
                return True
        # No handler lock: ``emit`` is thread-safe on its own.
        result: object = self.filter(record)
        if isinstance(result, logging.LogRecord):  # 3.12+: a filter may return a new record
            record = result
        if result:
            self.emit(record)
        return bool(result)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.writer.count_rejected()
            return
        self.writer.submit(line)


def shared_formatter(service: str) -> logging.Formatter:
    """The JSON formatter of the handlers ``configure_logging`` installed, else a new one."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_peerseed_json_handler", False) and isinstance(
            handler.formatter, JsonFormatter
        ):
            return handler.formatter
    return JsonFormatter(service=service)


@dataclass
class DbSinkHandle:
    """What :func:`install_db_sink` returns: close it to detach, flush and stop."""

    writer: DbLogWriter
    handler: DbLogHandler
    owns_engine: bool

    def stats(self) -> SinkStats:
        return self.writer.stats()

    def flush(self, timeout_s: float = 5.0) -> bool:
        return self.writer.flush(timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        logging.getLogger().removeHandler(self.handler)
        self.writer.close(timeout_s)
        if self.owns_engine:
            self.writer.engine.dispose()

    def collect(self) -> Iterable[MetricFamily]:
        """Prometheus families of this sink (a :class:`RequestMetrics` collector)."""
        s = self.stats()

        def one(name: str, kind: str, help_: str, value: float) -> MetricFamily:
            return MetricFamily(name, kind, help_, [Sample(name, {}, value)])

        return [
            one(
                "peerseed_log_sink_written_total",
                "counter",
                "Log lines stored in PostgreSQL by this process.",
                s.written,
            ),
            MetricFamily(
                "peerseed_log_sink_dropped_total",
                "counter",
                "Log lines not stored in PostgreSQL: buffer full while the database was"
                " unavailable, or still buffered at shutdown.",
                [
                    Sample(
                        "peerseed_log_sink_dropped_total",
                        {"motivo": "buffer_cheio"},
                        s.dropped_overflow,
                    ),
                    Sample(
                        "peerseed_log_sink_dropped_total",
                        {"motivo": "encerramento"},
                        s.dropped_shutdown,
                    ),
                ],
            ),
            one(
                "peerseed_log_sink_rejected_total",
                "counter",
                "Log lines PostgreSQL refused as data.",
                s.rejected,
            ),
            one(
                "peerseed_log_sink_flush_failures_total",
                "counter",
                "Failed attempts to write a batch of log lines.",
                s.flush_failures,
            ),
            one(
                "peerseed_log_sink_batches_total",
                "counter",
                "Statements (batches of lines) that stored log lines.",
                s.batches,
            ),
            one(
                "peerseed_log_sink_buffered",
                "gauge",
                "Log lines waiting in memory to be stored.",
                s.buffered,
            ),
            one(
                "peerseed_log_sink_database_up",
                "gauge",
                "1 when the last write of log lines succeeded.",
                1 if s.database_available else 0,
            ),
        ]


def make_sink_engine(url: str | sa.URL, *, settings: Settings) -> sa.Engine:
    """A one-connection engine of its own, so log writes never wait for the request pool."""
    text = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    return sa.create_engine(
        normalize_url(text),
        pool_size=1,
        max_overflow=0,
        pool_pre_ping=True,
        pool_timeout=settings.db_connect_timeout_s,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            "application_name": f"{settings.service_name}-logs"[:63],
            # Log lines are not money: a batch may be lost in a PostgreSQL crash, so commits
            # do not wait for the WAL flush.
            "options": "-c statement_timeout=15000 -c synchronous_commit=off",
        },
    )


def install_db_sink(
    engine: sa.Engine,
    settings: Settings,
    *,
    dedicated_engine: bool = True,
    today: Callable[[], dt.date] = utc_today,
    **writer_options: Any,
) -> DbSinkHandle:
    """Attach the PostgreSQL log handler to the root logger and start its writer thread.

    ``engine`` says which database; by default the sink opens its own one-connection engine on
    the same URL. Returns a handle: ``close()`` detaches, flushes and stops it.
    """
    sink_engine = make_sink_engine(engine.url, settings=settings) if dedicated_engine else engine
    options: dict[str, Any] = {
        "batch_size": settings.log_db_batch_size,
        "flush_interval_s": settings.log_db_flush_interval_ms / 1000,
        "buffer_max": settings.log_db_buffer_max,
        "partitions_ahead_days": settings.log_partitions_ahead_days,
        **writer_options,
    }
    writer = DbLogWriter(sink_engine, today=today, **options)
    handler = DbLogHandler(writer, shared_formatter(settings.service_name))
    writer.start()
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)  # a previous app's sink in this process (tests)
    root.addHandler(handler)
    return DbSinkHandle(writer=writer, handler=handler, owns_engine=dedicated_engine)


@contextlib.contextmanager
def db_sink_installed(engine: sa.Engine, settings: Settings) -> Any:
    """``with db_sink_installed(services.engine, settings):`` for the worker and CLI commands."""
    handle = install_db_sink(engine, settings) if settings.log_db_enabled else None
    try:
        yield handle
    finally:
        if handle is not None:
            handle.close()


def start_log_sink(services: Services) -> DbSinkHandle | None:
    """The app lifespan's hook: the sink on the app's database, or None when disabled."""
    if not services.settings.log_db_enabled:
        return None
    return install_db_sink(services.engine, services.settings)
