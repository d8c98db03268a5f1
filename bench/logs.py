"""Requests/s of an endpoint that logs one line per request, log storage in PostgreSQL on vs off.

Two real uvicorn servers (one process each) run the same app on the same scratch database: one
with ``PEERSEED_LOG_DB_ENABLED=true``, one with ``false``. Both write the JSON line to stdout
(to /dev/null) and to a JSON log file, as in production. The endpoint does nothing but return; its
one log line per request is the request middleware's "requisição concluída" line (route, status,
duration). Keep-alive HTTP/1.1 clients (asyncio, raw sockets, in this process) load one server at
a time, alternating the order round after round so drift and noisy neighbours weigh on both
alike. The ratio is requests/s with storage on over requests/s with storage off (target >= 0.9).

At the end the storage-on server is stopped (its sink flushes on shutdown) and the stored lines
are counted against the requests it answered; the sink's own counters (dropped, rejected) come
from its ``/v1/metrics``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import common
from bench.common import emit, log, machine_note, postgres_server, scratch_database, server_version
from sync_server.db import make_engine

PATH = "/bench/log"


def _parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench logs", description=__doc__)
    p.add_argument("--concurrency", type=int, default=32, help="keep-alive connections")
    p.add_argument("--rounds", type=int, default=10, help="measured rounds per server")
    p.add_argument("--duration", type=float, default=3.0, help="seconds per round")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per server")
    p.add_argument("--serve", choices=["on", "off"], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--database-url", help=argparse.SUPPRESS)
    p.add_argument("--log-file", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# -- server side (a subprocess) ---------------------------------------------------------------


def serve(args: argparse.Namespace) -> int:
    from fastapi import APIRouter

    from sync_server.app import create_app

    settings = common.serve_settings(
        args,
        service_name=f"bench-logs-{args.serve}",
        redis_url="redis://127.0.0.1:6379/15",  # never touched by the endpoint
        log_db_enabled=args.serve == "on",
    )
    app = create_app(settings)
    router = APIRouter()

    @router.get(PATH)
    async def endpoint() -> dict[str, bool]:
        return {"ok": True}

    app.include_router(router)
    return common.serve_app(app, args.port)


def _start_server(mode: str, url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = common.free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench",
            "logs",
            "--serve",
            mode,
            "--port",
            str(port),
            "--database-url",
            url,
            "--log-file",
            str(workdir / f"server-{mode}.jsonl"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / f"server-{mode}.err", "wb"),  # noqa: SIM115 - lives with the child
        env={**os.environ, "PYTHONUNBUFFERED": "0"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server ({mode}) exited: {(workdir / f'server-{mode}.err').read_text()[-2000:]}"
            )
        try:
            status, _ = asyncio.run(_get(port, PATH))
            if status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server ({mode}) did not start")


def _stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- client side ------------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for raw in lines[1:]:
        name, _, value = raw.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        return await _read_response(reader)
    finally:
        writer.close()


async def _load(port: int, concurrency: int, seconds: float) -> tuple[int, int]:
    """(successful requests, failed requests) in ``seconds`` with ``concurrency`` connections."""
    request = f"GET {PATH} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    done = 0
    failed = 0
    stop_at = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal done, failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                writer.write(request)
                status, _ = await _read_response(reader)
                if status == 200:
                    done += 1
                else:
                    failed += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return done, failed


def _round(port: int, concurrency: int, seconds: float) -> tuple[float, int, int]:
    started = time.perf_counter()
    done, failed = asyncio.run(_load(port, concurrency, seconds))
    elapsed = time.perf_counter() - started
    return done / elapsed, done, failed


def _cpu_seconds(pid: int | None, *, main_thread_only: bool = False) -> float:
    """User+system CPU time of a process (all its threads, or its main thread) from /proc."""
    if pid is None:
        return 0.0
    stat = Path(f"/proc/{pid}/task/{pid}/stat" if main_thread_only else f"/proc/{pid}/stat")
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sink_backend_pid(url: str) -> int | None:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            pid = conn.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-logs-on-logs'"
                )
            ).scalar()
    finally:
        engine.dispose()
    return int(pid) if pid is not None else None


def _sink_metrics(port: int) -> dict[str, float]:
    _, body = asyncio.run(_get(port, "/v1/metrics"))
    values: dict[str, float] = {}
    for line in body.decode().splitlines():
        if line.startswith("peerseed_log_sink_"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def main(argv: list[str]) -> int:
    args = _parse_args(argv)
    if args.serve:
        return serve(args)
    with postgres_server() as admin_url, scratch_database(admin_url, "peerseed_bench_logs") as url:
        version = server_version(admin_url)
        workdir = Path(tempfile.mkdtemp(prefix="peerseed-bench-logs-"))
        servers = {mode: _start_server(mode, url, workdir) for mode in ("on", "off")}
        rps: dict[str, list[float]] = {"on": [], "off": []}
        total: dict[str, int] = {"on": 0, "off": 0}
        measured: dict[str, int] = {"on": 0, "off": 0}
        cpu: dict[str, float] = {"on": 0.0, "off": 0.0, "pg_sink": 0.0, "on_main": 0.0}
        failures = 0
        try:
            for mode in ("on", "off"):
                log(f"warm-up storage {mode}: {args.warmup:g}s")
                _, served, bad = _round(servers[mode][1], args.concurrency, args.warmup)
                total[mode] += served
                failures += bad
            sink_pid = _sink_backend_pid(url)
            for n in range(args.rounds):
                order = ("on", "off") if n % 2 == 0 else ("off", "on")
                for mode in order:
                    pid = servers[mode][0].pid
                    cpu_before = (
                        _cpu_seconds(pid),
                        _cpu_seconds(sink_pid),
                        _cpu_seconds(pid, main_thread_only=True),
                    )
                    rate, served, bad = _round(servers[mode][1], args.concurrency, args.duration)
                    # The sink writes a little after the requests: let it catch up.
                    time.sleep(0.6 if mode == "on" else 0)
                    cpu[mode] += _cpu_seconds(pid) - cpu_before[0]
                    if mode == "on":
                        cpu["pg_sink"] += _cpu_seconds(sink_pid) - cpu_before[1]
                        main_after = _cpu_seconds(pid, main_thread_only=True)
                        cpu["on_main"] += main_after - cpu_before[2]
                    else:
                        time.sleep(0.6)  # same pause for both arms
                    rps[mode].append(rate)
                    total[mode] += served
                    measured[mode] += served
                    failures += bad
                    log(f"round {n + 1} storage {mode}: {rate:.0f} req/s")
            sink = _sink_metrics(servers["on"][1])
        finally:
            for proc, _ in servers.values():
                _stop_server(proc)
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            with engine.connect() as conn:
                stored = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM logs WHERE service = 'bench-logs-on'"
                        " AND message = 'requisição concluída'"
                    )
                ).scalar_one()
                other = conn.execute(
                    sa.text("SELECT count(*) FROM logs WHERE service = 'bench-logs-off'")
                ).scalar_one()
        finally:
            engine.dispose()
    on, off = statistics.median(rps["on"]), statistics.median(rps["off"])
    # Each round's on/off pair ran back to back: the median of their ratios resists drift.
    pairs = statistics.median(a / b for a, b in zip(rps["on"], rps["off"], strict=True) if b)
    us = {k: 1e6 * v / max(measured["off" if k == "off" else "on"], 1) for k, v in cpu.items()}
    cpu_ratio = us["off"] / (us["on"] + us["pg_sink"]) if us["on"] else None
    written = sink.get("peerseed_log_sink_written_total")
    batches = sink.get("peerseed_log_sink_batches_total")
    result: dict[str, Any] = {
        "bench": "logs",
        "rps_storage_on": round(on, 1),
        "rps_storage_off": round(off, 1),
        "rounds_on": [round(x) for x in rps["on"]],
        "rounds_off": [round(x) for x in rps["off"]],
        "pair_ratio_median": round(pairs, 3),
        "load_average_after": round(os.getloadavg()[0], 2),
        "lines_per_request": 1,
        "concurrency": args.concurrency,
        "seconds_per_round": args.duration,
        "requests_storage_on": total["on"],
        "request_lines_stored": int(stored),
        "lines_stored_by_storage_off_server": int(other),
        "sink_dropped": sink.get('peerseed_log_sink_dropped_total{motivo="buffer_cheio"}'),
        "sink_rejected": sink.get("peerseed_log_sink_rejected_total"),
        "sink_lines_per_statement": round(written / batches) if written and batches else None,
        "failed_requests": failures,
        # CPU per request (server process, all threads) and the sink's PostgreSQL backend: the
        # same ratio expressed in CPU, less sensitive to a busy machine than requests/s.
        "server_cpu_us_per_request_on": round(us["on"], 1),
        "server_cpu_us_per_request_off": round(us["off"], 1),
        # The storage-on server split: its event loop (main thread, which also formats and
        # queues the line) and its other threads (the sink's writer).
        "server_cpu_us_per_request_on_main_thread": round(us["on_main"], 1),
        "server_cpu_us_per_request_on_other_threads": round(us["on"] - us["on_main"], 1),
        "postgres_sink_cpu_us_per_request": round(us["pg_sink"], 1),
        "cpu_ratio": round(cpu_ratio, 3) if cpu_ratio else None,
        "target": 0.9,
        "postgres": version,
        **machine_note(),
        "ratio": round(on / off, 3) if off else None,
    }
    emit(result)
    return 0
