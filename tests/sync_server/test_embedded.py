"""Zero configuration: ``peerseed-server run`` on embedded PostgreSQL and Redis, clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import free_port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("second_signal", [False, True], ids=["sigterm", "ctrl-c-then-sigterm"])
def test_run_without_configuration_starts_embedded_services_and_stops_them(
    tmp_path: Path, second_signal: bool
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERSEED_")}
    env.update(
        PEERSEED_DATA_DIR=str(tmp_path / "data"),
        PEERSEED_PORT=str(port),
        PEERSEED_LOG_STDOUT="false",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync_server.cli", "run", "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
                body = resp.json()
                if resp.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert body is not None and body["status"] == "ok", proc.poll()
        assert body["postgres"]["ok"] and body["redis"]["ok"]

        pg_pid = int((tmp_path / "data" / "pgdata" / "postmaster.pid").read_text().split()[0])
        assert _alive(pg_pid)
    finally:
        log_file = tmp_path / "data" / "logs" / "server.jsonl"
        if second_signal:
            # Ctrl-C in a terminal signals the whole process group; a launcher script then sends
            # its own SIGTERM while the embedded services are being stopped.
            proc.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and proc.poll() is None:
                if log_file.exists() and "parando Redis embutido" in log_file.read_text():
                    break
                time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
    deadline = time.monotonic() + 20
    while _alive(pg_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pg_pid), "embedded PostgreSQL still running after shutdown"

    log_lines = log_file.read_text().splitlines()
    messages = [json.loads(line)["message"] for line in log_lines]
    assert "parando PostgreSQL embutido" in messages
