"""Helpers shared by the benchmarks: a PostgreSQL to measure, scratch databases, pgbench, output.

Benchmarks are not timed tests: each one measures Peerseed and a reference side by side in one
run on the same server and reports the ratio, which is the figure that travels between machines.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from glob import glob
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sync_server import migrate
from sync_server.db import make_engine, normalize_url

LOCAL_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def log(message: str) -> None:
    """Progress goes to stderr so stdout stays clean; the final JSON line goes to stdout."""
    print(message, file=sys.stderr, flush=True)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for a server subprocess)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """URL of a maintenance database of the PostgreSQL to benchmark.

    ``PEERSEED_BENCH_PG_URL`` when set, else the machine's PostgreSQL at 127.0.0.1:5432 when it
    answers, else an embedded pgserver in a temporary directory (stopped afterwards).
    """
    env = os.environ.get("PEERSEED_BENCH_PG_URL")
    if env:
        log(f"PostgreSQL: {render_url(env)} (PEERSEED_BENCH_PG_URL)")
        yield env
        return
    if _answers("127.0.0.1", 5432):
        log(f"PostgreSQL: {LOCAL_PG_URL} (local)")
        yield LOCAL_PG_URL
        return
    from pgserver import get_server  # type: ignore[attr-defined]

    server = get_server(tempfile.mkdtemp(prefix="peerseed-bench-pg-"), cleanup_mode="stop")
    try:
        log(f"PostgreSQL: embedded pgserver at {server.pgdata}")
        yield server.get_uri()
    finally:
        server.cleanup()


def render_url(url: str) -> str:
    return sa.make_url(normalize_url(url)).render_as_string(hide_password=True)


def with_database(url: str, name: str) -> str:
    return sa.make_url(normalize_url(url)).set(database=name).render_as_string(hide_password=False)


def admin_execute(admin_url: str, *statements: str) -> list[Any]:
    """Run statements in AUTOCOMMIT (CREATE/DROP DATABASE, CHECKPOINT); returns scalar results."""
    engine = make_engine(admin_url, pool_size=1, max_overflow=0)
    results: list[Any] = []
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for statement in statements:
                result = conn.execute(sa.text(statement))
                results.append(result.scalar() if result.returns_rows else None)
    finally:
        engine.dispose()
    return results


@contextmanager
def scratch_database(admin_url: str, prefix: str, *, migrated: bool = True) -> Iterator[str]:
    """A new database (migrated to head unless ``migrated=False``), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin_execute(admin_url, f"CREATE DATABASE {name}")
    url = with_database(admin_url, name)
    try:
        if migrated:
            migrate.upgrade(url)
        yield url
    finally:
        admin_execute(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def find_pgbench() -> str | None:
    """``pgbench`` from PATH, the Debian/Ubuntu server packages, or the pgserver wheel."""
    found = shutil.which("pgbench")
    if found:
        return found
    for candidate in sorted(glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True):
        if os.access(candidate, os.X_OK):
            return candidate
    try:
        import pgserver
    except ImportError:
        return None
    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
    return str(bundled) if os.access(bundled, os.X_OK) else None


def libpq_env(url: str) -> dict[str, str]:
    """Environment for libpq tools (pgbench, psql) that points them at ``url``."""
    u = sa.make_url(normalize_url(url))
    env = dict(os.environ)
    host = u.host or u.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    if host:
        env["PGHOST"] = str(host)
    if u.port:
        env["PGPORT"] = str(u.port)
    if u.username:
        env["PGUSER"] = u.username
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    if u.database:
        env["PGDATABASE"] = u.database
    return env


def run_tool(args: list[str], url: str, *, timeout_s: float = 600) -> str:
    """Run a libpq tool against ``url``; returns stdout+stderr, raises on failure."""
    proc = subprocess.run(
        args, env=libpq_env(url), capture_output=True, text=True, timeout=timeout_s, check=False
    )
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed ({proc.returncode}):\n{output}")
    return output


def machine_note() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def server_version(url: str) -> str:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def emit(result: dict[str, Any]) -> None:
    """The one machine-readable line a benchmark prints, last, on stdout."""
    print(json.dumps(result, sort_keys=False, separators=(",", ":")), flush=True)


def serve_settings(args: Any, *, service_name: str, **overrides: Any) -> Any:
    """Settings of a benchmark's server subprocess (``--database-url/--redis-url/--log-file``)."""
    from sync_server.settings import Settings

    values: dict[str, Any] = {
        "database_url": args.database_url,
        "redis_url": getattr(args, "redis_url", None),
        "data_dir": Path(args.log_file).parent,
        "log_file": Path(args.log_file),
        "log_stdout": True,
        "service_name": service_name,
    }
    values.update(overrides)
    return Settings(**values)


def serve_app(app: Any, port: int) -> int:
    """Serve ``app`` on 127.0.0.1:``port`` with one uvicorn worker, JSON logs untouched."""
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, workers=1
    )
    uvicorn.Server(config).run()
    return 0
