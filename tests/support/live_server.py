"""The real sync server (uvicorn) in a subprocess, for end-to-end tests; restartable and killable.

``python -m tests.support.live_server --port N --database-url URL --redis-url URL --data-dir D``
serves ``sync_server.app.create_app`` until SIGTERM. :class:`LiveServer` drives it from a test.

Restarts use a *warm standby*: a second process that has already imported the app and waits on
its stdin; after the running one is killed, the standby is told to bind the same port. Importing
FastAPI, SQLAlchemy and the app takes seconds on a busy machine, which would otherwise turn every
restart into a long outage (the engine copes, but the suite would crawl).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """One uvicorn process at a time on a fixed port (kept across restarts)."""

    def __init__(
        self,
        *,
        database_url: str,
        redis_url: str,
        data_dir: Path,
        port: int | None = None,
        env: dict[str, str] | None = None,
        cheap_hashing: bool = True,
        warm_restarts: bool = True,
    ) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.data_dir = data_dir
        self.port = port or free_port()
        self.env = env or {}
        self.cheap_hashing = cheap_hashing
        self.warm_restarts = warm_restarts
        self.process: subprocess.Popen[bytes] | None = None
        self._standby: subprocess.Popen[bytes] | None = None
        self.spawned = 0
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def _spawn(self) -> subprocess.Popen[bytes]:
        """A server process that imports the app, then waits for a line on stdin to serve."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.spawned += 1
        env = {**os.environ, **self.env}
        env.pop("PEERSEED_DATABASE_URL", None)
        env.pop("PEERSEED_REDIS_URL", None)
        with (self.data_dir / f"server-{self.spawned}.out").open("wb") as output:
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.support.live_server",
                    "--port",
                    str(self.port),
                    "--database-url",
                    self.database_url,
                    "--redis-url",
                    self.redis_url,
                    "--data-dir",
                    str(self.data_dir),
                    *(["--cheap-hashing"] if self.cheap_hashing else []),
                ],
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def start(self, *, timeout_s: float = 90.0) -> LiveServer:
        process, self._standby = self._standby or self._spawn(), None
        assert process.stdin is not None
        process.stdin.write(b"serve\n")
        process.stdin.close()
        self.process = process
        self.starts += 1
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/v1/ping", timeout=1).status_code == 200:
                    if self.warm_restarts:
                        self._standby = self._spawn()
                    return self
            time.sleep(0.02)
        self.stop(kill=True)
        raise RuntimeError(f"server did not answer in {timeout_s} s:\n{self.output()}")

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (graceful) or SIGKILL (a crash, mid-request). The standby stays ready."""
        process, self.process = self.process, None
        _end(process, kill=kill)

    def close(self) -> None:
        """Stop the server and its standby."""
        self.stop()
        standby, self._standby = self._standby, None
        _end(standby, kill=True)

    def restart(self, *, kill: bool = True) -> None:
        self.stop(kill=kill)
        self.start()

    def output(self) -> str:
        path = self.data_dir / f"server-{self.spawned}.out"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _end(process: subprocess.Popen[bytes] | None, *, kill: bool) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(15)


def _exit_with_parent() -> None:
    """End this server when the test process that started it is gone (killed by a timeout, a
    crashed xdist worker...): an orphaned server would hold its port and database connections
    forever."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown
        time.sleep(10)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument(
        "--cheap-hashing",
        action="store_true",
        help="a cheap Argon2id profile, as the in-process test suites use (tests only)",
    )
    args = parser.parse_args(argv)

    import uvicorn

    from sync_server.app import create_app
    from sync_server.settings import Settings

    _exit_with_parent()
    data_dir = Path(args.data_dir)
    settings = Settings(
        database_url=args.database_url,
        redis_url=args.redis_url,
        data_dir=data_dir,
        log_file=data_dir / "server.jsonl",
        log_stdout=False,
        port=args.port,
        db_pool_size=4,
        db_max_overflow=4,
        service_name="e2e-sync-server",
    )
    with contextlib.ExitStack() as stack:
        if args.cheap_hashing:
            from sync_server.auth.passwords import hasher_profile

            stack.enter_context(hasher_profile(time_cost=1, memory_cost=1024, parallelism=1))
        app = create_app(settings)
        # Warm standby: everything is imported and built; serve when told (or never, if the
        # parent goes away: EOF).
        if sys.stdin.readline().strip() != "serve":
            return 0
        uvicorn.run(
            app,
            host="127.0.0.1",
            port=args.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=5,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
