"""The sync worker thread and its UI-side controller.

:class:`SyncWorker` lives on its own ``QThread`` (``desktop.qt.start_worker``). It opens the
replica (migrations included), owns the :class:`~desktop.sync.SyncEngine` and does every SQLite
write: syncs and queued intents. Widgets never call it; they talk to a :class:`SyncController`
(on the UI thread), whose requests reach the worker as queued signals and whose signals carry
the worker's notifications back.

Local writes do not wait for a sync to end. A form's intent is posted to a thread-safe queue and
the worker stores it as soon as it can: at once when idle, else between two pages or two push
batches (the engine's progress callback), or during a retry back-off (the engine's sleep is the
worker's, and it wakes up for writes). Only one HTTP request in flight can delay it.

Thread-safety: on the UI thread, only :class:`SyncController` methods are called; on the worker
thread, only :class:`SyncWorker` slots run. The two cross-thread entry points are documented
(:meth:`SyncWorker.post_write`, :meth:`SyncWorker.request_stop`).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.qt import QtCore, Signal, Slot, start_worker, stop_worker
from desktop.replica import OutboxEntry, Replica
from desktop.sync import (
    HttpTransport,
    InvalidIntentError,
    RetryPolicy,
    SyncEngine,
    SyncObserver,
    SyncProgress,
    SyncReport,
    SyncState,
    UnknownIntentError,
)
from desktop.sync.engine import SyncAbortedError
from desktop.tls import prepare as prepare_tls

log = logging.getLogger(__name__)

# Interactive use: give up on a request after a few quick retries (the periodic timer tries
# again later) so "offline" shows within seconds, not minutes.
DESKTOP_RETRY = RetryPolicy(base_delay_s=0.5, max_delay_s=8.0, max_attempts=4)


@dataclass(frozen=True)
class WorkerConfig:
    replica_path: Path
    server_url: str
    token: str | None
    retry: RetryPolicy = DESKTOP_RETRY
    page_bytes: int | None = None


@dataclass(frozen=True)
class WriteRequest:
    """Store an intent (``seq`` None) or a corrected copy of the rejected intent ``seq``."""

    request_id: int
    name: str
    args: dict[str, Any]
    correlation_id: str | None = None
    resubmission_of: int | None = None


@dataclass(frozen=True)
class WriteResult:
    request_id: int
    entry: OutboxEntry | None
    # (field path, Portuguese message) pairs when the arguments did not validate.
    field_errors: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.entry is not None


@dataclass(frozen=True)
class ReplicaStatus:
    """What the status bar shows, read by the worker after opening and after each sync."""

    last_sync_at: datetime | None
    pending: int
    rejected: int


class _Bridge(SyncObserver):
    """Engine notifications (on the worker thread) → the worker's Qt signals."""

    def __init__(self, worker: SyncWorker) -> None:
        self._worker = worker

    def state_changed(self, state: SyncState, detail: str | None) -> None:
        self._worker.state_changed.emit(state, detail)

    def progress(self, progress: SyncProgress) -> None:
        self._worker.progress.emit(progress)
        self._worker.drain_writes()  # between pages: nothing is in a transaction now

    def intents_resolved(self, entries: list[OutboxEntry]) -> None:
        self._worker.intents_resolved.emit(entries)

    def outbox_changed(self) -> None:
        self._worker.emit_status()


class SyncWorker(QtCore.QObject):
    ready = Signal(object)  # ReplicaStatus, once the replica is open
    open_failed = Signal(object)  # the exception (a replica from a newer app, a bad file...)
    state_changed = Signal(object, object)  # SyncState, detail
    progress = Signal(object)  # SyncProgress
    intents_resolved = Signal(object)  # list[OutboxEntry]
    status_changed = Signal(object)  # ReplicaStatus
    sync_finished = Signal(object, object)  # SyncReport, ReplicaStatus
    write_finished = Signal(object)  # WriteResult
    failed = Signal(object)  # an unexpected exception (a bug)
    stopped = Signal()

    def __init__(self, config: WorkerConfig) -> None:
        super().__init__()
        self._config = config
        self._token = config.token
        self._replica: Replica | None = None
        self._engine: SyncEngine | None = None
        self._transport: HttpTransport | None = None
        self._writes: queue.SimpleQueue[WriteRequest] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._syncing = False
        self._again = False
        self._last_sync_started = 0.0

    # -- cross-thread entry points (any thread) -------------------------------------------------

    def post_write(self, request: WriteRequest) -> None:
        """Queue a local write; the worker stores it at its next opportunity (thread-safe)."""
        self._writes.put(request)
        self._wake.set()

    def request_stop(self) -> None:
        """Make a running sync stop at its next boundary (thread-safe)."""
        self._stopping.set()
        self._wake.set()
        engine = self._engine
        if engine is not None:
            engine.cancel()

    def abort_network(self) -> None:
        """Close the HTTP client under a request in flight (thread-safe; at exit only).

        A request on a slow link is not interrupted by :meth:`request_stop`; closing its
        connection makes it fail at once, and the cancelled engine then stops.
        """
        transport = self._transport
        if transport is not None:
            transport.close()

    # -- slots (worker thread) ------------------------------------------------------------------

    @Slot()
    def open(self) -> None:
        try:
            self._replica = Replica.open(self._config.replica_path)
            self._transport = HttpTransport(self._config.server_url, token=self._token)
            kwargs: dict[str, Any] = {}
            if self._config.page_bytes:
                kwargs["page_bytes"] = self._config.page_bytes
            self._engine = SyncEngine(
                self._replica,
                self._transport,
                retry=self._config.retry,
                sleep=self._sleep,
                observers=[_Bridge(self)],
                **kwargs,
            )
        except Exception as exc:
            log.exception("cannot open the replica %s", self._config.replica_path)
            self.open_failed.emit(exc)
            return
        self.ready.emit(self._status())
        self.drain_writes()

    @Slot(float)
    def sync(self, requested_at: float) -> None:
        """Push then pull; a request made before the last sync started is already served."""
        if self._engine is None or self._stopping.is_set():
            return
        if requested_at < self._last_sync_started:
            return
        if not self._token:
            self.state_changed.emit(SyncState.ERROR, "authentication: no session")
            return
        self._syncing = True
        try:
            while True:
                self._again = False
                self._last_sync_started = time.monotonic()
                report = self._engine.sync_once()
                self.sync_finished.emit(report, self._status())
                self.drain_writes()
                if not (self._again and report.ok) or self._stopping.is_set():
                    break
        except Exception as exc:
            log.exception("sync failed unexpectedly")
            self.failed.emit(exc)
        finally:
            self._syncing = False

    @Slot(object)
    def set_token(self, token: object) -> None:
        self._token = token if isinstance(token, str) and token else None
        if self._transport is not None:
            self._transport.token = self._token

    @Slot()
    def drain_writes(self) -> None:
        """Store every posted write (worker thread; outside any SQLite transaction)."""
        if self._engine is None:
            return
        stored = False
        while True:
            try:
                request = self._writes.get_nowait()
            except queue.Empty:
                break
            result = self._store(request)
            stored = stored or result.ok
            self.write_finished.emit(result)
        if stored:
            if self._syncing:
                self._again = True  # push it in this run's next round
            else:
                self.emit_status()

    @Slot()
    def shutdown(self) -> None:
        """Store what is still posted, then close everything and end the thread."""
        self.drain_writes()
        if self._transport is not None:
            self._transport.close()
        if self._replica is not None:
            self._replica.close()
        self._engine = None
        self.stopped.emit()
        thread = QtCore.QThread.currentThread()
        thread.quit()

    # -- helpers (worker thread) ----------------------------------------------------------------

    def emit_status(self) -> None:
        if self._replica is not None:
            self.status_changed.emit(self._status())

    def _status(self) -> ReplicaStatus:
        assert self._replica is not None
        with self._replica.engine.connect() as conn:
            pending, rejected = conn.exec_driver_sql(
                "SELECT"
                " (SELECT COUNT(*) FROM outbox WHERE state IN ('queued', 'sent')),"
                " (SELECT COUNT(*) FROM outbox o WHERE o.state = 'rejected' AND NOT EXISTS"
                "  (SELECT 1 FROM outbox n WHERE n.device_id = o.device_id"
                "   AND n.resubmission_of = o.seq))"
            ).one()
        return ReplicaStatus(
            last_sync_at=self._replica.last_sync_at, pending=int(pending), rejected=int(rejected)
        )

    def _store(self, request: WriteRequest) -> WriteResult:
        assert self._engine is not None
        try:
            if request.resubmission_of is not None:
                entry = self._engine.resubmit(
                    request.resubmission_of, request.args, request.correlation_id
                )
            else:
                entry = self._engine.enqueue_intent(
                    request.name, request.args, request.correlation_id
                )
        except InvalidIntentError as exc:
            return WriteResult(request.request_id, None, field_errors=list(exc.field_errors))
        except (UnknownIntentError, ValueError) as exc:
            return WriteResult(request.request_id, None, error=str(exc))
        return WriteResult(request.request_id, entry)

    def _sleep(self, seconds: float) -> None:
        """The engine's back-off sleep: stores posted writes meanwhile; stops on request."""
        deadline = time.monotonic() + seconds
        while True:
            self.drain_writes()
            if self._stopping.is_set():
                raise SyncAbortedError
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._wake.wait(remaining)
            self._wake.clear()


class SyncController(QtCore.QObject):
    """The UI's handle on the sync worker: requests go out as queued signals, news comes back.

    Also runs the periodic sync timer. Signals mirror the worker's plus :attr:`data_changed`
    (the replica's contents changed: windows reload what they show).
    """

    ready = Signal(object)  # ReplicaStatus
    open_failed = Signal(object)
    state_changed = Signal(object, object)  # SyncState, detail
    progress = Signal(object)  # SyncProgress
    status_changed = Signal(object)  # ReplicaStatus
    sync_finished = Signal(object, object)  # SyncReport, ReplicaStatus
    intents_resolved = Signal(object)  # list[OutboxEntry]
    write_finished = Signal(object)  # WriteResult
    data_changed = Signal()
    failed = Signal(object)

    # Requests to the worker (queued: the worker lives on another thread).
    _open_requested = Signal()
    _sync_requested = Signal(float)
    _drain_requested = Signal()
    _token_changed = Signal(object)
    _shutdown_requested = Signal()

    def __init__(
        self,
        config: WorkerConfig,
        *,
        parent: QtCore.QObject | None = None,
        interval_ms: int = 60_000,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.state: SyncState = SyncState.OFFLINE
        self.state_detail: str | None = None
        self.replica_status: ReplicaStatus | None = None
        self.last_report: SyncReport | None = None
        self.is_open = False
        self._sync_enabled = False
        self._ids = itertools.count(1)
        self._stopped = False

        self._worker = SyncWorker(config)
        w = self._worker
        w.ready.connect(self._on_ready)
        w.open_failed.connect(self.open_failed)
        w.state_changed.connect(self._on_state)
        w.progress.connect(self.progress)
        w.status_changed.connect(self._on_status)
        w.sync_finished.connect(self._on_finished)
        w.intents_resolved.connect(self._on_resolved)
        w.write_finished.connect(self._on_write)
        w.failed.connect(self.failed)
        self._open_requested.connect(w.open)
        self._sync_requested.connect(w.sync)
        self._drain_requested.connect(w.drain_writes)
        self._token_changed.connect(w.set_token)
        self._shutdown_requested.connect(w.shutdown)

        prepare_tls()  # on the UI thread, before the worker thread builds its HTTP client
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.sync_now)
        self._thread = start_worker(w, name="peerseed-sync")

    # -- requests -------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the replica on the worker (reading works from then on, offline included)."""
        self._open_requested.emit()

    def enable_sync(self) -> None:
        """Sync now and every ``interval_ms`` (once the replica is open); needs a token."""
        self._sync_enabled = True
        if self.is_open and not self._stopped:
            self._timer.start()
            self.sync_now()

    def sync_now(self) -> None:
        if not self._stopped:
            self._sync_requested.emit(time.monotonic())

    def enqueue(self, name: str, args: dict[str, Any], *, correlation_id: str | None = None) -> int:
        """Ask the worker to store an intent; the answer is a :attr:`write_finished` signal."""
        return self._post(WriteRequest(next(self._ids), name, args, correlation_id))

    def resubmit(
        self, seq: int, name: str, args: dict[str, Any], *, correlation_id: str | None = None
    ) -> int:
        """A corrected copy of the rejected intent ``seq``, as a NEW intent."""
        return self._post(WriteRequest(next(self._ids), name, args, correlation_id, seq))

    def set_token(self, token: str | None) -> None:
        self.config = dataclasses.replace(self.config, token=token)
        self._token_changed.emit(token)

    def stop(self, *, timeout_ms: int = 15_000) -> bool:
        """Stop syncing, store what was posted, close the replica and end the thread."""
        if self._stopped:
            return True
        self._stopped = True
        self._timer.stop()
        self._worker.request_stop()
        self._shutdown_requested.emit()
        finished = stop_worker(self._thread, timeout_ms=min(timeout_ms, 3_000))
        if not finished:  # a request in flight on a slow link: cut it
            self._worker.abort_network()
            finished = stop_worker(self._thread, timeout_ms=timeout_ms)
        if not finished:
            log.error("the sync worker did not stop in %d ms", timeout_ms)
        return finished

    @property
    def running(self) -> bool:
        return not self._stopped

    def _post(self, request: WriteRequest) -> int:
        self._worker.post_write(request)
        self._drain_requested.emit()  # served at once if the worker is idle
        return request.request_id

    # -- worker news ----------------------------------------------------------------------------

    def _on_ready(self, status: ReplicaStatus) -> None:
        self.is_open = True
        self.replica_status = status
        self.ready.emit(status)
        self.data_changed.emit()
        if self._sync_enabled and not self._stopped:
            self._timer.start()
            self.sync_now()

    def _on_state(self, state: SyncState, detail: str | None) -> None:
        self.state, self.state_detail = state, detail
        self.state_changed.emit(state, detail)

    def _on_status(self, status: ReplicaStatus) -> None:
        self.replica_status = status
        self.status_changed.emit(status)
        self.data_changed.emit()

    def _on_finished(self, report: SyncReport, status: ReplicaStatus) -> None:
        self.last_report = report
        self.replica_status = status
        self.status_changed.emit(status)
        self.sync_finished.emit(report, status)
        if report.rows_applied or report.intents_applied or report.intents_rejected:
            self.data_changed.emit()

    def _on_resolved(self, entries: list[OutboxEntry]) -> None:
        self.intents_resolved.emit(entries)

    def _on_write(self, result: WriteResult) -> None:
        self.write_finished.emit(result)
        if result.ok and not self._stopped:
            self.data_changed.emit()
            if self._sync_enabled:
                self.sync_now()  # push it now if the server answers
