"""Blocking calls (HTTP) off the UI thread, grouped in channels where the newest call wins.

:class:`BackgroundRunner` runs each call with the app's :class:`desktop.qt.BackgroundOp` on the
dashboards' own thread pool (a child of the application, so slow HTTP never starves the app's
shared pool), and results come back on the UI thread: ``on_success(result)`` or
``on_failure(message)``, the message in Portuguese.

Calls are grouped in *channels* ("alerts", "search", …): only the newest call of a channel is
delivered; an older one that finishes late is dropped, so a slow answer never overwrites a newer
one. :meth:`BackgroundRunner.shutdown` stops all delivery at once; calls not started yet are
skipped. A call still waiting on the network finishes in the background (its result dropped):
neither shutting down nor deleting the widget ever waits for the network.

A :class:`~desktop.dashboard.client.DashboardError` is an expected failure (network, session,
refused query). Any other exception is a bug: a generic message is shown and the exception goes to
:func:`desktop.qt.report_bug`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from desktop.dashboard.client import DashboardError
from desktop.qt import BackgroundOp, QtCore, Signal, report_bug

T = TypeVar("T")

POOL_NAME: Final = "peerseedDashboardPool"
POOL_THREADS: Final = 4

UNEXPECTED_ERROR: Final = (
    "Erro inesperado no painel ({name}). Tente novamente; se persistir, informe o suporte."
)


class _Cancelled(Exception):
    """The runner was shut down before the call started."""


def dashboard_pool() -> QtCore.QThreadPool:
    """The thread pool of the dashboards: a child of the application, made on first use."""
    app = QtCore.QCoreApplication.instance()
    if app is None:
        raise RuntimeError("the dashboard needs a QApplication")
    pool = app.findChild(QtCore.QThreadPool, POOL_NAME)
    if pool is None:
        pool = QtCore.QThreadPool(app)
        pool.setObjectName(POOL_NAME)
        pool.setMaxThreadCount(POOL_THREADS)
    return pool


@dataclass
class _Pending:
    channel: str
    on_success: Callable[[Any], None]
    on_failure: Callable[[str], None]


class BackgroundRunner(QtCore.QObject):
    """Runs blocking callables off the UI thread; see the module docstring."""

    busy_changed = Signal(str, bool)  # channel, busy

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = dashboard_pool()
        self._closed = threading.Event()
        self._next_ticket = 0
        self._pending: dict[int, _Pending] = {}
        self._latest: dict[str, int] = {}

    def submit(
        self,
        channel: str,
        fn: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[str], None],
    ) -> int:
        """Run ``fn`` on the pool; returns a ticket. Supersedes the channel's previous call."""
        if self._closed.is_set():
            return -1
        self._next_ticket += 1
        ticket = self._next_ticket
        self._pending[ticket] = _Pending(channel, on_success, on_failure)
        was_busy = channel in self._latest
        self._latest[channel] = ticket
        if not was_busy:
            self.busy_changed.emit(channel, True)
        closed = self._closed

        def call() -> T:
            if closed.is_set():
                raise _Cancelled
            return fn()

        BackgroundOp(
            self,
            call,
            success=lambda result: self._succeeded(ticket, result),
            failure=lambda exc: self._failed(ticket, exc),
            pool=self._pool,
        ).run()
        return ticket

    def is_busy(self, channel: str | None = None) -> bool:
        """Whether the newest call of ``channel`` (of any channel if None) is still running."""
        if channel is None:
            return bool(self._latest)
        return channel in self._latest

    def shutdown(self) -> None:
        """Deliver nothing more; calls not started yet are skipped. Never waits."""
        self._closed.set()
        self._pending.clear()
        self._latest.clear()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Wait for the dashboards' running calls (tests); results are then delivered by the
        event loop."""
        return bool(self._pool.waitForDone(timeout_ms))

    def _take(self, ticket: int) -> _Pending | None:
        pending = self._pending.pop(ticket, None)
        if pending is None or self._closed.is_set():
            return None
        if self._latest.get(pending.channel) != ticket:
            return None  # superseded by a newer call of the same channel
        del self._latest[pending.channel]
        self.busy_changed.emit(pending.channel, False)
        return pending

    def _succeeded(self, ticket: int, result: object) -> None:
        pending = self._take(ticket)
        if pending is not None:
            pending.on_success(result)

    def _failed(self, ticket: int, exc: BaseException) -> None:
        pending = self._take(ticket)
        if isinstance(exc, _Cancelled):
            return
        if isinstance(exc, DashboardError):
            if pending is not None:
                pending.on_failure(exc.message)
            return
        if pending is not None:
            pending.on_failure(UNEXPECTED_ERROR.format(name=type(exc).__name__))
        report_bug(exc)
