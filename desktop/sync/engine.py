"""The sync engine: push the outbox, then pull pages of changes into the replica. Plain Python.

One engine serves one replica (one user account) and is driven by one thread (the desktop's sync
worker): call :meth:`SyncEngine.sync_once` whenever a sync is due. It reports through observers —
plain objects with the methods of :class:`SyncObserver` — which the UI bridges to Qt signals;
callbacks run on the engine's thread.

Guarantees (see docs/sync-client.md):

- push before pull; intents go in seq order, in batches; the contents of an intent are frozen
  in the outbox at enqueue, so a retry sends the very same intent;
- a rejected intent is recorded with its code and message and never blocks later ones;
- every request is retried on transient failures (network errors, timeouts, 503, a truncated
  body) with exponential backoff and full jitter; the clock, sleep and random source are
  injectable;
- each pulled page is applied with its cursor in one SQLite transaction, so a retry (or the
  next run, or the next process) resumes from the last applied page.
"""

from __future__ import annotations

import gc
import json
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import pydantic

from desktop.replica.store import OutboxEntry, Replica, ReplicaError
from desktop.sync.transport import (
    AuthError,
    PushResult,
    RawPull,
    SeqGapError,
    ServerError,
    SyncTransport,
    TransientError,
    TransportError,
    UpgradeRequiredError,
    parse_page,
    peek_page,
)
from shared_models.sync.protocol import IntentResult, IntentState, PullPage, PushRequest

T = TypeVar("T")

DEFAULT_PAGE_BYTES = 1024 * 1024  # first page of a pull (uncompressed JSON bound)
MIN_PAGE_BYTES = 64 * 1024
# Parsing a page holds the GIL in one C call (~4-12 ms per MiB here, more on a loaded machine):
# larger pages save round trips but stall the UI thread for longer (bench.ui_stall, 100,000 rows,
# load average 2-5: 4 MiB pages 47-58 ms, 3 MiB 46-78 ms, 2 MiB 12-38 ms; the target is < 50 ms).
MAX_PAGE_BYTES = 2 * 1024 * 1024
PAGE_TIME_LOW_S = 0.5  # a full page that came faster than this: ask for twice as much
PAGE_TIME_HIGH_S = 2.0  # slower than this (or a failure): ask for half
CURSOR_INVALID = "cursor_invalido"  # 400 from pull: the server cannot resume from our cursor
DEFAULT_PUSH_BATCH = 100
DEFAULT_PUSH_BATCH_BYTES = 512 * 1024
# One intent must fit in one push body (the server's upload limit is 20 MiB by default).
MAX_INTENT_BYTES = 16 * 1024 * 1024


class SyncState(StrEnum):
    ONLINE = "online"  # the last sync reached the server and completed
    OFFLINE = "offline"  # the server could not be reached (retries exhausted)
    SYNCING = "syncing"
    ERROR = "error"  # reached the server but cannot go on: upgrade, login, or a bug


@dataclass(frozen=True, slots=True)
class SyncProgress:
    phase: str  # "push" or "pull"
    bytes_sent: int
    bytes_received: int  # compressed bytes on the wire
    rows_applied: int
    pages: int
    intents_sent: int
    intents_pending: int


@dataclass(frozen=True, slots=True)
class SyncReport:
    ok: bool
    state: SyncState
    error: str | None
    intents_sent: int
    intents_applied: int
    intents_rejected: int
    pages: int
    rows_applied: int
    bytes_sent: int
    bytes_received: int
    requests: int
    retries: int
    duration_s: float


class SyncObserver:
    """Receives the engine's notifications. Subclass and override what you need."""

    def state_changed(self, state: SyncState, detail: str | None) -> None:
        """The engine's state changed (detail: a short reason for OFFLINE/ERROR)."""

    def progress(self, progress: SyncProgress) -> None:
        """After each push batch and each applied page."""

    def intents_resolved(self, entries: list[OutboxEntry]) -> None:
        """Outbox entries that just became applied or rejected."""

    def outbox_changed(self) -> None:
        """An intent was enqueued or changed state (refresh pending counts)."""

    def sync_finished(self, report: SyncReport) -> None:
        """End of :meth:`SyncEngine.sync_once`, successful or not."""


class CallbackObserver(SyncObserver):
    """An observer made of plain callables (any may be omitted)."""

    def __init__(
        self,
        *,
        on_state: Callable[[SyncState, str | None], None] | None = None,
        on_progress: Callable[[SyncProgress], None] | None = None,
        on_resolved: Callable[[list[OutboxEntry]], None] | None = None,
        on_outbox: Callable[[], None] | None = None,
        on_finished: Callable[[SyncReport], None] | None = None,
    ) -> None:
        self._on_state = on_state
        self._on_progress = on_progress
        self._on_resolved = on_resolved
        self._on_outbox = on_outbox
        self._on_finished = on_finished

    def state_changed(self, state: SyncState, detail: str | None) -> None:
        if self._on_state:
            self._on_state(state, detail)

    def progress(self, progress: SyncProgress) -> None:
        if self._on_progress:
            self._on_progress(progress)

    def intents_resolved(self, entries: list[OutboxEntry]) -> None:
        if self._on_resolved:
            self._on_resolved(entries)

    def outbox_changed(self) -> None:
        if self._on_outbox:
            self._on_outbox()

    def sync_finished(self, report: SyncReport) -> None:
        if self._on_finished:
            self._on_finished(report)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: sleep ``uniform(0, min(cap, base * 2**n))``."""

    base_delay_s: float = 0.5
    max_delay_s: float = 60.0
    max_attempts: int = 8  # per request, including the first

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Delay before retry number ``attempt`` (1 for the first retry)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return rng.uniform(0.0, ceiling)


class IntentSpec(Protocol):
    """What the engine needs of a catalogue entry."""

    @property
    def version(self) -> int: ...

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        """Validate and return the JSON-ready arguments to store (raise on invalid)."""
        ...


class IntentCatalogue(Protocol):
    def spec(self, name: str) -> IntentSpec | None: ...


class UnknownIntentError(ValueError):
    """The name is not in the shared mutation catalogue."""


class InvalidIntentError(ValueError):
    """The arguments do not validate against the intent's schema (nothing was stored)."""

    def __init__(self, name: str, error: pydantic.ValidationError) -> None:
        from desktop.sync.catalogue import field_errors

        super().__init__(f"{name}: {error.error_count()} invalid argument(s)")
        self.name = name
        self.errors = error.errors(include_url=False, include_input=False)
        # (field path, Portuguese message) pairs, ready for a form.
        self.field_errors = field_errors(error)


class IntentTooLargeError(ValueError):
    """The intent's arguments exceed what one push may carry (nothing was stored)."""


class SyncAbortedError(Exception):
    """Raised inside the engine when :meth:`SyncEngine.cancel` was called."""


class _Offline(Exception):
    pass


@dataclass
class _Run:
    """Counters of one sync_once."""

    correlation_id: str
    intents_sent: int = 0
    applied: int = 0
    rejected: int = 0
    pages: int = 0
    rows: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    requests: int = 0
    retries: int = 0
    started: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class _Fetched:
    body: bytes | None  # None: nothing more (204)
    peeked: tuple[str, bool] | None  # (cursor, more) read from the body's head


class _Fetcher:
    """Fetches pages ahead on its own thread, following the cursors peeked from the bodies.

    Hands over at most ``depth`` pages in order through :meth:`next`; an error (offline after
    the retries, a refusal) is handed over in order too, after the pages fetched before it.

    A page is handed over once the request for the next one is on the wire (the transport's
    ``on_sent``): parsing a page holds the GIL for a while, and the request must not wait for it,
    or the server would sit idle while the page is parsed.
    """

    def __init__(self, engine: SyncEngine, run: _Run, cursor: str, depth: int = 2) -> None:
        self._engine = engine
        self._run = run
        self._queue: queue.Queue[_Fetched | BaseException] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._pending: _Fetched | None = None  # fetched, not handed over yet
        self._thread = threading.Thread(
            target=self._loop, args=(cursor,), name="sync-prefetch", daemon=True
        )
        self._thread.start()

    def _loop(self, cursor: str) -> None:
        try:
            while not self._stop.is_set():
                body = self._engine._fetch_page(
                    self._run, cursor, self._stop, on_sent=self._offer_pending
                )
                if not self._put_pending():
                    return
                peeked = peek_page(body) if body is not None else None
                self._pending = _Fetched(body, peeked)
                if body is None or peeked is None or not peeked[1]:
                    # The end, or the next cursor is known only once the page is parsed.
                    self._put_pending()
                    return
                cursor = peeked[0]
        except BaseException as exc:  # handed to the engine's thread, raised there
            if self._put_pending():
                self._put(exc)

    def _offer_pending(self) -> None:
        """The next request is on its way: hand the pending page over if there is room now."""
        item = self._pending
        if item is None:
            return
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            return  # handed over once this request is done
        self._pending = None

    def _put_pending(self) -> bool:
        item, self._pending = self._pending, None
        return item is None or self._put(item)

    def _put(self, item: _Fetched | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def next(self) -> _Fetched:
        while True:
            try:
                item = self._queue.get(timeout=0.05)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    raise RuntimeError("the page fetcher stopped without a result") from None
                continue
            if isinstance(item, BaseException):
                raise item
            return item

    def close(self) -> None:
        """Stop fetching (a fetch in flight finishes or times out; its page is dropped)."""
        self._stop.set()
        self._thread.join()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a page is parsed and applied.

    A page is ~100,000 fresh lists and strings, all alive until it is applied, then freed by
    reference counting (they hold no cycles): collections triggered meanwhile would only walk
    them over and over (a third of the parsing time here). Collections resume afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class SyncEngine:
    """Push the outbox, pull changes; one instance per replica, driven by one thread."""

    def __init__(
        self,
        replica: Replica,
        transport: SyncTransport,
        *,
        catalogue: IntentCatalogue | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        page_bytes: int = DEFAULT_PAGE_BYTES,
        max_page_bytes: int = MAX_PAGE_BYTES,
        adaptive_pages: bool = True,
        prefetch: bool = True,
        push_batch: int = DEFAULT_PUSH_BATCH,
        push_batch_bytes: int = DEFAULT_PUSH_BATCH_BYTES,
        max_intent_bytes: int = MAX_INTENT_BYTES,
        observers: Iterable[SyncObserver] = (),
    ) -> None:
        self.replica = replica
        self.transport = transport
        self._catalogue = catalogue
        self.retry = retry or RetryPolicy()
        self._cancel = threading.Event()
        self._sleep = sleep or self._interruptible_sleep
        self._rng = rng or random.Random()
        self._monotonic = monotonic
        self.page_bytes = page_bytes
        self.max_page_bytes = max(max_page_bytes, page_bytes)
        self.adaptive_pages = adaptive_pages
        self._page_bytes = page_bytes  # current size, adapted to the link during a pull
        self.prefetch = prefetch
        self.push_batch = push_batch
        self.push_batch_bytes = push_batch_bytes
        self.max_intent_bytes = max_intent_bytes
        self._observers: list[SyncObserver] = list(observers)
        self._state = SyncState.OFFLINE
        self._detail: str | None = None

    # -- observers and state --------------------------------------------------------------------

    def add_observer(self, observer: SyncObserver) -> None:
        self._observers.append(observer)

    def remove_observer(self, observer: SyncObserver) -> None:
        self._observers.remove(observer)

    @property
    def state(self) -> SyncState:
        return self._state

    @property
    def state_detail(self) -> str | None:
        return self._detail

    def _set_state(self, state: SyncState, detail: str | None = None) -> None:
        if (state, detail) == (self._state, self._detail):
            return
        self._state, self._detail = state, detail
        for observer in list(self._observers):
            observer.state_changed(state, detail)

    def _notify(self, method: str, *args: Any) -> None:
        for observer in list(self._observers):
            getattr(observer, method)(*args)

    # -- outbox ---------------------------------------------------------------------------------

    @property
    def catalogue(self) -> IntentCatalogue:
        if self._catalogue is None:
            from desktop.sync.catalogue import SharedCatalogue

            shared: IntentCatalogue = SharedCatalogue()
            self._catalogue = shared
            return shared
        return self._catalogue

    def enqueue_intent(
        self,
        name: str,
        args: dict[str, Any],
        correlation_id: str | None = None,
        *,
        resubmission_of: int | None = None,
    ) -> OutboxEntry:
        """Validate ``args`` against the catalogue and store the intent (works offline).

        Raises :class:`UnknownIntentError`, :class:`InvalidIntentError` or
        :class:`IntentTooLargeError`; nothing is stored then.
        """
        spec = self.catalogue.spec(name)
        if spec is None:
            raise UnknownIntentError(name)
        try:
            stored = spec.validate(args)
        except pydantic.ValidationError as exc:
            raise InvalidIntentError(name, exc) from exc
        size = len(json.dumps(stored, ensure_ascii=False).encode())
        if size > self.max_intent_bytes:
            raise IntentTooLargeError(f"{name}: {size} bytes (at most {self.max_intent_bytes})")
        entry = self.replica.enqueue(
            name=name,
            version=spec.version,
            args=stored,
            correlation_id=correlation_id or str(uuid.uuid4()),
            resubmission_of=resubmission_of,
        )
        self._notify("outbox_changed")
        return entry

    def resubmit(
        self, seq: int, args: dict[str, Any], correlation_id: str | None = None
    ) -> OutboxEntry:
        """A corrected copy of a REJECTED intent, as a new intent with a new seq."""
        old = self.replica.entry(seq)
        if old is None or old.state is not IntentState.REJECTED:
            raise ValueError(f"seq {seq} is not a rejected intent")
        return self.enqueue_intent(old.name, args, correlation_id, resubmission_of=seq)

    # -- sync -----------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Ask a running sync to stop at the next request boundary (thread-safe)."""
        self._cancel.set()

    def sync_once(self, *, correlation_id: str | None = None) -> SyncReport:
        """Push every pending intent, then pull until the server has nothing more."""
        return self._run(push=True, pull=True, correlation_id=correlation_id)

    def push(self, *, correlation_id: str | None = None) -> SyncReport:
        """Only the push half (e.g. right after the user queued something)."""
        return self._run(push=True, pull=False, correlation_id=correlation_id)

    def pull(self, *, correlation_id: str | None = None) -> SyncReport:
        """Only the pull half."""
        return self._run(push=False, pull=True, correlation_id=correlation_id)

    def _run(self, *, push: bool, pull: bool, correlation_id: str | None) -> SyncReport:
        self._cancel.clear()
        self._page_bytes = self.page_bytes
        run = _Run(correlation_id=correlation_id or str(uuid.uuid4()))
        run.started = self._monotonic()
        self._set_state(SyncState.SYNCING)
        error: str | None = None
        final = SyncState.ONLINE
        try:
            if push:
                self._push(run)
            if pull:
                self._pull(run)
            if push and pull:
                self.replica.mark_synced()
        except _Offline as exc:
            final, error = SyncState.OFFLINE, str(exc)
        except SyncAbortedError:
            final, error = SyncState.OFFLINE, "cancelled"
        except UpgradeRequiredError as exc:
            final, error = SyncState.ERROR, f"upgrade required: {exc}"
        except AuthError as exc:
            final, error = SyncState.ERROR, f"authentication: {exc}"
        except (TransportError, ReplicaError, ValueError) as exc:
            final, error = SyncState.ERROR, f"{type(exc).__name__}: {exc}"
        except BaseException as exc:
            self._set_state(SyncState.ERROR, f"{type(exc).__name__}: {exc}")
            raise
        report = SyncReport(
            ok=error is None,
            state=final,
            error=error,
            intents_sent=run.intents_sent,
            intents_applied=run.applied,
            intents_rejected=run.rejected,
            pages=run.pages,
            rows_applied=run.rows,
            bytes_sent=run.bytes_sent,
            bytes_received=run.bytes_received,
            requests=run.requests,
            retries=run.retries,
            duration_s=self._monotonic() - run.started,
        )
        self._set_state(final, error)
        self._notify("sync_finished", report)
        return report

    # -- push -----------------------------------------------------------------------------------

    def _push(self, run: _Run) -> None:
        stalled = 0
        while True:
            pending = self.replica.pending()
            if not pending:
                return
            batch = self._take_batch(pending)
            resolved = self._push_batch(run, batch)
            if resolved:
                stalled = 0
            else:
                stalled += 1
                if stalled >= 3:
                    raise ServerError(200, None, "the server answered no result for the intents")

    def _take_batch(self, pending: list[OutboxEntry]) -> list[OutboxEntry]:
        batch: list[OutboxEntry] = []
        size = 0
        for entry in pending:
            cost = len(entry.args_json) + 256
            if batch and (len(batch) >= self.push_batch or size + cost > self.push_batch_bytes):
                break
            batch.append(entry)
            size += cost
        return batch

    def _push_batch(self, run: _Run, batch: list[OutboxEntry]) -> int:
        try:
            result = self._with_retry(run, lambda: self._send(run, batch))
        except SeqGapError as gap:
            batch = self._fill_gap(gap, batch)
            result = self._with_retry(run, lambda: self._send(run, batch))
        by_seq = {e.seq: e for e in batch}
        results: list[IntentResult] = []
        for item in result.response.results:
            entry = by_seq.get(item.seq)
            if entry is None:
                continue
            if item.intent_id != entry.intent_id:
                # The server holds a different intent under this (device, seq): never overwrite.
                raise ServerError(
                    409, "seq_conflict", f"seq {item.seq} holds another intent on the server"
                )
            results.append(item)
        resolved = self.replica.record_results(results)
        run.intents_sent += len(batch)
        run.applied += sum(e.state is IntentState.APPLIED for e in resolved)
        run.rejected += sum(e.state is IntentState.REJECTED for e in resolved)
        if resolved:
            self._notify("intents_resolved", resolved)
            self._notify("outbox_changed")
        self._progress(run, "push")
        return len(results)

    def _fill_gap(self, gap: SeqGapError, batch: list[OutboxEntry]) -> list[OutboxEntry]:
        """The server expects an earlier seq: resend from there (frozen contents) if we have it."""
        first = batch[0].seq
        if gap.next_seq >= first:
            # The server expects a later seq than ours yet did not replay ours: inconsistent.
            raise ServerError(409, "seq_gap", f"server expects seq {gap.next_seq}, we sent {first}")
        missing = [self.replica.entry(s) for s in range(gap.next_seq, first)]
        if any(e is None for e in missing):
            raise ServerError(409, "seq_gap", f"seq {gap.next_seq} is not in this outbox")
        return [e for e in missing if e is not None] + batch

    def _send(self, run: _Run, batch: list[OutboxEntry]) -> PushResult:
        request = PushRequest(
            device_id=self.replica.device_id, intents=[e.to_intent() for e in batch]
        )
        self.replica.mark_sent([e.seq for e in batch])  # queued -> sent, one more attempt
        run.requests += 1
        # The request's header names the user action when the batch comes from one action (the
        # usual case: a push right after the action); each intent carries its own id anyway.
        ids = {e.correlation_id for e in batch}
        header = ids.pop() if len(ids) == 1 else None
        result = self.transport.push(request, correlation_id=header or run.correlation_id)
        run.bytes_sent += result.bytes_sent
        run.bytes_received += result.bytes_received
        return result

    # -- pull -----------------------------------------------------------------------------------

    def _pull(self, run: _Run) -> None:
        try:
            self._pull_pages(run)
        except ServerError as exc:
            if exc.code != CURSOR_INVALID:
                raise
            # The server no longer knows our cursor: start over from a clean replica.
            self.replica.reset_replicated()
            self._pull_pages(run)

    def _pull_pages(self, run: _Run) -> None:
        """Pull until ``more`` is false, applying each page with its cursor, in order.

        With ``prefetch`` a fetcher thread asks for page N+1 as soon as page N has arrived (its
        cursor is read from the head of the body, see ``peek_page``) while this thread parses
        and applies page N: the server's work, the network and SQLite overlap. The replica's
        cursor is still always the last page applied; a page whose parsed cursor disagrees with
        the peeked one stops the fetcher, which starts again from the parsed cursor.
        """
        cursor = self.replica.cursor
        if not self.prefetch:
            while True:
                body = self._fetch_page(run, cursor)
                if body is None:
                    return
                with _gc_paused():
                    page = parse_page(body)
                    cursor, more = page.cursor, self._apply(run, page)
                    del page
                if not more:
                    return
        fetcher: _Fetcher | None = _Fetcher(self, run, cursor)
        try:
            while fetcher is not None:
                item = fetcher.next()
                if item.body is None:
                    return
                with _gc_paused():
                    page = parse_page(item.body)
                    cursor = page.cursor
                    if item.peeked != (cursor, page.more):
                        fetcher.close()  # it followed a cursor that is not the page's
                        fetcher = None
                    more = self._apply(run, page)
                    del page
                if not more:
                    return
                if fetcher is None or item.peeked is None:
                    if fetcher is not None:
                        fetcher.close()
                    fetcher = _Fetcher(self, run, cursor)
        finally:
            if fetcher is not None:
                fetcher.close()

    def _apply(self, run: _Run, page: PullPage) -> bool:
        """Apply one page (with its cursor); True if more pages follow."""
        self._check_cancel()
        applied = self.replica.apply_page(page)
        run.pages += 1
        run.rows += applied.rows
        if applied.results:
            run.applied += sum(e.state is IntentState.APPLIED for e in applied.results)
            run.rejected += sum(e.state is IntentState.REJECTED for e in applied.results)
            self._notify("intents_resolved", applied.results)
            self._notify("outbox_changed")
        self._progress(run, "pull")
        return page.more

    def _fetch_page(
        self,
        run: _Run,
        cursor: str,
        stop: threading.Event | None = None,
        *,
        on_sent: Callable[[], None] | None = None,
    ) -> bytes | None:
        """The page after ``cursor`` (decoded JSON), retried on transient failures.

        ``on_sent`` is called once the request is on the wire (see ``SyncTransport.pull_raw``).
        """
        return self._with_retry(run, lambda: self._fetch(run, cursor, on_sent), stop).body

    def _fetch(self, run: _Run, cursor: str, on_sent: Callable[[], None] | None = None) -> RawPull:
        run.requests += 1
        asked = self._page_bytes
        started = self._monotonic()
        try:
            result = self.transport.pull_raw(
                cursor, max_bytes=asked, correlation_id=run.correlation_id, on_sent=on_sent
            )
        except TransientError:
            self._adapt_page(asked, None, full=False)
            raise
        peeked = peek_page(result.body) if result.body is not None else None
        full = peeked[1] if peeked is not None else False
        self._adapt_page(asked, self._monotonic() - started, full=full)
        run.bytes_sent += result.bytes_sent
        run.bytes_received += result.bytes_received
        return result

    def _adapt_page(self, asked: int, seconds: float | None, *, full: bool) -> None:
        """Grow pages on a fast link (fewer round trips), shrink them on a slow or failing one
        (less to redo when a 2G link drops mid-page)."""
        if not self.adaptive_pages:
            return
        if seconds is None or seconds > PAGE_TIME_HIGH_S:
            self._page_bytes = max(min(MIN_PAGE_BYTES, self.page_bytes), asked // 2)
        elif full and seconds < PAGE_TIME_LOW_S:
            self._page_bytes = min(self.max_page_bytes, asked * 2)

    # -- retries --------------------------------------------------------------------------------

    def _with_retry(
        self, run: _Run, call: Callable[[], T], stop: threading.Event | None = None
    ) -> T:
        attempt = 0
        while True:
            self._check_cancel()
            if stop is not None and stop.is_set():
                raise SyncAbortedError
            try:
                return call()
            except TransientError as exc:
                attempt += 1
                if attempt >= self.retry.max_attempts:
                    raise _Offline(str(exc)) from exc
                run.retries += 1
                self._sleep(self.retry.delay(attempt, self._rng))

    def _interruptible_sleep(self, seconds: float) -> None:
        if self._cancel.wait(seconds):
            raise SyncAbortedError

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise SyncAbortedError

    def _progress(self, run: _Run, phase: str) -> None:
        pending = self.replica.outbox_counts()
        self._notify(
            "progress",
            SyncProgress(
                phase=phase,
                bytes_sent=run.bytes_sent,
                bytes_received=run.bytes_received,
                rows_applied=run.rows,
                pages=run.pages,
                intents_sent=run.intents_sent,
                intents_pending=pending[IntentState.QUEUED] + pending[IntentState.SENT],
            ),
        )
