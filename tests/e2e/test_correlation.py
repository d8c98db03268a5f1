"""One user action followed end to end by its correlation id (issue 5, point 1).

A field agent onboards a producer in the desktop app: the sync engine queues a
``produtor.registrar`` intent with the correlation id of that action. The engine pushes it to a
REAL server (uvicorn subprocess on a fresh PostgreSQL database and a real Redis, see
tests/support/sync_fixtures.py), whose field-agent service queues the activation SMS job on
Redis; the REAL job worker (:func:`sync_server.jobs.worker.run_worker` with the real handlers,
logging as its own service) delivers it. The same id must then be found:

- on the server's lines in its JSON log file (``Settings.log_file``): the request lines of the
  push (when the action pushes at once) and the service lines of the intent;
- on the job in Redis and on the worker's job lines (its own JSON log file);
- on the delivered notification (``notificacoes.correlation_id``);
- in the stored ``logs`` table (the PostgreSQL sink of both processes), and through the admin
  API that follows one correlation id across services.

The private Redis of the e2e fixtures is used rather than the shared test Redis: other suites
FLUSHDB the shared one around their tests, which would drop the live server's sessions mid-run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import sqlalchemy as sa

from desktop.replica import Replica
from desktop.sync import HttpTransport, SyncEngine
from shared_models.enums import Perfil
from sync_server.jobs.periodic import PeriodicTask
from sync_server.jobs.queue import enqueue
from sync_server.jobs.worker import build_handlers, run_worker
from sync_server.observability.db_sink import db_sink_installed
from sync_server.observability.logs import configure_logging, shutdown_logging
from sync_server.services import Services
from sync_server.settings import Settings
from tests.support.live_server import LiveServer
from tests.support.onboarding import producer_args
from tests.support.sync_fixtures import TEST_RETRY, TEST_TIMEOUT
from tests.sync_server.auth_support import Account, create_user, open_session

REGISTRAR = "produtor.registrar"
SERVER_SERVICE = "e2e-sync-server"  # tests/support/live_server.py
WORKER_SERVICE = "peerseed-worker"
JOB_KIND = "notificacao.enviar"

Line = dict[str, Any]


# -- helpers (also used by tests/desktop/test_dashboard.py) -----------------------------------


def read_json_lines(path: Path) -> list[Line]:
    if not path.exists():
        return []
    return [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines() if text]


def wait_for(check: Callable[[], Any], *, timeout_s: float = 20.0, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy (and return it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)


@dataclass
class InProcessWorker:
    """The real job worker on a thread of this process, logging as ``service`` to its own JSON
    file and to PostgreSQL (the DB sink), as ``peerseed-server worker`` does."""

    database_url: str
    redis_url: str
    data_dir: Path
    service: str = WORKER_SERVICE
    settings: Settings = field(init=False)

    def __post_init__(self) -> None:
        self.settings = Settings(
            database_url=self.database_url,
            redis_url=self.redis_url,
            data_dir=self.data_dir,
            log_file=self.data_dir / "worker.jsonl",
            log_stdout=False,
            service_name=self.service,
            log_db_flush_interval_ms=50,
            db_pool_size=2,
            db_max_overflow=2,
        )

    @property
    def log_file(self) -> Path:
        assert self.settings.log_file is not None
        return self.settings.log_file

    def lines(self) -> list[Line]:
        return read_json_lines(self.log_file)

    @contextlib.contextmanager
    def running(
        self,
        *,
        max_attempts: int | None = None,
        periodic: Callable[[Services], list[PeriodicTask]] | None = None,
    ) -> Iterator[Services]:
        """Run the worker (real handlers) until the block ends; yields its services."""
        root = logging.getLogger()
        level = root.level
        configure_logging(service=self.service, level="INFO", log_file=self.log_file, stdout=False)
        services = Services.from_settings(self.settings)
        stop = threading.Event()
        errors: list[BaseException] = []
        try:
            with db_sink_installed(services.engine, self.settings):

                def work() -> None:
                    try:
                        run_worker(
                            services,
                            handlers=build_handlers(services),
                            stop=stop,
                            periodic=periodic(services) if periodic else [],
                        )
                    except BaseException as exc:  # surfaced below
                        errors.append(exc)

                thread = threading.Thread(target=work, name="test-worker", daemon=True)
                thread.start()
                try:
                    yield services
                finally:
                    stop.set()
                    thread.join(15)
                    assert not thread.is_alive(), "the worker did not stop"
        finally:
            services.close()
            shutdown_logging()
            root.setLevel(level)
        assert not errors, errors


@dataclass
class Stack:
    server: LiveServer
    db: sa.Engine
    redis: redis.Redis
    tmp_path: Path
    _closers: list[Any] = field(default_factory=list)

    def user(self, perfil: Perfil) -> tuple[Account, str]:
        account = create_user(self.db, perfil)
        return account, open_session(self.redis, account)

    def engine(self, token: str, name: str = "replica") -> SyncEngine:
        replica = Replica.open(self.tmp_path / name / "replica.sqlite")
        transport = HttpTransport(self.server.url, token=token, timeout=TEST_TIMEOUT)
        self._closers += [replica, transport]
        return SyncEngine(replica, transport, retry=TEST_RETRY)

    def worker(self) -> InProcessWorker:
        return InProcessWorker(
            self.server.database_url, self.server.redis_url, self.tmp_path / "worker"
        )

    def server_lines(self) -> list[Line]:
        return read_json_lines(self.server.data_dir / "server.jsonl")

    def stored(self, cid: str) -> list[sa.Row[Any]]:
        with self.db.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        'SELECT "timestamp", level, service, correlation_id, user_id, message,'
                        ' payload FROM logs WHERE correlation_id = :c ORDER BY "timestamp", id'
                    ),
                    {"c": cid},
                )
            )

    def notification(self, cid: str) -> sa.Row[Any] | None:
        with self.db.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT tipo, canal, job_id, correlation_id FROM notificacoes"
                    " WHERE correlation_id = :c"
                ),
                {"c": cid},
            ).one_or_none()

    def close(self) -> None:
        for item in reversed(self._closers):
            item.close()


@pytest.fixture
def stack(
    live_server: LiveServer, sync_db: sa.Engine, sync_redis: redis.Redis, tmp_path: Path
) -> Iterator[Stack]:
    s = Stack(live_server, sync_db, sync_redis, tmp_path)
    try:
        yield s
    finally:
        s.close()


def of(lines: list[Line], cid: str) -> list[Line]:
    return [line for line in lines if line.get("correlation_id") == cid]


def messages(lines: list[Line]) -> list[str]:
    return [line["message"] for line in lines]


def pushes(lines: list[Line]) -> list[Line]:
    return [
        line
        for line in lines
        if line["message"] == "requisição concluída" and line["payload"]["path"] == "/v1/sync/push"
    ]


def deliver_jobs(stack: Stack, *cids: str) -> InProcessWorker:
    worker = stack.worker()
    with worker.running():
        for cid in cids:
            wait_for(functools.partial(stack.notification, cid), what=f"notification of {cid}")
    return worker


# -- tests ------------------------------------------------------------------------------------


def test_offline_onboarding_is_followed_by_its_correlation_id(stack: Stack) -> None:
    """The realistic path: queued offline, pushed later by a background sync of its own."""
    agent, token = stack.user(Perfil.AGENTE_CAMPO)
    engine = stack.engine(token)
    action = str(uuid.uuid4())  # the user clicked "Cadastrar produtor" (offline)
    entry = engine.enqueue_intent(REGISTRAR, producer_args(documents=1), correlation_id=action)
    assert entry.correlation_id == action

    sync = str(uuid.uuid4())  # later: the background sync (a run of its own)
    report = engine.sync_once(correlation_id=sync)
    assert report.ok and report.intents_applied == 1, report

    # Server, JSON file: the intent's service lines carry the action's id (and the agent).
    server = stack.server_lines()
    queued = [line for line in of(server, action) if line["message"] == "notificação enfileirada"]
    assert len(queued) == 1
    assert queued[0]["service"] == SERVER_SERVICE
    assert queued[0]["user_id"] == str(agent.id)
    assert queued[0]["payload"]["tipo"] == "ativacao_conta"
    job_id = queued[0]["payload"]["job_id"]
    # The push request itself belongs to the sync run (one request may carry many actions);
    # see test_intent_pushed_later_has_a_request_line_under_the_action_id.
    [push] = [line for line in pushes(server) if line["correlation_id"] in (sync, action)]
    assert push["payload"]["status"] == 200 and push["user_id"] == str(agent.id)

    # Redis: the job carries the id to the worker.
    jobs = {j["id"]: j for j in map(json.loads, stack.redis.lrange("queue:default", 0, -1))}
    assert (jobs[job_id]["kind"], jobs[job_id]["correlation_id"]) == (JOB_KIND, action)

    # Worker: the job's lines and the delivered notification.
    worker = deliver_jobs(stack, action)
    delivered = of(worker.lines(), action)
    assert messages(delivered) == ["notificação entregue (sandbox)", "job concluído"]
    assert delivered[0]["service"] == WORKER_SERVICE
    assert delivered[0]["payload"]["job_id"] == job_id
    note = stack.notification(action)
    assert note is not None and (note.tipo, note.job_id) == ("ativacao_conta", job_id)

    # PostgreSQL (both processes' sinks) and the admin API's view of the action.
    stored = wait_for(
        lambda: (rows := stack.stored(action)) and len({r.service for r in rows}) == 2 and rows,
        what="stored lines of both services",
    )
    assert {(r.service, r.message) for r in stored} >= {
        (SERVER_SERVICE, "intenção aplicada"),
        (SERVER_SERVICE, "notificação enfileirada"),
        (WORKER_SERVICE, "notificação entregue (sandbox)"),
    }
    _admin, admin_token = stack.user(Perfil.ADMIN)
    trail = httpx.get(
        f"{stack.server.url}/v1/admin/logs/correlacao/{action}",
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=10,
    ).json()
    assert trail["servicos"] == [SERVER_SERVICE, WORKER_SERVICE]
    trail_messages = [line["message"] for line in trail["linhas"]]
    # In time order: the intent's service line, then the worker's delivery.
    assert trail_messages.index("notificação enfileirada") < trail_messages.index(
        "notificação entregue (sandbox)"
    )
    assert {line["service"] for line in trail["linhas"]} == {SERVER_SERVICE, WORKER_SERVICE}


def test_action_pushed_at_once_carries_its_id_on_the_request_lines(stack: Stack) -> None:
    """An action that pushes at once under its own id (``sync_once(correlation_id=...)``): the
    request lines carry it too. (The app's sync worker does not do this yet: see below.)"""
    agent, token = stack.user(Perfil.AGENTE_CAMPO)
    engine = stack.engine(token)
    action = str(uuid.uuid4())
    engine.enqueue_intent(REGISTRAR, producer_args(documents=1), correlation_id=action)
    report = engine.sync_once(correlation_id=action)
    assert report.ok and report.intents_applied == 1, report

    server = of(stack.server_lines(), action)
    requests = [line for line in server if line["message"] == "requisição concluída"]
    assert [(r["payload"]["method"], r["payload"]["path"]) for r in requests] == [
        ("POST", "/v1/sync/push"),
        ("GET", "/v1/sync/pull"),
    ]
    assert all(r["user_id"] == str(agent.id) for r in requests)
    assert "notificação enfileirada" in messages(server)

    worker = deliver_jobs(stack, action)
    assert messages(of(worker.lines(), action)) == [
        "notificação entregue (sandbox)",
        "job concluído",
    ]
    stored = wait_for(
        lambda: (rows := stack.stored(action)) and len(rows) >= len(server) + 1 and rows,
        what="stored lines",
    )
    by_service = {(r.service, r.message) for r in stored}
    assert (SERVER_SERVICE, "requisição concluída") in by_service
    assert (SERVER_SERVICE, "notificação enfileirada") in by_service
    assert (WORKER_SERVICE, "notificação entregue (sandbox)") in by_service


def test_intent_pushed_later_has_a_request_line_under_the_action_id(stack: Stack) -> None:
    _agent, token = stack.user(Perfil.AGENTE_CAMPO)
    engine = stack.engine(token)
    action = str(uuid.uuid4())
    engine.enqueue_intent(REGISTRAR, producer_args(documents=0), correlation_id=action)
    assert engine.sync_once().ok
    lines = of(stack.server_lines(), action)
    assert any(
        line["payload"].get("path") == "/v1/sync/push" or "intenção" in line["message"]
        for line in lines
    ), messages(lines)


def test_a_failing_job_logs_its_failure_under_the_action_id(stack: Stack) -> None:
    action = str(uuid.uuid4())
    # A delivery the real handler refuses (unknown channel): it fails and is retried.
    enqueue(
        stack.redis,
        JOB_KIND,
        {"canal": "POMBO", "destino": "x", "tipo": "t", "assunto": "a", "corpo": "c"},
        correlation_id=action,
    )
    worker = stack.worker()
    try:
        with worker.running():
            wait_for(
                lambda: [li for li in worker.lines() if li["message"].startswith("job falhou")],
                what="a failed job line",
            )
    finally:
        stack.redis.delete("queue:default", "queue:default:dead")
    failures = [line for line in worker.lines() if line["message"].startswith("job falhou")]
    assert failures and all(line["correlation_id"] == action for line in failures)
