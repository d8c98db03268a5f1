"""Log partitions and retention: 30 days hot in PostgreSQL, 1 year cold in gzip archives.

* :func:`ensure_partitions` creates the partitions of yesterday, today and the next days, and of
  every day that has lines waiting in the DEFAULT partition (moving them into it).
* :func:`run_retention` exports every partition older than ``hot_days`` to
  ``<archive_dir>/logs-YYYY-MM-DD.jsonl.gz`` (one JSON object per line, the specification's keys
  plus ``id``), records its SHA-256, line count and size in ``<archive_dir>/manifest.json``, then
  detaches and drops the partition; archives of days older than ``archive_days`` are deleted and
  removed from the manifest. Every step is safe to repeat after a crash.
* :func:`restore_day` loads one archived day into ``logs_restaurados`` after checking its
  checksum and line count.

Time comes from an injected clock (``Callable[[], datetime]``, UTC); days are UTC days. Only one
process runs the maintenance at a time (a PostgreSQL advisory lock); the others skip.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from shared_models.db.log_tables import PARTITIONS_SCHEMA
from sync_server.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
_PARTITION_NAME = re.compile(r"logs_p(\d{8})")
_LOCK_KEY = "peerseed.logs_retention"
_EXPORT_SQL = """
SELECT json_build_object(
    'id', id,
    'timestamp', to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'level', level, 'service', service, 'correlation_id', correlation_id,
    'user_id', user_id, 'message', message, 'payload', payload)::text
FROM {table} ORDER BY "timestamp", id
"""
_RESTORE_SQL = """
INSERT INTO logs_restaurados
    (id, dia, "timestamp", level, service, correlation_id, user_id, message, payload)
SELECT (j->>'id')::bigint, CAST(%s AS date), (j->>'timestamp')::timestamptz, j->>'level',
       j->>'service', j->>'correlation_id', j->>'user_id', j->>'message',
       COALESCE(j->'payload', '{}'::jsonb)
FROM jsonb_array_elements(%s::jsonb) AS j
"""


class ArchiveError(Exception):
    """An archived day cannot be restored (missing, or not what the manifest says)."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def archive_dir(settings: Settings) -> Path:
    return settings.log_archive_dir or settings.data_dir / "logs" / "arquivo"


def archive_name(day: dt.date) -> str:
    return f"logs-{day.isoformat()}.jsonl.gz"


def partition_name(day: dt.date) -> str:
    return f"logs_p{day:%Y%m%d}"


# ---------------------------------------------------------------------------------------------
# Partitions
# ---------------------------------------------------------------------------------------------


def list_partitions(conn: sa.Connection) -> list[dt.date]:
    """The days that have a partition attached to ``logs`` (the DEFAULT partition excluded)."""
    names = conn.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'public.logs'::regclass"
        )
    ).scalars()
    days = []
    for name in names:
        match = _PARTITION_NAME.fullmatch(name)
        if match:
            days.append(dt.datetime.strptime(match.group(1), "%Y%m%d").date())  # noqa: DTZ007
    return sorted(days)


def create_partition(conn: sa.Connection, day: dt.date) -> bool:
    """Create ``day``'s partition (moving its lines out of DEFAULT); False if it existed."""
    return bool(conn.execute(sa.text("SELECT logs_criar_particao(:d)"), {"d": day}).scalar_one())


def ensure_partitions(conn: sa.Connection, *, today: dt.date, ahead_days: int) -> list[dt.date]:
    """Partitions for yesterday..today+ahead and for every day found in DEFAULT; the new days."""
    wanted = {today + dt.timedelta(days=n) for n in range(-1, ahead_days + 1)}
    stray = conn.execute(
        sa.text(
            "SELECT DISTINCT (\"timestamp\" AT TIME ZONE 'UTC')::date"
            " FROM logs_partitions.logs_default"
        )
    ).scalars()
    wanted.update(stray)
    return [day for day in sorted(wanted) if create_partition(conn, day)]


# ---------------------------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------------------------


@dataclass
class Manifest:
    path: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        if not path.exists():
            return cls(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(path, dict(data.get("arquivos", {})))

    def save(self) -> None:
        document = {"versao": MANIFEST_VERSION, "arquivos": dict(sorted(self.entries.items()))}
        _atomic_write_text(self.path, json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - not every platform opens directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Export, retention, deletion
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveEntry:
    day: dt.date
    file: str
    sha256: str
    lines: int
    size: int

    def as_manifest(self, exported_at: dt.datetime) -> dict[str, Any]:
        return {
            "arquivo": self.file,
            "sha256": self.sha256,
            "linhas": self.lines,
            "bytes": self.size,
            "exportado_em": exported_at.isoformat(),
        }


@dataclass
class RetentionReport:
    partitions_created: list[dt.date] = field(default_factory=list)
    exported: list[ArchiveEntry] = field(default_factory=list)
    dropped: list[dt.date] = field(default_factory=list)
    archives_deleted: list[dt.date] = field(default_factory=list)
    skipped: bool = False

    def as_log_payload(self) -> dict[str, Any]:
        return {
            "particoes_criadas": [d.isoformat() for d in self.partitions_created],
            "dias_exportados": [e.day.isoformat() for e in self.exported],
            "particoes_removidas": [d.isoformat() for d in self.dropped],
            "arquivos_apagados": [d.isoformat() for d in self.archives_deleted],
            "ignorado": self.skipped,
        }


def export_partition(engine: sa.Engine, *, day: dt.date, directory: Path) -> ArchiveEntry:
    """Write ``day``'s partition to ``directory`` as gzip JSON lines (atomically)."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / archive_name(day)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{final.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    lines = 0
    try:
        table = f'{PARTITIONS_SCHEMA}."{partition_name(day)}"'
        # mtime=0: the same rows always give the same bytes (and checksum).
        with (
            os.fdopen(fd, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz,
        ):
            with engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=2000).execute(
                    sa.text(_EXPORT_SQL.format(table=table))
                )
                for (text,) in result:
                    gz.write(text.encode("utf-8") + b"\n")
                    lines += 1
            gz.close()
            raw.flush()
            os.fsync(raw.fileno())
        tmp.replace(final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
    return ArchiveEntry(day, final.name, sha256_file(final), lines, final.stat().st_size)


def _is_empty(engine: sa.Engine, day: dt.date) -> bool:
    qualified = f'{PARTITIONS_SCHEMA}."{partition_name(day)}"'
    with engine.connect() as conn:
        sql = f"SELECT NOT EXISTS (SELECT 1 FROM {qualified})"  # noqa: S608 - our own name
        return bool(conn.execute(sa.text(sql)).scalar_one())


def _drop_partition(engine: sa.Engine, *, day: dt.date, expected_lines: int) -> bool:
    """Detach and drop ``day``'s partition if it still holds exactly the exported lines."""
    qualified = f'{PARTITIONS_SCHEMA}."{partition_name(day)}"'
    with engine.connect() as conn:
        tx = conn.begin()
        # No more writes to this day while we compare, then a brief lock of the parent to detach.
        conn.execute(sa.text(f"LOCK TABLE {qualified} IN SHARE MODE"))
        count_sql = f"SELECT count(*) FROM {qualified}"  # noqa: S608 - our own partition name
        count = conn.execute(sa.text(count_sql)).scalar_one()
        if count != expected_lines:
            # Lines arrived after the export: keep everything, export again on the next run.
            tx.rollback()
            log.warning(
                "partição de logs mudou durante a exportação; será exportada de novo",
                extra={"payload": {"dia": day.isoformat(), "exportadas": expected_lines}},
            )
            return False
        conn.execute(sa.text(f"ALTER TABLE logs DETACH PARTITION {qualified}"))
        conn.execute(sa.text(f"DROP TABLE {qualified}"))
        tx.commit()
    return True


def run_retention(
    engine: sa.Engine,
    *,
    directory: Path,
    clock: Clock = utc_now,
    hot_days: int = 30,
    archive_days: int = 365,
    partitions_ahead_days: int = 3,
) -> RetentionReport:
    """One maintenance pass: partitions ahead, export+drop of cold days, old archive deletion."""
    report = RetentionReport()
    today = clock().astimezone(dt.UTC).date()
    with engine.connect() as lock_conn:
        got = lock_conn.execute(
            sa.text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": _LOCK_KEY}
        ).scalar_one()
        lock_conn.commit()
        if not got:
            report.skipped = True
            return report
        try:
            _run_locked(
                engine,
                report,
                directory=directory,
                today=today,
                now=clock(),
                hot_days=hot_days,
                archive_days=archive_days,
                partitions_ahead_days=partitions_ahead_days,
            )
        finally:
            lock_conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": _LOCK_KEY})
            lock_conn.commit()
    if report.partitions_created or report.exported or report.dropped or report.archives_deleted:
        log.info("manutenção dos logs concluída", extra={"payload": report.as_log_payload()})
    return report


def _run_locked(
    engine: sa.Engine,
    report: RetentionReport,
    *,
    directory: Path,
    today: dt.date,
    now: dt.datetime,
    hot_days: int,
    archive_days: int,
    partitions_ahead_days: int,
) -> None:
    with engine.begin() as conn:
        report.partitions_created = ensure_partitions(
            conn, today=today, ahead_days=partitions_ahead_days
        )
        days = list_partitions(conn)

    hot_from = today - dt.timedelta(days=hot_days)
    manifest = Manifest.load(directory)
    for day in days:
        if day >= hot_from:
            continue
        if _is_empty(engine, day):
            # Nothing to keep: no archive, just drop the partition.
            if _drop_partition(engine, day=day, expected_lines=0):
                report.dropped.append(day)
            continue
        entry = export_partition(engine, day=day, directory=directory)
        manifest.entries[day.isoformat()] = entry.as_manifest(now)
        manifest.save()  # the archive is on record before its partition goes away
        report.exported.append(entry)
        if _drop_partition(engine, day=day, expected_lines=entry.lines):
            report.dropped.append(day)

    keep_from = today - dt.timedelta(days=archive_days)
    for key in sorted(manifest.entries):
        day = dt.date.fromisoformat(key)
        if day >= keep_from:
            continue
        (directory / manifest.entries[key]["arquivo"]).unlink(missing_ok=True)
        del manifest.entries[key]
        manifest.save()
        report.archives_deleted.append(day)


def run_log_maintenance(
    engine: sa.Engine, settings: Settings, *, clock: Clock = utc_now
) -> RetentionReport:
    """:func:`run_retention` with the settings' directory and periods (worker and CLI)."""
    return run_retention(
        engine,
        directory=archive_dir(settings),
        clock=clock,
        hot_days=settings.log_hot_days,
        archive_days=settings.log_archive_days,
        partitions_ahead_days=settings.log_partitions_ahead_days,
    )


# ---------------------------------------------------------------------------------------------
# Restore
# ---------------------------------------------------------------------------------------------


def _archived_lines(path: Path) -> Iterator[str]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for raw in handle:
            line = raw.rstrip("\n")
            if line:
                yield line


def restore_day(engine: sa.Engine, *, directory: Path, day: dt.date, batch: int = 2000) -> int:
    """Load ``day``'s archive into ``logs_restaurados`` (replacing that day); the line count.

    Raises :class:`ArchiveError` when the day is not in the manifest, its file is missing, or
    the file's SHA-256 or line count differs from the manifest (nothing is written then).
    """
    manifest = Manifest.load(directory)
    entry = manifest.entries.get(day.isoformat())
    if entry is None:
        raise ArchiveError(f"o dia {day.isoformat()} não está no manifesto de {directory}")
    path = directory / entry["arquivo"]
    if not path.exists():
        raise ArchiveError(f"arquivo ausente: {path}")
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        raise ArchiveError(
            f"checksum de {path.name} não confere: manifesto {entry['sha256']}, arquivo {actual}"
        )
    restored = 0
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM logs_restaurados WHERE dia = :d"), {"d": day})
            pending: list[str] = []
            for line in _archived_lines(path):
                pending.append(line)
                if len(pending) >= batch:
                    conn.exec_driver_sql(_RESTORE_SQL, (day, "[" + ",".join(pending) + "]"))
                    restored += len(pending)
                    pending = []
            if pending:
                conn.exec_driver_sql(_RESTORE_SQL, (day, "[" + ",".join(pending) + "]"))
                restored += len(pending)
            if restored != entry["linhas"]:
                raise ArchiveError(
                    f"{path.name} tem {restored} linhas; o manifesto diz {entry['linhas']}"
                )
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ArchiveError(f"arquivo ilegível: {path.name} ({exc})") from exc
    log.info(
        "dia de logs restaurado",
        extra={"payload": {"dia": day.isoformat(), "linhas": restored}},
    )
    return restored


# ---------------------------------------------------------------------------------------------
# CLI entry points (``peerseed-server logs-retention`` / ``logs-restore --day``)
# ---------------------------------------------------------------------------------------------


def _cli_engine(settings: Settings) -> sa.Engine:
    from sync_server.db import make_engine

    assert settings.database_url
    return make_engine(settings.database_url, pool_size=2, max_overflow=0)


def cmd_logs_retention(settings: Settings, out: TextIO) -> int:
    engine = _cli_engine(settings)
    try:
        report = run_log_maintenance(engine, settings)
    finally:
        engine.dispose()
    if report.skipped:
        out.write("outra manutenção de logs está em andamento; nada feito\n")
        return 1
    out.write(json.dumps(report.as_log_payload(), ensure_ascii=False) + "\n")
    return 0


def cmd_logs_restore(settings: Settings, day: str, out: TextIO) -> int:
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        out.write(f"data inválida: {day!r} (use AAAA-MM-DD)\n")
        return 2
    engine = _cli_engine(settings)
    try:
        count = restore_day(engine, directory=archive_dir(settings), day=parsed)
    except ArchiveError as exc:
        out.write(f"falha ao restaurar: {exc}\n")
        return 1
    finally:
        engine.dispose()
    out.write(f"{count} linhas de {parsed.isoformat()} restauradas em logs_restaurados\n")
    return 0
