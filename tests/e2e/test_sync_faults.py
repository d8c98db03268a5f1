"""Faults: a real engine and a real server through a fault-injecting proxy, over many seeds.

Each run: a field agent with a scope of a few hundred rows queues producer registrations in
rounds (some deliberately refused: a CPF already registered), the server's data changes between
rounds, and every sync crosses a proxy that drops connections mid-request and mid-response,
delays and truncates (tests/support/faultproxy.py). In the restart runs the server process is
also killed (SIGKILL) mid-push and mid-pull and started again. Then the link heals and:

- every intent was applied (or refused) exactly once on the server: one result per seq, one
  producer per applied registration, with its documents, nothing for the refused ones;
- the outbox agrees with the server's stored results;
- the replica is identical, table by table, to a fresh full pull of the same user's scope.

The default run uses 10 seeds (and 2 restart runs); ``-m slow`` runs 50 more and 10 restart runs
with randomly timed kills.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from desktop.sync import CallbackObserver, SyncEngine, SyncProgress
from shared_models.enums import Perfil
from shared_models.sync.protocol import IntentState
from tests.support.faultproxy import FaultProxy
from tests.support.onboarding import producer_args
from tests.support.sync_fixtures import SyncWorld, User

REGISTRAR = "produtor.registrar"
FAST_SEEDS = range(10)
SLOW_SEEDS = range(10, 60)


@dataclass
class Expectation:
    documents: dict[int, int] = field(default_factory=dict)  # seq -> documents sent
    refused: set[int] = field(default_factory=set)  # seqs whose CPF was already registered


class Restarter:
    """Kills the server (SIGKILL) at chosen moments and starts it again in the background.

    One restart at a time: a kill while the previous restart is still under way would kill the
    process being started.
    """

    def __init__(self, world: SyncWorld) -> None:
        self.world = world
        self.threads: list[threading.Thread] = []
        self.kills = 0
        self._busy = threading.Lock()

    def kill_and_restart(self, *, delay_s: float = 0.2, wait: bool = True) -> bool:
        """Kill now and restart after ``delay_s``; False if a restart was under way (no wait)."""
        if not self._busy.acquire(blocking=wait):
            return False
        try:
            self.world.server.stop(kill=True)
        except BaseException:
            self._busy.release()
            raise
        self.kills += 1

        def start() -> None:
            try:
                threading.Event().wait(delay_s)
                self.world.server.start()
            finally:
                self._busy.release()

        thread = threading.Thread(target=start, daemon=True)
        thread.start()
        self.threads.append(thread)
        return True

    def kill_later(self, after_s: float) -> None:
        """A kill at a random moment (whatever the engine is doing then)."""

        def later() -> None:
            threading.Event().wait(after_s)
            self.kill_and_restart(wait=False)

        thread = threading.Thread(target=later, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        while self.threads:
            self.threads.pop(0).join(120)
        if self.world.server.process is None:
            self.world.server.start()


def _restart_points(engine: SyncEngine, restarter: Restarter) -> None:
    """Kill once after the first pushed batch and once after the second pulled page."""
    fired: set[str] = set()

    def on_progress(progress: SyncProgress) -> None:
        key = "push" if progress.phase == "push" else ("pull" if progress.pages == 2 else "")
        if key and key not in fired:
            fired.add(key)
            restarter.kill_and_restart()

    engine.add_observer(CallbackObserver(on_progress=on_progress))


def _queue_round(
    engine: SyncEngine, rng: random.Random, taken_cpf: str, expected: Expectation
) -> None:
    for _ in range(rng.randint(1, 3)):
        documents = rng.randint(0, 2)
        refused = rng.random() < 0.2
        args = producer_args(cpf=taken_cpf if refused else None, documents=documents)
        entry = engine.enqueue_intent(REGISTRAR, args, correlation_id=f"acao-{rng.getrandbits(40)}")
        expected.documents[entry.seq] = documents
        if refused:
            expected.refused.add(entry.seq)


def run_faulty_sync(
    world: SyncWorld, seed: int, *, restart: bool = False, random_kills: bool = False
) -> dict[str, Any]:
    rng = random.Random(seed)
    agent = world.user(Perfil.AGENTE_CAMPO)
    taken_cpf = world.user(Perfil.AGRICULTOR).account.cpf
    world.add_notifications(agent, rng.randint(50, 300), tag=f"s{seed}")
    expected = Expectation()
    restarter = Restarter(world)
    with FaultProxy(
        world.server.address,
        seed=seed,
        fault_rate=rng.choice([0.2, 0.35, 0.5]),
        max_request_cut=rng.choice([128, 512, 4096]),
        max_response_cut=rng.choice([256, 2048, 8192]),
    ) as proxy:
        engine = world.engine(
            agent,
            name=f"seed-{seed}",
            base_url=proxy.url,
            seed=seed,
            page_bytes=16 * 1024,
            max_page_bytes=64 * 1024,
            push_batch=rng.choice([1, 2, 5]),
        )
        if restart:
            _restart_points(engine, restarter)
        for round_no in range(rng.randint(2, 4)):
            _queue_round(engine, rng, taken_cpf, expected)
            world.add_notifications(agent, rng.randint(0, 40), tag=f"s{seed}r{round_no}")
            if random_kills:
                restarter.kill_later(rng.uniform(0.0, 1.5))
            engine.sync_once()  # may end offline: the next round carries on
        restarter.join()
        proxy.set_fault_rate(0.0)
        for _ in range(5):
            if engine.sync_once().ok:
                break
        else:
            pytest.fail(f"seed {seed}: no clean sync after the faults ({engine.state_detail})")
        faults = dict(proxy.faults)
        exchanges = proxy.exchanges
    _check_exactly_once(world, agent, engine, expected)
    assert engine.replica.snapshot() == world.fresh_snapshot(agent), f"seed {seed}"
    return {"faults": faults, "exchanges": exchanges, "kills": restarter.kills}


def _check_exactly_once(
    world: SyncWorld, agent: User, engine: SyncEngine, expected: Expectation
) -> None:
    outbox = engine.replica.outbox()
    assert [e.seq for e in outbox] == sorted(expected.documents)
    assert all(not e.pending for e in outbox)
    stored = world.intent_results(engine.replica.device_id)
    assert [r.seq for r in stored] == [e.seq for e in outbox]  # one result per seq, no gap
    producers = {str(r.id): r for r in world.producers_of(agent)}
    applied = 0
    for entry, row in zip(outbox, stored, strict=True):
        assert str(row.intent_id) == str(entry.intent_id)
        assert row.status == entry.state.value
        if entry.seq in expected.refused:
            assert entry.state is IntentState.REJECTED and entry.code == "cadastro_duplicado"
            continue
        assert entry.state is IntentState.APPLIED, entry
        assert entry.result == row.result
        producer_id = entry.result["produtor_id"]  # type: ignore[index]
        assert producer_id in producers
        assert world.documents_of(producer_id) == expected.documents[entry.seq]
        applied += 1
    assert len(producers) == applied  # nothing applied twice, nothing invented
    cpfs = [r.cpf for r in producers.values()]
    assert len(set(cpfs)) == len(cpfs)


@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_faulty_link(world: SyncWorld, seed: int) -> None:
    run_faulty_sync(world, seed)


@pytest.mark.parametrize("seed", [1001, 1002])
def test_faulty_link_and_server_restarts(world: SyncWorld, seed: int) -> None:
    outcome = run_faulty_sync(world, seed, restart=True)
    assert outcome["kills"] == 2  # mid-push and mid-pull


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_faulty_link_many_seeds(world: SyncWorld, seed: int) -> None:
    run_faulty_sync(world, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2001, 2011))
def test_faulty_link_and_random_kills(world: SyncWorld, seed: int) -> None:
    run_faulty_sync(world, seed, restart=True, random_kills=True)
