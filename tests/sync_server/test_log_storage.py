"""Log lines stored in PostgreSQL: batching, buffering while the database is down, partitions."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync_server.db import make_engine
from sync_server.observability import retention
from sync_server.observability.db_sink import DbLogHandler, DbLogWriter, install_db_sink
from sync_server.observability.logs import JsonFormatter, configure_logging, shutdown_logging
from sync_server.settings import Settings

UNREACHABLE_URL = "postgresql://postgres@127.0.0.1:1/nada"


def line(message: str, *, level: str = "INFO", when: str = "2026-01-01T12:00:00.000Z") -> str:
    return json.dumps(
        {
            "timestamp": when,
            "level": level,
            "service": "teste",
            "correlation_id": "c-1",
            "user_id": None,
            "message": message,
            "payload": {"n": 1},
        }
    )


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(fresh_db_url, pool_size=2, max_overflow=2)
    try:
        yield engine
    finally:
        engine.dispose()


def count_logs(engine: sa.Engine, where: str = "true") -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM logs WHERE {where}")).scalar_one())


def count_inserts(engine: sa.Engine) -> list[int]:
    """The number of lines of each ``INSERT INTO logs`` statement run on ``engine``."""
    inserts: list[int] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("INSERT INTO logs"):
            inserts.append(len(json.loads(parameters[0])))

    return inserts


def test_lines_are_written_in_full_batches_with_one_insert_each(fresh_engine: sa.Engine) -> None:
    inserts = count_inserts(fresh_engine)
    writer = DbLogWriter(fresh_engine, batch_size=10, flush_interval_s=30, buffer_max=1000)
    writer.start()
    try:
        for n in range(3):
            writer.submit(line(f"parcial {n}"))
        # Fewer lines than a batch wait for the interval (30 s here), a flush or close().
        time.sleep(0.3)
        assert writer.stats().written == 0 and writer.stats().buffered == 3
        for n in range(7):
            writer.submit(line(f"completa {n}"))
        # A full batch wakes the writer.
        wait_for(lambda: writer.stats().written == 10)
        for n in range(25):
            writer.submit(line(f"linha {n}"))
        # Woken by a full batch, the writer writes full batches only: the remainder waits.
        wait_for(lambda: writer.stats().written == 30)
        time.sleep(0.3)
        assert writer.stats().written == 30 and writer.stats().buffered == 5
        assert writer.flush(10)
        assert writer.stats().written == 35 and writer.stats().batches == 4
    finally:
        writer.close()
    # One multi-row INSERT per batch of at most 10, in order.
    assert inserts == [10, 10, 10, 5]
    assert count_logs(fresh_engine) == 35
    with fresh_engine.connect() as conn:
        row = conn.execute(
            sa.text(
                'SELECT level, service, correlation_id, user_id, message, payload, "timestamp"'
                " FROM logs WHERE message = 'linha 7'"
            )
        ).one()
    assert row[:6] == ("INFO", "teste", "c-1", None, "linha 7", {"n": 1})
    assert row[6] == dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


def test_a_steady_trickle_of_lines_is_stored_in_full_batches(fresh_engine: sa.Engine) -> None:
    # Lines arriving while a batch is being written do not make the writer loop on small
    # statements: every statement carries a full batch.
    inserts = count_inserts(fresh_engine)
    writer = DbLogWriter(fresh_engine, batch_size=20, flush_interval_s=30, buffer_max=1000)
    writer.start()
    try:
        for n in range(100):
            writer.submit(line(f"gota {n}"))
            time.sleep(0.002)
        wait_for(lambda: writer.stats().written == 100)
    finally:
        writer.close()
    assert inserts == [20] * 5
    assert count_logs(fresh_engine) == 100


def test_flush_and_close_write_a_partial_batch_at_once(fresh_engine: sa.Engine) -> None:
    writer = DbLogWriter(fresh_engine, batch_size=500, flush_interval_s=30, buffer_max=1000)
    writer.start()
    try:
        writer.submit(line("antes do flush"))
        started = time.monotonic()
        assert writer.flush(10)
        assert time.monotonic() - started < 5
        assert writer.stats().written == 1 and writer.stats().buffered == 0
        writer.submit(line("antes do close"))
    finally:
        writer.close()
    assert writer.stats().written == 2 and writer.stats().dropped_shutdown == 0
    assert count_logs(fresh_engine) == 2


def test_the_writer_keeps_one_connection_and_reconnects_after_a_restart(
    fresh_engine: sa.Engine,
) -> None:
    backends: list[int] = []
    checkouts: list[int] = []

    @sa.event.listens_for(fresh_engine, "connect")
    def on_connect(dbapi_connection, record):  # type: ignore[no-untyped-def]
        backends.append(dbapi_connection.info.backend_pid)

    @sa.event.listens_for(fresh_engine, "checkout")
    def on_checkout(dbapi_connection, record, proxy):  # type: ignore[no-untyped-def]
        checkouts.append(dbapi_connection.info.backend_pid)

    writer = DbLogWriter(fresh_engine, batch_size=5, flush_interval_s=30, buffer_max=1000)
    writer.start()
    try:
        for n in range(3):
            for m in range(5):
                writer.submit(line(f"lote {n} linha {m}"))
            wait_for(lambda n=n: writer.stats().written == 5 * (n + 1))  # type: ignore[misc]
        # Three batches, one connection checked out once and kept.
        assert len(set(checkouts)) == 1 and len(checkouts) == 1
        held = checkouts[0]
        # PostgreSQL drops the connection while the writer is idle (a restart, a failover).
        with fresh_engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": held})
        wait_for(lambda: held not in backends_alive(fresh_engine))
        for m in range(5):
            writer.submit(line(f"depois da queda {m}"))
        wait_for(lambda: writer.stats().written == 20)
        stats = writer.stats()
        # Reconnected at once: no failed attempt, no outage, nothing lost.
        assert stats.flush_failures == 0 and stats.database_available
        assert stats.buffered == 0
    finally:
        writer.close()
    assert count_logs(fresh_engine) == 20


def backends_alive(engine: sa.Engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT pid FROM pg_stat_activity")).scalars())


def test_flush_interval_writes_a_partial_batch(fresh_engine: sa.Engine) -> None:
    writer = DbLogWriter(fresh_engine, batch_size=500, flush_interval_s=0.05, buffer_max=1000)
    writer.start()
    try:
        writer.submit(line("sozinha"))
        wait_for(lambda: writer.stats().written == 1)
    finally:
        writer.close()


def test_database_down_buffers_then_counts_overflow_and_recovers(
    fresh_engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    down = make_engine(UNREACHABLE_URL, pool_size=1, max_overflow=0, connect_timeout_s=1)
    writer = DbLogWriter(
        down,
        batch_size=10,
        flush_interval_s=0.02,
        buffer_max=100,
        retry_initial_s=0.02,
        retry_max_s=0.05,
    )
    caplog.set_level(logging.WARNING, logger="sync_server.observability.db_sink")
    writer.start()
    try:
        for n in range(150):
            writer.submit(line(f"linha {n}"))
        wait_for(lambda: writer.stats().flush_failures >= 2)
        stats = writer.stats()
        assert stats.buffered == 100
        assert stats.dropped_overflow == 50
        assert stats.written == 0
        assert not stats.database_available
        assert "PostgreSQL indisponível para os logs" in caplog.text

        writer.engine = fresh_engine  # the database is back
        wait_for(lambda: writer.stats().written == 100)
        assert writer.stats().database_available
        assert writer.stats().submitted == 150
        assert "restabelecido" in caplog.text
    finally:
        writer.close()
        down.dispose()
    # The oldest lines were kept; the newest 50 were dropped (and counted).
    assert count_logs(fresh_engine) == 100
    assert count_logs(fresh_engine, "message = 'linha 99'") == 1
    assert count_logs(fresh_engine, "message = 'linha 100'") == 0


def test_close_counts_what_could_not_be_written(caplog: pytest.LogCaptureFixture) -> None:
    down = make_engine(UNREACHABLE_URL, pool_size=1, max_overflow=0, connect_timeout_s=1)
    writer = DbLogWriter(down, batch_size=10, flush_interval_s=0.02, buffer_max=100)
    writer.start()
    for n in range(7):
        writer.submit(line(f"linha {n}"))
    writer.close(timeout_s=10)
    down.dispose()
    stats = writer.stats()
    assert stats.dropped_shutdown == 7
    assert stats.buffered == 0
    assert "não gravadas no PostgreSQL ao encerrar" in caplog.text


def test_a_line_postgres_refuses_is_counted_and_the_rest_stored(fresh_engine: sa.Engine) -> None:
    writer = DbLogWriter(fresh_engine, batch_size=3, flush_interval_s=30, buffer_max=100)
    writer.start()
    try:
        writer.submit(line("boa 1"))
        writer.submit(line("data ruim", when="2026-13-45T99:00:00Z"))
        writer.submit(line("boa 2"))
        wait_for(lambda: writer.stats().written == 2)
    finally:
        writer.close()
    assert writer.stats().rejected == 1
    assert count_logs(fresh_engine) == 2


def test_handler_stores_the_same_masked_line_as_the_file(
    fresh_db_url: str, fresh_engine: sa.Engine, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=fresh_db_url,
        data_dir=tmp_path,
        log_file=tmp_path / "server.jsonl",
        log_stdout=False,
        log_db_flush_interval_ms=20,
        service_name="servico-teste",
    )
    configure_logging(service="servico-teste", log_file=settings.log_file, stdout=False)
    handle = install_db_sink(fresh_engine, settings)
    try:
        logging.getLogger("teste.sink").warning(
            "cadastro com cpf 529.982.247-25",
            extra={"payload": {"senha": "segredo123", "tempo_de_processamento_ms": 12}},
        )
        assert handle.flush(10)
    finally:
        handle.close()
        shutdown_logging()
    written = (tmp_path / "server.jsonl").read_text().splitlines()
    file_line = json.loads(next(raw for raw in written if "cadastro" in raw))
    with fresh_engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT level, service, message, payload FROM logs WHERE message LIKE 'cadastro%'"
            )
        ).one()
    assert stored == (
        file_line["level"],
        file_line["service"],
        file_line["message"],
        file_line["payload"],
    )
    assert stored[0] == "WARN" and stored[1] == "servico-teste"
    assert "529.982.247-25" not in stored[2]
    assert stored[3]["senha"] != "segredo123"
    # The handler is gone after close: nothing more reaches the database.
    logging.getLogger("teste.sink").warning("depois do fechamento")
    assert count_logs(fresh_engine, "message = 'depois do fechamento'") == 0


class CapturingWriter(DbLogWriter):
    """A writer that is never started: it records what the handler hands over."""

    def __init__(self) -> None:
        super().__init__(sa.create_engine("postgresql+psycopg://"), batch_size=1, buffer_max=10)
        self.lines: list[str] = []

    def submit(self, line: str) -> None:
        self.lines.append(line)


def sensitive_record() -> logging.LogRecord:
    record = logging.LogRecord(
        "teste.sink", logging.INFO, __file__, 1, "cpf %s", ("529.982.247-25",), None
    )
    record.payload = {"senha": "segredo123"}
    return record


def test_handler_hands_over_the_line_the_json_handlers_already_made() -> None:
    formatter = JsonFormatter(service="servico-teste")
    writer = CapturingWriter()
    handler = DbLogHandler(writer, formatter)
    record = sensitive_record()
    file_line = formatter.format(record)  # what the stdout/file handlers did first
    assert handler.handle(record) is True
    assert writer.lines == [file_line] and writer.lines[0] is file_line
    assert "529.982.247-25" not in file_line and "segredo123" not in file_line


def test_handler_masks_and_formats_a_record_no_json_handler_saw() -> None:
    writer = CapturingWriter()
    handler = DbLogHandler(writer, JsonFormatter(service="servico-teste"))
    record = sensitive_record()
    # A line cached for another service is not this handler's line.
    JsonFormatter(service="outro-servico").format(record)
    assert handler.handle(record) is True
    stored = json.loads(writer.lines[0])
    assert stored["service"] == "servico-teste"
    assert "529.982.247-25" not in stored["message"]
    assert stored["payload"]["senha"] != "segredo123"

    fresh = sensitive_record()
    handler.handle(fresh)
    stored = json.loads(writer.lines[1])
    assert stored["service"] == "servico-teste"
    assert "529.982.247-25" not in stored["message"]
    assert stored["payload"]["senha"] != "segredo123"


def partition_of(engine: sa.Engine, message: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.text("SELECT tableoid::regclass::text FROM logs WHERE message = :m"),
                {"m": message},
            ).scalar_one()
        )


def test_a_day_without_partition_lands_in_default_then_moves_to_its_partition(
    fresh_engine: sa.Engine,
) -> None:
    writer = DbLogWriter(
        fresh_engine,
        batch_size=10,
        flush_interval_s=0.02,
        buffer_max=100,
        today=lambda: dt.date(2026, 1, 1),
    )
    writer.start()
    try:
        writer.submit(line("perdida no tempo", when="2031-05-05T10:00:00.000Z"))
        wait_for(lambda: writer.stats().written == 1)
    finally:
        writer.close()
    assert partition_of(fresh_engine, "perdida no tempo") == "logs_partitions.logs_default"
    with fresh_engine.begin() as conn:
        created = retention.ensure_partitions(conn, today=dt.date(2026, 1, 1), ahead_days=1)
    assert dt.date(2031, 5, 5) in created
    assert partition_of(fresh_engine, "perdida no tempo") == "logs_partitions.logs_p20310505"


def test_writer_creates_partitions_ahead_when_the_day_changes(fresh_engine: sa.Engine) -> None:
    today = [dt.date(2030, 3, 10)]
    writer = DbLogWriter(
        fresh_engine,
        batch_size=10,
        flush_interval_s=0.02,
        buffer_max=100,
        partitions_ahead_days=2,
        today=lambda: today[0],
    )
    writer.start()
    try:
        writer.submit(line("dia 1", when="2030-03-10T10:00:00.000Z"))
        wait_for(lambda: writer.stats().written == 1)
        today[0] = dt.date(2030, 3, 11)
        writer.submit(line("dia 2", when="2030-03-11T10:00:00.000Z"))
        wait_for(lambda: writer.stats().written == 2)
    finally:
        writer.close()
    with fresh_engine.connect() as conn:
        days = retention.list_partitions(conn)
    for day in range(9, 14):
        assert dt.date(2030, 3, day) in days
    assert partition_of(fresh_engine, "dia 1") == "logs_partitions.logs_p20300310"
    assert partition_of(fresh_engine, "dia 2") == "logs_partitions.logs_p20300311"


def test_creating_a_partition_twice_is_harmless(db_conn: sa.Connection) -> None:
    assert retention.create_partition(db_conn, dt.date(2029, 2, 2)) is True
    assert retention.create_partition(db_conn, dt.date(2029, 2, 2)) is False
    db_conn.execute(
        sa.text(
            'INSERT INTO logs ("timestamp", level, service, message)'
            " VALUES ('2029-02-02T23:59:59.999+00', 'INFO', 's', 'fim do dia'),"
            " ('2029-02-03T00:00:00+00', 'INFO', 's', 'dia seguinte')"
        )
    )
    rows = dict(
        db_conn.execute(
            sa.text("SELECT message, tableoid::regclass::text FROM logs WHERE service = 's'")
        ).all()
    )
    assert rows["fim do dia"] == "logs_partitions.logs_p20290202"
    assert rows["dia seguinte"] == "logs_partitions.logs_default"
