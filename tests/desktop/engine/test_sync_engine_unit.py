"""Engine logic against an in-memory fake transport: ordering, backoff, rejections, gaps, cancel.

The same behaviours are exercised against the real server in test_sync_engine.py and the fault
runs in tests/e2e; here each rule is pinned down deterministically (no network, no sleeping).
"""

from __future__ import annotations

import gc
import json
import random
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest

from desktop.replica import Replica
from desktop.sync.engine import (
    CallbackObserver,
    IntentTooLargeError,
    InvalidIntentError,
    RetryPolicy,
    SyncEngine,
    SyncProgress,
    SyncReport,
    SyncState,
    UnknownIntentError,
)
from desktop.sync.transport import (
    PushResult,
    RawPull,
    SeqGapError,
    ServerError,
    TransientError,
    UpgradeRequiredError,
)
from shared_models.sync.protocol import (
    IntentResult,
    IntentState,
    PullPage,
    PushRequest,
    PushResponse,
    TableChanges,
)


class _Args(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    valor: str
    cotas: int = pydantic.Field(ge=1)


class _Spec:
    version = 3

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        return _Args.model_validate(args).model_dump(mode="json")


class _Catalogue:
    def spec(self, name: str) -> _Spec | None:
        return _Spec() if name == "cota.investir" else None


class FakeServer:
    """Just enough of the protocol: gapless seqs, stored results, pages from a list."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.bodies: dict[int, list[str]] = {}
        self.results: dict[int, IntentResult] = {}
        self.reject: Callable[[dict[str, Any]], bool] = lambda args: False
        self.pages: dict[str, PullPage] = {}
        self.failures: list[Exception] = []  # raised (and consumed) before handling a call
        self.fail_after_apply = 0  # lose this many push responses after applying
        self.requested_cursors: list[str] = []
        self.push_headers: list[str] = []
        self.layout = "server"  # how bodies are laid out (see pull_raw)

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    @property
    def next_seq(self) -> int:
        return max(self.results, default=0) + 1

    def push(self, request: PushRequest, *, correlation_id: str) -> PushResult:
        self.calls.append("push")
        self.push_headers.append(correlation_id)
        self._maybe_fail()
        out: list[IntentResult] = []
        for intent in request.intents:
            self.bodies.setdefault(intent.seq, []).append(intent.model_dump_json())
            if intent.seq in self.results:
                out.append(self.results[intent.seq])
                continue
            if intent.seq != self.next_seq:
                raise SeqGapError("gap", self.next_seq)
            rejected = self.reject(intent.args)
            result = IntentResult(
                seq=intent.seq,
                intent_id=intent.intent_id,
                status=IntentState.REJECTED if rejected else IntentState.APPLIED,
                code="saldo_insuficiente" if rejected else None,
                message="Saldo insuficiente." if rejected else None,
                result=None if rejected else {"ok": intent.seq},
            )
            self.results[intent.seq] = result
            out.append(result)
        if self.fail_after_apply:
            self.fail_after_apply -= 1
            raise TransientError("response lost")
        return PushResult(PushResponse(results=out, next_seq=self.next_seq), 100, 50)

    def pull_raw(
        self,
        cursor: str,
        *,
        max_bytes: int,
        correlation_id: str,
        on_sent: Callable[[], None] | None = None,
    ) -> RawPull:
        self.calls.append("pull")
        self.requested_cursors.append(cursor)
        if on_sent is not None:  # the request went out; its response may still be lost
            on_sent()
        self._maybe_fail()
        page = self.pages.get(cursor)
        if page is None:
            return RawPull(None, 10, 0)
        body = page.model_dump_json().encode()
        if self.layout == "more_first":  # valid JSON, but the head cannot be peeked
            data = page.model_dump(mode="json")
            body = json.dumps({"more": data.pop("more"), **data}).encode()
        elif self.layout == "duplicate_cursor":  # the head lies: the last key wins when parsed
            body = b'{"cursor":"9","more":true,' + body[1:]
        return RawPull(body, 10, 1000)


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[Replica]:
    r = Replica.open(tmp_path / "replica.sqlite")
    yield r
    r.close()


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


class Recorder(CallbackObserver):
    def __init__(self) -> None:
        self.states: list[SyncState] = []
        self.progress_events: list[SyncProgress] = []
        self.resolved: list[int] = []
        self.reports: list[SyncReport] = []
        super().__init__(
            on_state=lambda s, _d: self.states.append(s),
            on_progress=self.progress_events.append,
            on_resolved=lambda es: self.resolved.extend(e.seq for e in es),
            on_finished=self.reports.append,
        )


def _engine(replica: Replica, server: FakeServer, **kw: Any) -> tuple[SyncEngine, list[float]]:
    slept: list[float] = []
    kw.setdefault("retry", RetryPolicy(base_delay_s=1.0, max_delay_s=8.0, max_attempts=5))
    engine = SyncEngine(
        replica,
        server,
        catalogue=_Catalogue(),
        sleep=slept.append,
        rng=random.Random(1234),
        **kw,
    )
    return engine, slept


def _pages(server: FakeServer, n: int, rows: int = 3) -> None:
    for i in range(n):
        ids = [f"r{i}-{j}" for j in range(rows)]
        server.pages[str(i)] = PullPage(
            cursor=str(i + 1),
            more=i + 1 < n,
            tables={"t": TableChanges(columns=["id", "n"], upserts=[[x, i] for x in ids])},
        )


def test_enqueue_validates_and_stores_the_normalised_args(replica: Replica) -> None:
    engine, _ = _engine(replica, FakeServer())
    with pytest.raises(UnknownIntentError):
        engine.enqueue_intent("nao.existe", {})
    with pytest.raises(InvalidIntentError) as info:
        engine.enqueue_intent("cota.investir", {"valor": "1", "cotas": 0})
    assert info.value.errors[0]["loc"] == ("cotas",)
    assert replica.outbox() == []
    entry = engine.enqueue_intent("cota.investir", {"valor": "10.00", "cotas": "2"}, "corr")
    assert (entry.seq, entry.version, entry.args) == (1, 3, {"valor": "10.00", "cotas": 2})
    assert entry.correlation_id == "corr"
    assert engine.enqueue_intent("cota.investir", {"valor": "1", "cotas": 1}).correlation_id
    engine.max_intent_bytes = 100
    with pytest.raises(IntentTooLargeError):
        engine.enqueue_intent("cota.investir", {"valor": "9" * 200, "cotas": 1})
    assert len(replica.outbox()) == 2


def test_push_before_pull_in_seq_order_and_batches(replica: Replica, server: FakeServer) -> None:
    engine, _ = _engine(replica, server, push_batch=2)
    recorder = Recorder()
    engine.add_observer(recorder)
    for i in range(5):
        engine.enqueue_intent("cota.investir", {"valor": str(i), "cotas": 1})
    _pages(server, 2)
    report = engine.sync_once()
    assert report.ok and report.state is SyncState.ONLINE
    assert server.calls == ["push", "push", "push", "pull", "pull"]
    assert list(server.bodies) == [1, 2, 3, 4, 5]
    assert (report.intents_sent, report.intents_applied, report.pages, report.rows_applied) == (
        5,
        5,
        2,
        6,
    )
    assert recorder.states == [SyncState.SYNCING, SyncState.ONLINE]
    assert recorder.resolved == [1, 2, 3, 4, 5]
    assert [p.phase for p in recorder.progress_events] == ["push"] * 3 + ["pull"] * 2
    assert recorder.progress_events[-1].rows_applied == 6
    assert recorder.progress_events[-1].bytes_received == report.bytes_received > 0
    assert recorder.reports == [report]
    assert replica.cursor == "2"
    assert replica.last_sync_at is not None


def test_a_rejection_never_blocks_later_intents(replica: Replica, server: FakeServer) -> None:
    engine, _ = _engine(replica, server)
    server.reject = lambda args: args["valor"] == "bad"
    engine.enqueue_intent("cota.investir", {"valor": "bad", "cotas": 1})
    engine.enqueue_intent("cota.investir", {"valor": "ok", "cotas": 1})
    report = engine.sync_once()
    assert (report.intents_applied, report.intents_rejected) == (1, 1)
    first, second = replica.outbox()
    assert first.state is IntentState.REJECTED
    assert (first.code, first.message) == ("saldo_insuficiente", "Saldo insuficiente.")
    assert second.state is IntentState.APPLIED
    fixed = engine.resubmit(first.seq, {"valor": "fixed", "cotas": 1})
    assert (fixed.seq, fixed.resubmission_of) == (3, 1)
    engine.sync_once()
    assert replica.entry(3).state is IntentState.APPLIED  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        engine.resubmit(2, {"valor": "x", "cotas": 1})  # applied: nothing to fix


def test_backoff_is_exponential_with_full_jitter(replica: Replica, server: FakeServer) -> None:
    engine, slept = _engine(replica, server)
    server.failures = [TransientError("down")] * 4
    report = engine.sync_once()
    assert report.ok and report.retries == 4
    rng = random.Random(1234)
    expected = [rng.uniform(0, min(8.0, 1.0 * 2 ** (n - 1))) for n in range(1, 5)]
    assert slept == expected
    assert all(0 <= d <= c for d, c in zip(slept, [1, 2, 4, 8], strict=True))


def test_exhausted_retries_mean_offline_and_the_next_run_finishes(
    replica: Replica, server: FakeServer
) -> None:
    engine, slept = _engine(replica, server)
    engine.enqueue_intent("cota.investir", {"valor": "1", "cotas": 1})
    server.failures = [TransientError("no route")] * 5
    report = engine.sync_once()
    assert not report.ok and report.state is SyncState.OFFLINE
    assert engine.state is SyncState.OFFLINE and "no route" in (engine.state_detail or "")
    assert len(slept) == 4  # 5 attempts
    assert replica.entry(1).state is IntentState.SENT  # type: ignore[union-attr]
    report = engine.sync_once()
    assert report.ok and report.state is SyncState.ONLINE
    assert replica.entry(1).state is IntentState.APPLIED  # type: ignore[union-attr]


def test_a_lost_push_response_is_replayed_with_identical_contents(
    replica: Replica, server: FakeServer
) -> None:
    engine, _ = _engine(replica, server)
    engine.enqueue_intent("cota.investir", {"valor": "1", "cotas": 1})
    engine.enqueue_intent("cota.investir", {"valor": "2", "cotas": 2})
    server.fail_after_apply = 2
    assert engine.sync_once().ok
    assert [len(v) for v in server.bodies.values()] == [3, 3]
    assert all(len(set(v)) == 1 for v in server.bodies.values())  # never different contents
    assert [e.state for e in replica.outbox()] == [IntentState.APPLIED] * 2
    assert [e.attempts for e in replica.outbox()] == [3, 3]


def test_pull_resumes_from_the_last_applied_page(replica: Replica, server: FakeServer) -> None:
    engine, _ = _engine(replica, server)
    _pages(server, 4)
    original = server.pull_raw
    calls = {"n": 0}

    def flaky(cursor: str, **kw: Any) -> RawPull:
        calls["n"] += 1
        if calls["n"] == 3:  # the third page's response is lost
            server.requested_cursors.append(cursor)
            raise TransientError("connection reset")
        return original(cursor, **kw)

    server.pull_raw = flaky  # type: ignore[method-assign]
    assert engine.sync_once().ok
    assert server.requested_cursors == ["0", "1", "2", "2", "3"]
    assert replica.row_count("t") == 12


def test_a_seq_gap_resends_from_what_the_server_expects(
    replica: Replica, server: FakeServer
) -> None:
    engine, _ = _engine(replica, server)
    engine.enqueue_intent("cota.investir", {"valor": "1", "cotas": 1})
    engine.enqueue_intent("cota.investir", {"valor": "2", "cotas": 1})
    assert engine.sync_once().ok
    # The server lost seq 2 (restored from a backup); our outbox still has it, frozen.
    del server.results[2]
    engine.enqueue_intent("cota.investir", {"valor": "3", "cotas": 1})
    assert engine.sync_once().ok
    assert server.next_seq == 4
    assert len(server.bodies[2]) == 2 and len(set(server.bodies[2])) == 1


def test_another_intent_under_our_seq_is_an_error(replica: Replica, server: FakeServer) -> None:
    engine, _ = _engine(replica, server)
    server.results[1] = IntentResult(seq=1, intent_id=uuid.uuid4(), status=IntentState.APPLIED)
    engine.enqueue_intent("cota.investir", {"valor": "1", "cotas": 1})
    report = engine.sync_once()
    assert report.state is SyncState.ERROR and "seq_conflict" in (report.error or "")
    assert replica.entry(1).state is IntentState.SENT  # type: ignore[union-attr]


def test_upgrade_required_is_an_error_without_retries(replica: Replica, server: FakeServer) -> None:
    engine, slept = _engine(replica, server)
    server.failures = [UpgradeRequiredError("Atualize o aplicativo.")]
    report = engine.sync_once()
    assert report.state is SyncState.ERROR and "upgrade" in (report.error or "")
    assert slept == []


def test_cancel_stops_between_requests(replica: Replica, server: FakeServer) -> None:
    _pages(server, 5)
    engine, _ = _engine(replica, server)
    canceller = CallbackObserver(on_progress=lambda p: engine.cancel() if p.pages == 2 else None)
    engine.add_observer(canceller)
    report = engine.sync_once()
    assert not report.ok and report.error == "cancelled" and report.pages == 2
    assert replica.cursor == "2"
    engine.remove_observer(canceller)
    assert engine.sync_once().ok
    assert replica.cursor == "5"


@pytest.mark.parametrize("prefetch", [True, False])
def test_pages_are_applied_in_order_with_or_without_prefetch(
    replica: Replica, server: FakeServer, prefetch: bool
) -> None:
    _pages(server, 6)
    applied: list[str] = []
    engine, _ = _engine(replica, server, prefetch=prefetch)
    engine.add_observer(CallbackObserver(on_progress=lambda p: applied.append(replica.cursor)))
    assert engine.sync_once().ok
    assert server.requested_cursors == ["0", "1", "2", "3", "4", "5"]
    assert applied == ["1", "2", "3", "4", "5", "6"]
    assert replica.row_count("t") == 18


def test_a_page_is_parsed_only_once_the_next_one_is_asked_for(
    replica: Replica, server: FakeServer
) -> None:
    # Parsing holds the GIL: were the next request sent after it, the server would sit idle.
    _pages(server, 5)
    events: list[str] = []
    original = server.pull_raw

    def recording(
        cursor: str,
        *,
        max_bytes: int,
        correlation_id: str,
        on_sent: Callable[[], None] | None = None,
    ) -> RawPull:
        events.append(f"asked {cursor}")
        return original(cursor, max_bytes=max_bytes, correlation_id=correlation_id, on_sent=on_sent)

    server.pull_raw = recording  # type: ignore[method-assign]
    engine, _ = _engine(replica, server)
    engine.add_observer(
        CallbackObserver(on_progress=lambda p: events.append(f"applied {replica.cursor}"))
    )
    assert engine.sync_once().ok
    for n in range(1, 5):  # page n (cursor n) is applied after the request for page n + 1
        assert events.index(f"asked {n}") < events.index(f"applied {n}")
    assert [e for e in events if e.startswith("applied")] == [f"applied {n}" for n in range(1, 6)]


def test_a_failure_after_a_request_went_out_comes_after_the_pages_before_it(
    replica: Replica, server: FakeServer
) -> None:
    _pages(server, 4)
    original = server.pull_raw

    def refusing(
        cursor: str,
        *,
        max_bytes: int,
        correlation_id: str,
        on_sent: Callable[[], None] | None = None,
    ) -> RawPull:
        if cursor == "2":
            if on_sent is not None:
                on_sent()
            raise ServerError(500, None, "bug")
        return original(cursor, max_bytes=max_bytes, correlation_id=correlation_id, on_sent=on_sent)

    server.pull_raw = refusing  # type: ignore[method-assign]
    engine, _ = _engine(replica, server)
    report = engine.sync_once()
    assert not report.ok and report.state is SyncState.ERROR
    assert replica.cursor == "2"  # pages 1 and 2 applied, in order, before the error
    assert replica.row_count("t") == 6


@pytest.mark.parametrize("prefetch", [True, False])
def test_no_garbage_collection_while_a_page_is_parsed_and_applied(
    replica: Replica, server: FakeServer, prefetch: bool
) -> None:
    _pages(server, 3)
    collecting: list[bool] = []
    engine, _ = _engine(replica, server, prefetch=prefetch)
    engine.add_observer(CallbackObserver(on_progress=lambda p: collecting.append(gc.isenabled())))
    assert gc.isenabled()
    assert engine.sync_once().ok
    assert collecting == [False, False, False]
    assert gc.isenabled()
    server.pages["3"] = PullPage(cursor="4", more=False, tables={"t": TableChanges(columns=["x"])})
    server.pages["3"].tables["t"].upserts.append(["no id column"])
    assert not engine.sync_once().ok  # a page that cannot be applied
    assert gc.isenabled()


def test_an_unknown_cursor_restarts_from_a_clean_replica(
    replica: Replica, server: FakeServer
) -> None:
    _pages(server, 2)
    engine, _ = _engine(replica, server)
    assert engine.sync_once().ok
    replica.apply_page(
        PullPage(
            cursor="stale",
            more=False,
            tables={"t": TableChanges(columns=["id", "n"], upserts=[["gone", 9]])},
        )
    )
    server.failures = [ServerError(400, "cursor_invalido", "Cursor inválido.")]
    report = engine.sync_once()
    assert report.ok, report
    assert server.requested_cursors[-3:] == ["stale", "0", "1"]
    assert "gone" not in {r["id"] for r in replica.rows("t")}
    assert replica.row_count("t") == 6


def test_page_size_adapts_to_the_link(replica: Replica, server: FakeServer) -> None:
    _pages(server, 6)
    asked: list[int] = []
    original = server.pull_raw

    def recording(
        cursor: str,
        *,
        max_bytes: int,
        correlation_id: str,
        on_sent: Callable[[], None] | None = None,
    ) -> RawPull:
        asked.append(max_bytes)
        if len(asked) == 4:  # the 4th request drops
            raise TransientError("dropped")
        return original(cursor, max_bytes=max_bytes, correlation_id=correlation_id, on_sent=on_sent)

    server.pull_raw = recording  # type: ignore[method-assign]
    engine, _ = _engine(replica, server, page_bytes=100_000, max_page_bytes=350_000)
    assert engine.sync_once().ok
    # Fast full pages double the size up to the ceiling; a failure halves it.
    assert asked[:4] == [100_000, 200_000, 350_000, 350_000]
    assert asked[4:6] == [175_000, 350_000]  # retried smaller, then grew again
    engine.adaptive_pages = False
    server.requested_cursors.clear()
    asked.clear()
    replica.reset_replicated()
    assert engine.sync_once().ok
    assert set(asked) == {100_000}


@pytest.mark.parametrize("layout", ["more_first", "duplicate_cursor"])
def test_pages_whose_head_cannot_be_trusted_are_followed_by_their_parsed_cursor(
    replica: Replica, server: FakeServer, layout: str
) -> None:
    _pages(server, 4)
    server.pages["9"] = PullPage(
        cursor="99",
        more=False,
        tables={"t": TableChanges(columns=["id", "n"], upserts=[["wrong", 0]])},
    )
    server.layout = layout
    engine, _ = _engine(replica, server)
    assert engine.sync_once().ok
    assert replica.cursor == "4"
    assert {r["id"] for r in replica.rows("t")} == {f"r{i}-{j}" for i in range(4) for j in range(3)}
    assert [c for c in server.requested_cursors if c != "9"] == ["0", "1", "2", "3"]


def test_push_requests_carry_the_action_id_when_the_batch_has_one(
    replica: Replica, server: FakeServer
) -> None:
    engine, _ = _engine(replica, server, push_batch=2)
    for corr in ("acao-1", "acao-1", "acao-2", "acao-3", "acao-4"):
        engine.enqueue_intent("cota.investir", {"valor": "1", "cotas": 1}, corr)
    assert engine.sync_once(correlation_id="sync-run").ok
    assert server.push_headers == ["acao-1", "sync-run", "acao-4"]
