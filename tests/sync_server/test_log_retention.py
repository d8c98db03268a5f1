"""Retention with an injected clock: export to gzip + manifest, drop, 1-year deletion, restore."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync_server.db import make_engine
from sync_server.observability import retention
from sync_server.settings import Settings

NOW = dt.datetime(2027, 3, 15, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(fresh_db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(fresh_db_url, pool_size=3, max_overflow=2)
    try:
        yield eng
    finally:
        eng.dispose()


def add_lines(engine: sa.Engine, day: dt.date, count: int, *, service: str = "api") -> None:
    with engine.begin() as conn:
        retention.create_partition(conn, day)
        conn.execute(
            sa.text(
                'INSERT INTO logs ("timestamp", level, service, correlation_id, user_id,'
                " message, payload)"
                " SELECT CAST(:d AS timestamptz) + n * interval '1 second', 'INFO', :s,"
                " 'c-' || n, NULL, 'linha ' || n || E' \"aspas\" \\\\ barra \u00e7',"
                " jsonb_build_object('n', n, 'texto', E'a\\nb')"
                " FROM generate_series(1, :c) AS n"
            ),
            {"d": f"{day.isoformat()}T00:00:00+00", "s": service, "c": count},
        )


def test_cold_partitions_are_exported_checksummed_and_dropped(
    engine: sa.Engine, tmp_path: Path
) -> None:
    old = dt.date(2027, 2, 1)  # 42 days before NOW: cold
    edge = dt.date(2027, 2, 13)  # 30 days before NOW: still hot
    add_lines(engine, old, 120)
    add_lines(engine, edge, 5)
    archive = tmp_path / "arquivo"

    report = retention.run_retention(engine, directory=archive, clock=lambda: NOW)

    assert [e.day for e in report.exported] == [old]
    assert old in report.dropped
    # Empty cold partitions (the migration's days) are dropped without an archive.
    assert len(list(archive.glob("*.gz"))) == 1
    with engine.connect() as conn:
        days = retention.list_partitions(conn)
        tables = set(
            conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'logs_partitions'")
            ).scalars()
        )
    assert old not in days and edge in days
    assert "logs_p20270201" not in tables
    assert dt.date(2027, 3, 18) in days  # partitions ahead of the injected clock

    manifest = json.loads((archive / "manifest.json").read_text())
    entry = manifest["arquivos"]["2027-02-01"]
    path = archive / "logs-2027-02-01.jsonl.gz"
    assert entry["arquivo"] == path.name
    assert entry["linhas"] == 120
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["bytes"] == path.stat().st_size

    lines = [json.loads(x) for x in gzip.decompress(path.read_bytes()).decode().splitlines()]
    assert len(lines) == 120
    first = lines[0]
    assert list(first) == [
        "id",
        "timestamp",
        "level",
        "service",
        "correlation_id",
        "user_id",
        "message",
        "payload",
    ]
    assert first["timestamp"] == "2027-02-01T00:00:01.000000Z"
    assert first["message"] == 'linha 1 "aspas" \\ barra ç'
    assert first["payload"] == {"n": 1, "texto": "a\nb"}

    # A second pass has nothing left to do.
    again = retention.run_retention(engine, directory=archive, clock=lambda: NOW)
    assert again.exported == [] and again.dropped == []


def test_archives_older_than_a_year_are_deleted(engine: sa.Engine, tmp_path: Path) -> None:
    archive = tmp_path / "arquivo"
    add_lines(engine, dt.date(2026, 3, 1), 3)
    add_lines(engine, dt.date(2026, 3, 20), 3)
    first = retention.run_retention(engine, directory=archive, clock=lambda: NOW)
    assert {e.day for e in first.exported} == {dt.date(2026, 3, 1), dt.date(2026, 3, 20)}
    # 2026-03-01 is more than 365 days before NOW: exported, then deleted in the same pass.
    assert first.archives_deleted == [dt.date(2026, 3, 1)]
    assert not (archive / "logs-2026-03-01.jsonl.gz").exists()
    manifest = json.loads((archive / "manifest.json").read_text())
    assert list(manifest["arquivos"]) == ["2026-03-20"]

    later = NOW + dt.timedelta(days=10)
    second = retention.run_retention(engine, directory=archive, clock=lambda: later)
    assert second.archives_deleted == [dt.date(2026, 3, 20)]
    assert json.loads((archive / "manifest.json").read_text())["arquivos"] == {}
    assert not (archive / "logs-2026-03-20.jsonl.gz").exists()


def test_restore_a_day_into_the_query_table(engine: sa.Engine, tmp_path: Path) -> None:
    archive = tmp_path / "arquivo"
    day = dt.date(2027, 1, 10)
    add_lines(engine, day, 2500, service="pagamentos")
    with engine.connect() as conn:
        original = conn.execute(
            sa.text(
                'SELECT id, "timestamp", level, service, correlation_id, user_id, message,'
                " payload FROM logs WHERE service = 'pagamentos' ORDER BY id"
            )
        ).all()
    retention.run_retention(engine, directory=archive, clock=lambda: NOW)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM logs")).scalar_one() == 0

    assert retention.restore_day(engine, directory=archive, day=day) == 2500
    # Restoring twice replaces the day instead of duplicating it.
    assert retention.restore_day(engine, directory=archive, day=day, batch=700) == 2500
    with engine.connect() as conn:
        restored = conn.execute(
            sa.text(
                'SELECT id, "timestamp", level, service, correlation_id, user_id, message,'
                " payload FROM logs_restaurados WHERE dia = :d ORDER BY id"
            ),
            {"d": day},
        ).all()
    assert restored == original


def test_restore_refuses_a_tampered_or_missing_archive(engine: sa.Engine, tmp_path: Path) -> None:
    archive = tmp_path / "arquivo"
    day = dt.date(2027, 1, 11)
    add_lines(engine, day, 10)
    retention.run_retention(engine, directory=archive, clock=lambda: NOW)

    with pytest.raises(retention.ArchiveError, match="não está no manifesto"):
        retention.restore_day(engine, directory=archive, day=dt.date(2020, 1, 1))

    path = archive / retention.archive_name(day)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
        gz.write(gzip.decompress(path.read_bytes()).replace(b"linha 3", b"linha X"))
    path.write_bytes(buffer.getvalue())
    with pytest.raises(retention.ArchiveError, match="checksum"):
        retention.restore_day(engine, directory=archive, day=day)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM logs_restaurados")).scalar_one() == 0

    path.unlink()
    with pytest.raises(retention.ArchiveError, match="ausente"):
        retention.restore_day(engine, directory=archive, day=day)


def test_rows_stuck_in_default_are_archived_with_their_day(
    engine: sa.Engine, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                'INSERT INTO logs ("timestamp", level, service, message)'
                " VALUES ('2026-06-01T10:00:00+00', 'ERROR', 'api', 'atrasada')"
            )
        )
    report = retention.run_retention(engine, directory=tmp_path, clock=lambda: NOW)
    assert dt.date(2026, 6, 1) in report.partitions_created
    assert [e.day for e in report.exported] == [dt.date(2026, 6, 1)]
    assert dt.date(2026, 6, 1) in report.dropped
    assert report.exported[0].lines == 1


def test_only_one_maintenance_runs_at_a_time(engine: sa.Engine, tmp_path: Path) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(hashtext('peerseed.logs_retention'))"))
        conn.commit()
        try:
            report = retention.run_retention(engine, directory=tmp_path, clock=lambda: NOW)
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext('peerseed.logs_retention'))"))
            conn.commit()
    assert report.skipped


def test_cli_entry_points(fresh_db_url: str, tmp_path: Path, engine: sa.Engine) -> None:
    settings = Settings(database_url=fresh_db_url, data_dir=tmp_path, log_archive_dir=None)
    add_lines(engine, dt.date(2020, 1, 2), 4)
    out = io.StringIO()
    assert retention.cmd_logs_retention(settings, out) == 0
    assert "2020-01-02" in out.getvalue()
    assert retention.archive_dir(settings) == tmp_path / "logs" / "arquivo"
    # 2020 is more than a year ago (real clock): exported then deleted; restore finds nothing.
    out = io.StringIO()
    assert retention.cmd_logs_restore(settings, "2020-01-02", out) == 1
    assert "não está no manifesto" in out.getvalue()
    assert retention.cmd_logs_restore(settings, "ontem", io.StringIO()) == 2
