"""Offline onboarding, engine half (issue 4, point 8), end to end against the real server.

A field agent, with no connection, registers a producer (personal data, bank account, identity
document photos); the app is closed (engine and replica objects discarded) and reopened; the link
comes back. The producer is created on the server exactly once, documents included, and the
agent's replica shows them. With a CPF that is already registered the intent ends REJECTED with
the server's Portuguese message, and a corrected resubmission is applied.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop.sync import RetryPolicy, SyncEngine, SyncState
from shared_models.enums import Perfil
from shared_models.sync.protocol import IntentState
from tests.support.faultproxy import FaultProxy
from tests.support.onboarding import producer_args
from tests.support.sync_fixtures import TEST_RETRY, SyncWorld, User

REGISTRAR = "produtor.registrar"
GIVE_UP_FAST = RetryPolicy(base_delay_s=0.001, max_delay_s=0.002, max_attempts=3)


def _offline_then_reopen(
    world: SyncWorld, proxy: FaultProxy, agent: User, args: dict[str, object]
) -> SyncEngine:
    """Queue the registration offline, close the app, reopen it (still offline)."""
    proxy.set_down(True)
    engine = world.engine(agent, base_url=proxy.url, retry=GIVE_UP_FAST)
    entry = engine.enqueue_intent(REGISTRAR, args, correlation_id="acao-onboarding")
    report = engine.sync_once()
    assert report.state is SyncState.OFFLINE and not report.ok
    assert engine.replica.entry(entry.seq).pending  # type: ignore[union-attr]
    engine.transport.close()  # type: ignore[attr-defined]
    engine.replica.close()  # the app is closed

    reopened = world.engine(agent, base_url=proxy.url, retry=GIVE_UP_FAST)  # ... opened again
    [pending] = reopened.replica.pending()
    assert pending.intent_id == entry.intent_id and pending.args_json == entry.args_json
    assert reopened.sync_once().state is SyncState.OFFLINE  # still no signal
    proxy.set_down(False)  # signal is back
    reopened.retry = TEST_RETRY
    return reopened


@pytest.fixture
def proxy(world: SyncWorld) -> Iterator[FaultProxy]:
    with FaultProxy(world.server.address, seed=8, fault_rate=0.0) as p:
        yield p


def test_a_producer_registered_offline_is_created_exactly_once(
    world: SyncWorld, proxy: FaultProxy
) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    args = producer_args(documents=3, bank=True)
    engine = _offline_then_reopen(world, proxy, agent, args)

    report = engine.sync_once()
    assert report.ok and report.intents_applied == 1
    [entry] = engine.replica.outbox()
    assert entry.state is IntentState.APPLIED and entry.result is not None
    producer_id = entry.result["produtor_id"]
    assert len(entry.result["documentos"]) == 3

    # The server: one producer with that CPF, onboarded by this agent, documents and bank account.
    [producer] = world.query("SELECT id, agente_id FROM usuarios WHERE cpf = :c", c=args["cpf"])
    assert str(producer.id) == producer_id and producer.agente_id == agent.id
    assert world.documents_of(producer_id) == 3
    [(accounts,)] = world.query(
        "SELECT count(*) FROM contas_bancarias WHERE usuario_id = :u", u=producer_id
    )
    assert accounts == 1
    [stored] = world.intent_results(engine.replica.device_id)
    assert stored.status == "applied"
    [(correlation,)] = world.query(
        "SELECT correlation_id FROM sync_intent_results WHERE intent_id = :i",
        i=entry.intent_id,
    )
    assert correlation == "acao-onboarding"

    # The agent's replica shows the producer and the documents' metadata.
    producers = [r for r in engine.replica.rows("usuarios") if r["agente_id"] == str(agent.id)]
    assert [r["id"] for r in producers] == [producer_id]
    assert producers[0]["nome_completo"] == args["nome_completo"]
    docs = [r for r in engine.replica.rows("documentos_kyc") if r["usuario_id"] == producer_id]
    assert len(docs) == 3

    # Syncing again (or from a reopened app) never creates it twice.
    assert engine.sync_once().ok
    assert world.query("SELECT count(*) FROM usuarios WHERE cpf = :c", c=args["cpf"])[0][0] == 1
    assert engine.replica.snapshot() == world.fresh_snapshot(agent)


def test_an_already_registered_cpf_is_rejected_and_a_fix_is_applied(
    world: SyncWorld, proxy: FaultProxy
) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    existing = world.user(Perfil.AGRICULTOR)
    args = producer_args(cpf=existing.account.cpf, documents=1)
    engine = _offline_then_reopen(world, proxy, agent, args)

    report = engine.sync_once()
    assert report.ok and (report.intents_applied, report.intents_rejected) == (0, 1)
    [rejected] = engine.replica.outbox()
    assert rejected.state is IntentState.REJECTED
    assert rejected.code == "cadastro_duplicado"
    assert rejected.message == (
        "Já existe uma conta com este CPF. Confira o CPF do produtor e envie um novo cadastro."
    )
    assert world.producers_of(agent) == []
    assert world.query("SELECT count(*) FROM usuarios WHERE cpf = :c", c=args["cpf"])[0][0] == 1

    corrected = {**rejected.args, "cpf": producer_args()["cpf"]}
    fixed = engine.resubmit(rejected.seq, corrected)
    assert (fixed.seq, fixed.resubmission_of, fixed.state) == (2, 1, IntentState.QUEUED)
    report = engine.sync_once()
    assert report.ok and report.intents_applied == 1
    applied = engine.replica.entry(2)
    assert applied is not None and applied.state is IntentState.APPLIED
    assert applied.result is not None
    [producer] = world.producers_of(agent)
    assert str(producer.id) == applied.result["produtor_id"]
    assert world.documents_of(producer.id) == 1
    mine = [r["id"] for r in engine.replica.rows("usuarios") if r["agente_id"] == str(agent.id)]
    assert mine == [str(producer.id)]
    assert [r.status for r in world.intent_results(engine.replica.device_id)] == [
        "rejected",
        "applied",
    ]
    assert engine.replica.snapshot() == world.fresh_snapshot(agent)
