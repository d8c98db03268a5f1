"""Speculative snapshot pages: the page after the one just served is built while it travels.

During an initial sync a client asks for snapshot pages back to back, each cursor taken from the
page before. Without help PostgreSQL would sit idle while a page is compressed, sent, received and
the next request arrives. So, once a snapshot page with ``more`` is served, the page after it (same
user, same profile, same ``max_bytes``) is built on a small thread pool; the request that asks for
it takes it instead of building it again (also when it asks for bigger pages: ``max_bytes`` is an
upper bound, and a client's page size grows during a sync).

It changes nothing the client can see: a snapshot page may always hold rows newer than the
snapshot's horizon, and every change at or after the horizon is replayed from the change log, so
a page built a few milliseconds before it is asked for is as good as one built on demand (the
speculative build runs after the page before it, hence after the horizon). A page is only ever
handed to a request of the user and profile it was built for, after that request was
authenticated. Only snapshot pages are speculated (the initial sync); change-log pages are always
built on demand.

Bounded: ``workers`` builds at a time (a build is skipped when they are all busy), at most
``max_pages`` pages kept, each for ``ttl_s`` seconds. One instance per app (``app.state``), made
and closed by the sync router's lifespan.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from shared_models.enums import Perfil

T = TypeVar("T")

DEFAULT_WORKERS: Final = 2
DEFAULT_MAX_PAGES: Final = 8
DEFAULT_TTL_S: Final = 30.0


@dataclass(frozen=True)
class PrefetchKey:
    """What a page depends on besides the data and its size bound: who asks, and from where."""

    user_id: uuid.UUID
    perfil: Perfil
    cursor: str


@dataclass(frozen=True)
class _Entry(Generic[T]):
    future: Future[T]
    max_bytes: int
    created: float


class PagePrefetcher(Generic[T]):
    """Builds values (pages) ahead of the requests that will ask for them, keyed by
    :class:`PrefetchKey`. Thread-safe."""

    def __init__(
        self,
        *,
        workers: int = DEFAULT_WORKERS,
        max_pages: int = DEFAULT_MAX_PAGES,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._workers = workers
        self._max_pages = max_pages
        self._ttl_s = ttl_s
        self._clock = clock
        # Reentrant: cancelling a future under the lock runs its done callback (_built) at once.
        self._lock = threading.RLock()
        self._entries: dict[PrefetchKey, _Entry[T]] = {}
        self._building = 0
        self._closed = False
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync-prefetch")
        self.hits = 0  # requests served by a speculative build (for tests and diagnostics)

    def schedule(self, key: PrefetchKey, max_bytes: int, build: Callable[[], T]) -> bool:
        """Start building ``key``'s value (bounded by ``max_bytes``) in the background; False if
        skipped (already there, every worker busy, or closed)."""
        with self._lock:
            if self._closed or key in self._entries or self._building >= self._workers:
                return False
            self._drop_expired()
            while len(self._entries) >= self._max_pages:
                oldest = min(self._entries, key=lambda k: self._entries[k].created)
                self._entries.pop(oldest).future.cancel()
            self._building += 1
            future = self._pool.submit(build)
            future.add_done_callback(self._built)
            self._entries[key] = _Entry(future, max_bytes, self._clock())
            return True

    def take(self, key: PrefetchKey, max_bytes: int) -> tuple[bool, T | None]:
        """``(True, value)`` when a build for ``key`` within ``max_bytes`` was under way or done
        (waits for it), else ``(False, None)``: the caller builds the value itself. A failed
        build is a miss too (the caller's own attempt reports the error, if it persists)."""
        with self._lock:
            entry = self._entries.pop(key, None)
            self._drop_expired()
            if entry is None:
                return False, None
            if (
                entry.max_bytes > max_bytes  # the client asks for smaller pages now
                or self._clock() - entry.created > self._ttl_s
                or entry.future.cancel()  # not started yet: building it now is as quick
            ):
                return False, None
        try:
            value = entry.future.result()
        except (Exception, CancelledError):
            return False, None
        with self._lock:
            self.hits += 1
        return True, value

    def close(self) -> None:
        """Drop what is kept, cancel what has not started, wait for builds under way."""
        with self._lock:
            self._closed = True
            for entry in self._entries.values():
                entry.future.cancel()
            self._entries.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _built(self, _future: Future[T]) -> None:
        with self._lock:
            self._building -= 1

    def _drop_expired(self) -> None:
        now = self._clock()
        for key in [k for k, e in self._entries.items() if now - e.created > self._ttl_s]:
            self._entries.pop(key).future.cancel()
