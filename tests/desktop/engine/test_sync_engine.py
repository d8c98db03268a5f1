"""The sync engine against the REAL server (uvicorn subprocess, PostgreSQL, Redis).

Push/pull basics, replay after a lost response, rejection then resubmission, an engine restart on
the same SQLite file, upgrade required. Fault storms are in tests/e2e.
"""

from __future__ import annotations

import uuid

import pytest

from desktop.replica import Replica
from desktop.sync import (
    CallbackObserver,
    HttpTransport,
    InvalidIntentError,
    SyncState,
    UnknownIntentError,
)
from shared_models.enums import Perfil
from shared_models.sync.protocol import INITIAL_CURSOR, IntentState
from tests.support.faultproxy import FaultProxy, Plan
from tests.support.onboarding import producer_args
from tests.support.sync_fixtures import SyncWorld

REGISTRAR = "produtor.registrar"


def test_push_then_pull_basics(world: SyncWorld) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    engine = world.engine(agent)
    states: list[SyncState] = []
    engine.add_observer(CallbackObserver(on_state=lambda s, _d: states.append(s)))
    args = producer_args(documents=2)
    entry = engine.enqueue_intent(REGISTRAR, args, correlation_id="acao-cadastro-1")
    assert (entry.seq, entry.state, entry.version) == (1, IntentState.QUEUED, 1)

    report = engine.sync_once()
    assert report.ok, report
    assert (report.intents_sent, report.intents_applied, report.intents_rejected) == (1, 1, 0)
    assert report.pages >= 1 and report.rows_applied >= 4 and report.bytes_received > 0
    assert states == [SyncState.SYNCING, SyncState.ONLINE]

    [done] = engine.replica.outbox()
    assert done.state is IntentState.APPLIED and done.result is not None
    producer_id = done.result["produtor_id"]
    assert [str(r.id) for r in world.producers_of(agent)] == [producer_id]
    assert world.documents_of(producer_id) == 2
    rows = {r["id"]: r for r in engine.replica.rows("usuarios")}
    assert rows[producer_id]["agente_id"] == str(agent.id)
    assert rows[producer_id]["cpf"] != args["cpf"]  # masked on the wire
    assert engine.replica.row_count("documentos_kyc") == 2
    [stored] = world.intent_results(engine.replica.device_id)
    assert stored.status == "applied" and str(stored.intent_id) == str(done.intent_id)

    idle = engine.sync_once()
    assert idle.ok and (idle.requests, idle.pages, idle.intents_sent) == (1, 0, 0)
    assert engine.replica.snapshot() == world.fresh_snapshot(agent)


def test_enqueue_validates_against_the_shared_catalogue(world: SyncWorld) -> None:
    engine = world.engine(world.user(Perfil.AGENTE_CAMPO))
    with pytest.raises(UnknownIntentError):
        engine.enqueue_intent("produtor.inexistente", {})
    with pytest.raises(InvalidIntentError) as info:
        engine.enqueue_intent(REGISTRAR, producer_args(cpf="111.111.111-11"))
    fields = dict(info.value.field_errors)
    assert "cpf" in fields and "CPF" in fields["cpf"]
    assert engine.replica.outbox() == []


def test_a_lost_response_is_replayed_and_applied_once(world: SyncWorld) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    # The first connection delivers the push, then loses the whole answer.
    with FaultProxy(
        world.server.address, seed=1, fault_rate=0.0, script=[Plan("drop_response", threshold=0)]
    ) as proxy:
        engine = world.engine(agent, base_url=proxy.url)
        engine.enqueue_intent(REGISTRAR, producer_args())
        report = engine.sync_once()
        assert proxy.faults["drop_response"] == 1
    assert report.ok and report.retries >= 1
    [entry] = engine.replica.outbox()
    assert entry.state is IntentState.APPLIED and entry.attempts == 2
    [stored] = world.intent_results(engine.replica.device_id)  # one row: the stored result
    assert entry.result == stored.result
    assert len(world.producers_of(agent)) == 1


def test_a_rejection_never_blocks_and_a_fix_is_resubmitted(world: SyncWorld) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    taken = world.user(Perfil.AGRICULTOR).account.cpf
    engine = world.engine(agent)
    bad = engine.enqueue_intent(REGISTRAR, producer_args(cpf=taken))
    good = engine.enqueue_intent(REGISTRAR, producer_args())
    report = engine.sync_once()
    assert report.ok and (report.intents_applied, report.intents_rejected) == (1, 1)
    rejected = engine.replica.entry(bad.seq)
    assert rejected is not None and rejected.state is IntentState.REJECTED
    assert rejected.code == "cadastro_duplicado"
    assert rejected.message and "Já existe uma conta com este CPF" in rejected.message
    assert engine.replica.entry(good.seq).state is IntentState.APPLIED  # type: ignore[union-attr]

    fixed = engine.resubmit(bad.seq, {**rejected.args, "cpf": producer_args()["cpf"]})
    assert (fixed.seq, fixed.resubmission_of) == (3, bad.seq)
    assert engine.sync_once().ok
    assert engine.replica.entry(3).state is IntentState.APPLIED  # type: ignore[union-attr]
    assert len(world.producers_of(agent)) == 2
    assert [r.status for r in world.intent_results(engine.replica.device_id)] == [
        "rejected",
        "applied",
        "applied",
    ]


def test_a_new_engine_on_the_same_file_keeps_outbox_and_cursor(world: SyncWorld) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    world.add_notifications(agent, 300)
    with FaultProxy(world.server.address, seed=2, fault_rate=0.0) as proxy:
        proxy.set_down(True)  # offline: the intents wait in the outbox
        first = world.engine(agent, base_url=proxy.url, page_bytes=16 * 1024)
        first.retry = type(first.retry)(base_delay_s=0.001, max_delay_s=0.002, max_attempts=3)
        for _ in range(2):
            first.enqueue_intent(REGISTRAR, producer_args(documents=1))
        report = first.sync_once()
        assert report.state is SyncState.OFFLINE and first.state is SyncState.OFFLINE
        proxy.set_down(False)
        # Pull a couple of pages only (an app closed mid-sync), push first.
        canceller = CallbackObserver(
            on_progress=lambda p: first.cancel() if p.phase == "pull" and p.pages == 2 else None
        )
        first.add_observer(canceller)
        report = first.sync_once()
        assert report.error == "cancelled" and report.pages == 2
        cursor = first.replica.cursor
        assert cursor != INITIAL_CURSOR
        device = first.replica.device_id
        first.replica.close()

    second = world.engine(agent)  # a new process would open the same file
    assert second.replica.device_id == device
    assert second.replica.cursor == cursor
    assert [e.state for e in second.replica.outbox()] == [IntentState.APPLIED] * 2
    report = second.sync_once()
    assert report.ok and report.intents_sent == 0
    assert second.replica.row_count("notificacoes") == 300
    assert len(world.producers_of(agent)) == 2
    assert second.replica.snapshot() == world.fresh_snapshot(agent)


def test_an_unsynced_outbox_survives_a_restart(world: SyncWorld) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    path = world.tmp_path / "offline" / "replica.sqlite"
    with Replica.open(path) as replica:
        transport = HttpTransport("http://127.0.0.1:9", token=agent.token)  # nothing listens
        from desktop.sync import RetryPolicy, SyncEngine

        engine = SyncEngine(
            replica, transport, retry=RetryPolicy(base_delay_s=0.001, max_attempts=2)
        )
        queued = engine.enqueue_intent(REGISTRAR, producer_args())
        assert engine.sync_once().state is SyncState.OFFLINE
        transport.close()
    again = world.engine(agent, name="offline")
    [entry] = again.replica.pending()
    assert entry.intent_id == queued.intent_id and entry.args_json == queued.args_json
    assert again.sync_once().ok
    assert again.replica.entry(1).state is IntentState.APPLIED  # type: ignore[union-attr]


def test_upgrade_required_stops_with_an_error(world: SyncWorld) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    engine = world.engine(agent)
    engine.transport.protocol_version = 999  # type: ignore[attr-defined]
    report = engine.sync_once()
    assert report.state is SyncState.ERROR and report.retries == 0
    assert "upgrade required" in (report.error or "")
    assert engine.replica.cursor == INITIAL_CURSOR


def test_an_expired_session_is_an_error_not_offline(world: SyncWorld) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    engine = world.engine(agent)
    engine.transport.token = f"{uuid.uuid4().hex}.x.y"  # type: ignore[attr-defined]
    report = engine.sync_once()
    assert report.state is SyncState.ERROR and "authentication" in (report.error or "")


def test_the_transport_reports_a_request_on_the_wire_before_its_answer(world: SyncWorld) -> None:
    # The engine hands a page over to be parsed once the next request has been written; the
    # connection reports it (httpcore's trace) before the response is read.
    investor = world.user(Perfil.INVESTIDOR)
    moments: list[str] = []
    with HttpTransport(world.server.url, token=investor.token) as transport:
        raw = transport.pull_raw(
            INITIAL_CURSOR,
            max_bytes=64 * 1024,
            correlation_id="teste-enviado",
            on_sent=lambda: moments.append("sent"),
        )
        moments.append("answered")
    assert raw.body is not None
    assert moments[0] == "sent" and moments[-1] == "answered"
    assert moments.count("sent") >= 2  # the trace, then the fallback once the answer began
