"""The one Qt wrapper of the desktop app: the binding, and how work leaves the UI thread.

Every other desktop module imports Qt from here (``from desktop.qt import QtCore, QtWidgets``),
never from ``PySide6`` directly, so the binding and its quirks live in one place (qutebrowser's
``qutebrowser.qt``).

Background work, two shapes (the UI thread never waits on the network or on a database):

- :class:`BackgroundOp` — a one-shot operation (a login request, a replica query, reading a
  document file) run on a thread pool; ``success(result)`` or ``failure(exc)`` is then called on
  the UI thread (Anki's ``QueryOp``). If the owner widget was deleted meanwhile, nothing is called.
- :func:`start_worker` / :func:`stop_worker` — a long-lived ``QObject`` moved to its own
  ``QThread`` (the sync worker); widgets talk to it through queued signals only.

Errors are sorted as qutebrowser does (``desktop.errors``): a :class:`UserEnvironmentError` is
something the user can act on and is shown as a message; any other exception is a bug and goes to
:func:`report_bug`.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets
from PySide6.QtCore import Qt, Signal, Slot

from desktop.errors import UserEnvironmentError

__all__ = [
    "BackgroundOp",
    "Qt",
    "QtCore",
    "QtGui",
    "QtSvg",
    "QtWidgets",
    "Signal",
    "Slot",
    "UserEnvironmentError",
    "is_alive",
    "report_bug",
    "start_worker",
    "stop_worker",
    "wait_for_background",
]

log = logging.getLogger(__name__)

T = TypeVar("T")


# -- binding quirks ----------------------------------------------------------------------------


def _steals_singleton_references() -> bool:
    """Whether this binding drops references to ``True``/``None`` it returns (PySide6 6.12.0).

    PySide6/shiboken 6.12.0 return ``True``, ``False`` and ``None`` from many calls (every
    ``Signal.emit``, ``setText``, ``QTimer.start``...) without a new reference, as if they were
    immortal (PEP 683, Python 3.12+). On Python 3.11 each such call takes one reference away,
    and after a few hundred signals the interpreter aborts with ``Fatal Python error:
    bool_dealloc``. Measured with a probe, so a fixed or older binding is left alone.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False

    class _Probe(QtCore.QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    return sys.getrefcount(True) < before - 4


def _immortalize_singletons() -> None:
    """Give ``None``, ``True`` and ``False`` a reference count that cannot reach zero.

    This is what Python 3.12 does for them (immortal objects); on 3.11 it makes the stolen
    references of a buggy binding harmless. CPython 3.11 only: ``ob_refcnt`` is the first field
    of every object, at ``id(obj)``.
    """
    import ctypes

    for singleton in (None, True, False, NotImplemented, Ellipsis):
        refcnt = ctypes.c_ssize_t.from_address(id(singleton))
        refcnt.value += 1 << 40


if _steals_singleton_references():
    _immortalize_singletons()
    log.info(
        "Qt binding for Qt %s drops references to None/True/False on Python %d.%d: "
        "made them immortal (see desktop/qt.py)",
        QtCore.qVersion(),
        *sys.version_info[:2],
    )


def is_alive(obj: object) -> bool:
    """Whether a Qt object's C++ side still exists (a closed, deleted widget does not)."""
    return obj is not None and shiboken6.isValid(obj)


def report_bug(exc: BaseException) -> None:
    """An unexpected exception on the UI thread: log it and hand it to ``sys.excepthook``.

    The app installs a hook that shows a dialog; pytest-qt's hook fails the running test.
    """
    log.error("unexpected error: %s", "".join(traceback.format_exception(exc)).rstrip())
    sys.excepthook(type(exc), exc, exc.__traceback__)


# -- one-shot operations on a thread pool ----------------------------------------------------


class _Relay(QtCore.QObject):
    """Lives on the UI thread; carries one operation's outcome across threads."""

    finished = Signal(object, object)  # result, exception

    def __init__(self, deliver: Callable[[object, BaseException | None], None]) -> None:
        app = QtCore.QCoreApplication.instance()
        # Parented to the application: kept alive (C++ and Python) until delivered.
        super().__init__(app)
        self._deliver = deliver
        self.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    @Slot(object, object)
    def _on_finished(self, result: object, error: object) -> None:
        try:
            self._deliver(result, error if isinstance(error, BaseException) else None)
        finally:
            self.setParent(None)
            self.deleteLater()


class _Task(QtCore.QRunnable):
    def __init__(self, fn: Callable[[], object], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # delivered to failure() on the UI thread
            self._relay.finished.emit(None, exc)
        else:
            self._relay.finished.emit(result, None)
        finally:
            self._fn = _done


def _done() -> None:
    return None


class BackgroundOp(Generic[T]):
    """Run ``op`` on a pool thread; report its outcome on the UI thread.

    ``owner``: the widget the outcome is for; when it has been deleted by the time the operation
    ends, neither callback runs. ``failure`` receives the exception; without one, a
    :class:`UserEnvironmentError` is logged and anything else goes to :func:`report_bug`.
    """

    def __init__(
        self,
        owner: QtCore.QObject | None,
        op: Callable[[], T],
        *,
        success: Callable[[T], Any],
        failure: Callable[[BaseException], Any] | None = None,
        pool: QtCore.QThreadPool | None = None,
    ) -> None:
        self._owner = owner
        self._op = op
        self._success = success
        self._failure = failure
        self._pool = pool or QtCore.QThreadPool.globalInstance()

    def run(self) -> None:
        relay = _Relay(self._deliver)
        self._pool.start(_Task(self._op, relay))

    def _deliver(self, result: object, error: BaseException | None) -> None:
        if self._owner is not None and not is_alive(self._owner):
            return
        if error is None:
            self._success(result)  # type: ignore[arg-type]
        elif self._failure is not None:
            self._failure(error)
        elif isinstance(error, UserEnvironmentError):
            log.warning("background operation failed: %s", error)
        else:
            report_bug(error)


def wait_for_background(timeout_ms: int = 10_000) -> bool:
    """Wait for the pool's running operations (at exit); their outcomes are then queued."""
    return bool(QtCore.QThreadPool.globalInstance().waitForDone(timeout_ms))


# -- a long-lived worker on its own thread ---------------------------------------------------


def start_worker(worker: QtCore.QObject, *, name: str) -> QtCore.QThread:
    """Move ``worker`` (no parent) to a new thread and start its event loop.

    Its slots then run on that thread when invoked through signals (queued connections).
    """
    thread = QtCore.QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.start()
    return thread


def stop_worker(thread: QtCore.QThread, *, timeout_ms: int) -> bool:
    """Wait for a worker thread to end; its worker quits the thread's loop itself once it has
    finished its queued work (quitting from outside would drop that work)."""
    if not is_alive(thread):
        return True
    return bool(thread.wait(QtCore.QDeadlineTimer(timeout_ms)))
