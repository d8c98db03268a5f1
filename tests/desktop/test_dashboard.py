"""The admin dashboard (issue 5, point 5) against a REAL server with real log data.

The module starts the server (uvicorn subprocess, fresh PostgreSQL database, private Redis — see
tests/support/sync_fixtures.py) and produces its data the way production does:

- a field agent's onboarding through the desktop sync engine (request and service lines of the
  server, an activation SMS job);
- the real job worker, logging as ``peerseed-worker`` to PostgreSQL: it delivers that job, fails
  three jobs of an unknown kind five times each (15 ERROR lines within five minutes), and writes
  a history of job lines over the last hour (timestamps set in the past, through the same logging
  pipeline);
- the worker's alert evaluation task, which fires the built-in rule ``erros_por_servico``.

Then each test opens the widget (pytest-qt, offscreen) as an admin and checks what it shows
against the database.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication

import datetime as dt
import functools
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.dashboard import AdminDashboard, DashboardClient, LogQuery
from desktop.dashboard.charts import bucket_starts
from desktop.dashboard.client import DashboardError, ErrorKind
from desktop.dashboard.panels import CUSTOM_PRESET
from desktop.resources import stylesheet
from shared_models.enums import Perfil
from sync_server.jobs.queue import enqueue
from sync_server.observability.tasks import observability_tasks
from tests.desktop.test_ui_support import (  # noqa: F401 - fixtures
    AppFactory,
    account_for,
    make_app,
    memory_keyring,
    paths,
)
from tests.e2e.test_correlation import (
    REGISTRAR,
    SERVER_SERVICE,
    WORKER_SERVICE,
    Stack,
    read_json_lines,
    wait_for,
)
from tests.support.live_server import LiveServer, free_port
from tests.support.onboarding import producer_args
from tests.support.sync_fixtures import (  # noqa: F401 - fixtures
    cheap_password_hashing,
    live_server,
    sync_db,
    sync_db_url,
    sync_redis,
    sync_redis_url,
)
from tests.sync_server.auth_support import create_user, open_session

FAILING_JOBS = 3
ATTEMPTS = 5  # the worker's max_attempts
HISTORY = 20  # job lines over the last hour (every 2 minutes)
WAIT_MS = 20_000


@dataclass
class Observed:
    server: LiveServer
    db: sa.Engine
    admin_id: uuid.UUID
    admin_token: str
    agent_id: uuid.UUID
    agent_token: str
    action: str  # the correlation id of the agent's onboarding
    history_start: dt.datetime  # whole minute; history lines at +2k min +10 s
    history: list[dict[str, Any]]  # the history lines, oldest first (message, level, ms, cid)

    def server_lines(self) -> list[dict[str, Any]]:
        return read_json_lines(self.server.data_dir / "server.jsonl")

    def query(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        with self.db.connect() as conn:
            return list(conn.execute(sa.text(sql), params))


def write_history(start: dt.datetime) -> list[dict[str, Any]]:
    """Job lines of the last hour, written through the worker's logging pipeline."""
    log = logging.getLogger("sync_server.jobs.queue")
    lines = []
    for k in range(HISTORY):
        moment = start + dt.timedelta(minutes=2 * k, seconds=10)
        level = logging.ERROR if k % 4 == 1 else logging.INFO
        message = f"job de relatório {k:02d} " + (
            "falhou" if level == logging.ERROR else "concluído"
        )
        cid = str(uuid.uuid4())
        ms = 35 + (k * 37) % 90
        record = log.makeRecord(
            log.name,
            level,
            __file__,
            0,
            message,
            (),
            None,
            extra={"payload": {"tempo_de_processamento_ms": ms}, "correlation_id": cid},
        )
        record.created = moment.timestamp()
        record.msecs = 0.0
        log.handle(record)
        lines.append(
            {"message": message, "level": logging.getLevelName(level), "ms": ms, "cid": cid}
        )
    return lines


def recent_errors(db: sa.Engine) -> int:
    with db.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM logs WHERE service = :s AND level = 'ERROR'"
                    " AND \"timestamp\" > now() - interval '5 minutes'"
                ),
                {"s": WORKER_SERVICE},
            ).scalar_one()
        )


@pytest.fixture(scope="module")
def observed(
    live_server: LiveServer,  # noqa: F811 - the fixture imported above
    sync_db: sa.Engine,  # noqa: F811
    sync_redis: redis.Redis,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Observed]:
    stack = Stack(live_server, sync_db, sync_redis, tmp_path_factory.mktemp("dashboard"))
    try:
        sync_redis.delete("queue:default", "queue:default:dead")
        admin, admin_token = stack.user(Perfil.ADMIN)
        agent, agent_token = stack.user(Perfil.AGENTE_CAMPO)

        # A field agent onboards a producer and syncs at once (one user action).
        action = str(uuid.uuid4())
        engine = stack.engine(agent_token)
        engine.enqueue_intent(REGISTRAR, producer_args(documents=1), correlation_id=action)
        assert engine.sync_once(correlation_id=action).ok

        now = dt.datetime.now(dt.UTC)
        history_start = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=50)
        worker = stack.worker()
        with worker.running() as services:
            wait_for(lambda: stack.notification(action), what="the activation SMS")
            for n in range(FAILING_JOBS):
                enqueue(sync_redis, "relatorio.inexistente", {"n": n})
            history = write_history(history_start)
            wait_for(
                lambda: (
                    len(
                        [
                            line
                            for line in worker.lines()
                            if line["message"] == "job falhou e foi para a fila morta"
                        ]
                    )
                    == FAILING_JOBS
                ),
                what="the failed jobs",
            )
            wait_for(
                lambda: recent_errors(stack.db) >= FAILING_JOBS * ATTEMPTS,
                what="stored ERROR lines",
            )
            [evaluate] = [t for t in observability_tasks(services) if t.name == "alertas.avaliar"]
            evaluate.run()
        wait_for(
            lambda: len({r.service for r in stack.stored(action)}) == 2,
            what="the action's lines of both services",
        )
        yield Observed(
            server=live_server,
            db=sync_db,
            admin_id=admin.id,
            admin_token=admin_token,
            agent_id=agent.id,
            agent_token=agent_token,
            action=action,
            history_start=history_start,
            history=history,
        )
    finally:
        stack.close()


def make_dashboard(qtbot: QtBot, client: DashboardClient, **kwargs: Any) -> AdminDashboard:
    dashboard = AdminDashboard(client, autostart=False, owns_client=True, **kwargs)
    qtbot.addWidget(dashboard)
    dashboard.resize(1280, 820)
    dashboard.show()
    qtbot.waitExposed(dashboard)
    return dashboard


@pytest.fixture
def dashboard(qtbot: QtBot, observed: Observed) -> AdminDashboard:
    return make_dashboard(qtbot, DashboardClient(observed.server.url, observed.admin_token))


def settle(qtbot: QtBot, dashboard: AdminDashboard) -> None:
    qtbot.waitUntil(lambda: not dashboard.runner.is_busy(), timeout=WAIT_MS)


def request_lines(observed: Observed, cid: str | None) -> list[dict[str, Any]]:
    return [
        line
        for line in observed.server_lines()
        if line["correlation_id"] == cid and line["message"] == "requisição concluída"
    ]


# -- alerts -----------------------------------------------------------------------------------


def test_alerts_list_shows_the_firing_alert(
    qtbot: QtBot, dashboard: AdminDashboard, observed: Observed
) -> None:
    counts: list[int] = []
    dashboard.firing_count_changed.connect(counts.append)
    dashboard.alerts.refresh()
    settle(qtbot, dashboard)
    alerts = dashboard.alerts.alerts()
    [alert] = [a for a in alerts if a.rule == "erros_por_servico"]
    assert alert.key == WORKER_SERVICE
    assert alert.state == "DISPARADO"
    assert alert.value == FAILING_JOBS * ATTEMPTS and alert.threshold == Decimal(10)
    assert counts == [len(alerts)]
    assert dashboard.alerts.badge.text() == (
        "1 alerta disparado" if len(alerts) == 1 else f"{len(alerts)} alertas disparados"
    )
    assert dashboard.tabs.tabText(0) == f"Visão geral ({len(alerts)})"
    assert dashboard.alerts.banner.isHidden()
    model = dashboard.alerts.model
    row = alerts.index(alert)
    assert model.data(model.index(row, 1)) == WORKER_SERVICE
    assert model.data(model.index(row, 2)) == str(FAILING_JOBS * ATTEMPTS)

    # The poll was one action: its own correlation id, on the server's request line.
    wait_for(lambda: request_lines(observed, dashboard.alerts.last_action_id), what="request")
    [line] = request_lines(observed, dashboard.alerts.last_action_id)
    assert line["payload"]["path"] == "/v1/admin/alertas/disparados"
    assert line["user_id"] == str(observed.admin_id)

    # Double-clicking the alert searches the ERROR lines of its service.
    viewport = dashboard.alerts.table.viewport()
    where = dashboard.alerts.table.visualRect(model.index(row, 0)).center()
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
    QTest.mouseDClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
    settle(qtbot, dashboard)
    assert dashboard.tabs.currentWidget() is dashboard.search
    found = dashboard.search.results()
    assert found and {(line.service, line.level) for line in found} == {(WORKER_SERVICE, "ERROR")}


def test_alerts_are_polled_on_a_timer_each_poll_with_a_new_id(
    qtbot: QtBot, observed: Observed
) -> None:
    client = DashboardClient(observed.server.url, observed.admin_token)
    dashboard = make_dashboard(qtbot, client, poll_interval_ms=150, charts_interval_ms=60_000)
    ids: set[str] = set()

    def polled() -> bool:
        if dashboard.alerts.last_action_id:
            ids.add(dashboard.alerts.last_action_id)
        return len(ids) >= 3

    dashboard.start()
    qtbot.waitUntil(polled, timeout=WAIT_MS)
    dashboard.stop()
    settle(qtbot, dashboard)
    assert dashboard.alerts.alerts()
    for cid in ids:
        wait_for(functools.partial(request_lines, observed, cid), what=f"request of {cid}")


# -- charts -----------------------------------------------------------------------------------


def wait_stored(observed: Observed) -> None:
    """Until the server's last line so far is in PostgreSQL (the sink writes in batches)."""
    last = observed.server_lines()[-1]
    wait_for(
        lambda: observed.query(
            'SELECT 1 FROM logs WHERE service = :s AND message = :m AND "timestamp" = :t',
            s=SERVER_SERVICE,
            m=last["message"],
            t=dt.datetime.fromisoformat(last["timestamp"]),
        ),
        what="the server's last line in PostgreSQL",
    )


def test_charts_match_the_stored_lines(
    qtbot: QtBot, dashboard: AdminDashboard, observed: Observed
) -> None:
    wait_stored(observed)
    dashboard.charts.refresh()
    settle(qtbot, dashboard)
    data = dashboard.charts.data
    assert data is not None and data.period.bucket_s == 60
    assert dashboard.charts.banner.isHidden()

    buckets = bucket_starts(data.start, data.end, 60)
    assert len(buckets) in (60, 61)
    errors = dashboard.charts.errors_chart.series()
    timing = dashboard.charts.timing_chart.series()
    assert dashboard.charts.errors_chart.buckets() == buckets
    assert all(len(points) == len(buckets) for points in [*errors.values(), *timing.values()])

    window = {"s": data.start, "e": data.end}
    expected_errors = {
        (r.bucket, r.service): r.n
        for r in observed.query(
            "SELECT date_bin('60 seconds', \"timestamp\", TIMESTAMPTZ '2000-01-01Z') AS bucket,"
            " service, count(*) AS n FROM logs WHERE level IN ('ERROR', 'CRITICAL')"
            ' AND "timestamp" >= :s AND "timestamp" < :e GROUP BY 1, 2',
            **window,
        )
    }
    plotted = {
        (bucket, service): value
        for service, points in errors.items()
        for bucket, value in points
        if value
    }
    assert plotted == expected_errors
    # Zero-filled: every bucket of the period has a bar (0 where nothing happened).
    assert all(value is not None for points in errors.values() for _, value in points)
    worker_errors = sum(v or 0 for _, v in errors[WORKER_SERVICE])
    history_errors = sum(1 for h in observed.history if h["level"] == "ERROR")
    assert worker_errors == FAILING_JOBS * ATTEMPTS + history_errors

    expected_timing = {
        (r.bucket, r.service): round(float(r.media), 2)
        for r in observed.query(
            "SELECT date_bin('60 seconds', \"timestamp\", TIMESTAMPTZ '2000-01-01Z') AS bucket,"
            " service, avg((payload->>'tempo_de_processamento_ms')::numeric) AS media FROM logs"
            " WHERE jsonb_typeof(payload->'tempo_de_processamento_ms') = 'number'"
            ' AND "timestamp" >= :s AND "timestamp" < :e GROUP BY 1, 2',
            **window,
        )
    }
    plotted_timing = {
        (bucket, service): value
        for service, points in timing.items()
        for bucket, value in points
        if value is not None
    }
    # Both sides round the average to 2 places (the server in SQL, this test in Python).
    assert plotted_timing == pytest.approx(expected_timing, abs=0.0101)
    assert {SERVER_SERVICE, WORKER_SERVICE} <= set(timing)
    history_points = [
        value for bucket, value in timing[WORKER_SERVICE] if bucket < buckets[-6] and value
    ]
    assert sorted(history_points) == sorted(float(h["ms"]) for h in observed.history)
    # Both charts colour a service alike, and the search offers the services seen.
    assert dashboard.charts.errors_chart.colors is dashboard.charts.timing_chart.colors
    services = {
        dashboard.search.service.itemText(i) for i in range(dashboard.search.service.count())
    }
    assert {SERVER_SERVICE, WORKER_SERVICE} <= services

    # Another period: coarser buckets, same totals.
    dashboard.charts.period.setCurrentIndex(1)
    settle(qtbot, dashboard)
    assert dashboard.charts.data is not None
    assert dashboard.charts.data.period.bucket_s == 300
    coarse = dashboard.charts.errors_chart.series()
    assert sum(v or 0 for _, v in coarse[WORKER_SERVICE]) == worker_errors


# -- log search -------------------------------------------------------------------------------


def test_search_pages_through_the_history_with_the_keyset_cursor(
    qtbot: QtBot, dashboard: AdminDashboard, observed: Observed
) -> None:
    search = dashboard.search
    search.page_size = 6
    search.set_filters(service=WORKER_SERVICE)
    search.set_period(observed.history_start, observed.history_start + dt.timedelta(minutes=39))
    assert search.preset.currentIndex() == CUSTOM_PRESET
    QTest.mouseClick(search.search_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dashboard)
    query = search.query
    assert query is not None and query.service == WORKER_SERVICE
    assert query.start == observed.history_start
    assert query.end == observed.history_start + dt.timedelta(minutes=40)

    pages: list[list[str]] = []
    ids: list[str | None] = []
    while True:
        pages.append([line.message for line in search.results()])
        ids.append(search.last_action_id)
        assert search.page_index == len(pages) - 1
        if not search.next_button.isEnabled():
            break
        QTest.mouseClick(search.next_button, Qt.MouseButton.LeftButton)
        settle(qtbot, dashboard)
    newest_first = [h["message"] for h in reversed(observed.history)]
    assert [len(p) for p in pages] == [6, 6, 6, 2]
    assert [m for page in pages for m in page] == newest_first
    assert search.page_label.text() == "Página 4 · linhas 19–20 · fim dos resultados"
    assert len(set(ids)) == len(ids)  # one correlation id per click

    QTest.mouseClick(search.previous_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dashboard)
    assert search.page_index == 2
    assert [line.message for line in search.results()] == pages[2]
    assert search.next_button.isEnabled()

    # Levels: only the ERROR lines of the history.
    search.level_buttons["ERROR"].setChecked(True)
    search.search()
    settle(qtbot, dashboard)
    errors = [h["message"] for h in reversed(observed.history) if h["level"] == "ERROR"]
    assert [line.message for line in search.results()] == errors[: search.page_size]
    assert search.page_index == 0


def test_search_by_correlation_id_and_user_then_follow(
    qtbot: QtBot, dashboard: AdminDashboard, observed: Observed
) -> None:
    search = dashboard.search
    search.set_filters(correlation_id=observed.action, preset=0)
    search.search()
    settle(qtbot, dashboard)
    found = search.results()
    assert {line.correlation_id for line in found} == {observed.action}
    assert {line.service for line in found} == {SERVER_SERVICE, WORKER_SERVICE}
    assert [line.timestamp for line in found] == sorted(
        (line.timestamp for line in found), reverse=True
    )

    search.set_filters(user_id=str(observed.agent_id), preset=2)
    search.search()
    settle(qtbot, dashboard)
    by_user = search.results()
    assert by_user and {line.user_id for line in by_user} == {str(observed.agent_id)}
    assert "requisição concluída" in {line.message for line in by_user}

    # Select a line and follow its correlation id.
    row = next(i for i, line in enumerate(by_user) if line.correlation_id == observed.action)
    search.table.selectRow(row)
    assert search.follow_button.isEnabled()
    assert observed.action in search.details.toPlainText()
    QTest.mouseClick(search.follow_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dashboard)
    assert dashboard.tabs.currentWidget() is dashboard.correlation
    assert dashboard.correlation.input.text() == observed.action
    assert dashboard.correlation.lines()


def test_correlation_view_follows_the_action_across_services(
    qtbot: QtBot, dashboard: AdminDashboard, observed: Observed
) -> None:
    panel = dashboard.correlation
    panel.input.setText(observed.action)
    QTest.mouseClick(panel.follow_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dashboard)
    lines = panel.lines()
    stored = observed.query(
        'SELECT service, message FROM logs WHERE correlation_id = :c ORDER BY "timestamp", id',
        c=observed.action,
    )
    assert [(line.service, line.message) for line in lines] == [tuple(r) for r in stored]
    assert panel.timeline.lanes() == [SERVER_SERVICE, WORKER_SERVICE]
    messages = [(line.service, line.message) for line in lines]
    assert (SERVER_SERVICE, "notificação enfileirada") in messages
    assert (WORKER_SERVICE, "notificação entregue (sandbox)") in messages
    requests = [
        line.payload.get("path") for line in lines if line.message == "requisição concluída"
    ]
    assert requests == ["/v1/sync/push", "/v1/sync/pull"]
    offsets = panel.timeline.offsets_ms()
    assert offsets[0] == 0 and offsets == sorted(offsets)
    assert panel.summary.text().startswith(f"{len(lines)} linhas em 2 serviços")
    assert panel.trail is not None and not panel.trail.truncated

    delivered = next(
        i for i, line in enumerate(lines) if line.message == "notificação entregue (sandbox)"
    )
    panel.table.selectRow(delivered)
    assert "notificação entregue (sandbox)" in panel.details.toPlainText()

    panel.follow(f"inexistente-{uuid.uuid4().hex}")
    settle(qtbot, dashboard)
    assert panel.lines() == [] and panel.summary.text().startswith("Nenhuma linha")


# -- failures ---------------------------------------------------------------------------------


def test_failures_are_shown_in_portuguese(qtbot: QtBot, observed: Observed) -> None:
    expired = make_dashboard(qtbot, DashboardClient(observed.server.url, "sessao-que-nao-existe"))
    expired.alerts.refresh()
    settle(qtbot, expired)
    assert expired.alerts.banner.isVisible()
    assert "Sua sessão expirou" in expired.alerts.banner.text()

    agent = make_dashboard(qtbot, DashboardClient(observed.server.url, observed.agent_token))
    agent.charts.refresh()
    settle(qtbot, agent)
    assert "Acesso negado" in agent.charts.banner.text()
    assert agent.charts.errors_chart.series() == {}

    offline = make_dashboard(qtbot, DashboardClient(f"http://127.0.0.1:{free_port()}", "x"))
    offline.correlation.follow("qualquer")
    settle(qtbot, offline)
    assert "Sem conexão com o servidor" in offline.correlation.banner.text()

    admin = make_dashboard(qtbot, DashboardClient(observed.server.url, observed.admin_token))
    search = admin.search
    search.set_period(observed.history_start, observed.history_start - dt.timedelta(hours=1))
    search.search()
    assert not admin.runner.is_busy()  # refused before any request
    assert search.banner.text() == "O fim do período deve ser posterior ao início."
    search.set_filters(text="x" * 201, preset=0)
    search.search()
    settle(qtbot, admin)
    assert search.banner.text().startswith("A busca falhou: Consulta inválida:")
    assert "texto" in search.banner.text()


def test_client_errors_carry_kind_and_correlation_id(observed: Observed) -> None:
    with DashboardClient(observed.server.url, observed.admin_token) as client:
        now = dt.datetime.now(dt.UTC)
        with pytest.raises(DashboardError) as bad:
            client.search_logs(LogQuery(start=now, end=now - dt.timedelta(hours=1)))
        assert bad.value.kind is ErrorKind.INVALID and bad.value.status == 422
        assert bad.value.code == "consulta_invalida"
        assert bad.value.message == "Consulta inválida: 'fim' deve ser posterior a 'inicio'"
        with pytest.raises(DashboardError) as bad_cursor:
            client.search_logs(LogQuery(start=now - dt.timedelta(hours=1), end=now), cursor="x!")
        assert bad_cursor.value.message == "Consulta inválida: cursor inválido"
        cid = bad_cursor.value.correlation_id
        [line] = wait_for(lambda: request_lines(observed, cid), what="the request line")
        assert line["payload"]["status"] == 422


def test_the_token_may_come_later(observed: Observed) -> None:
    """The app reads the token from the keyring after the window opens: a provider is asked at
    every call."""
    holder: dict[str, str | None] = {"token": None}
    with DashboardClient(observed.server.url, lambda: holder["token"]) as client:
        with pytest.raises(DashboardError) as missing:
            client.firing_alerts()
        assert missing.value.kind is ErrorKind.SESSION
        assert missing.value.message.startswith("Sessão não iniciada")
        holder["token"] = observed.admin_token
        assert any(a.rule == "erros_por_servico" for a in client.firing_alerts())


class BrokenClient(DashboardClient):
    def firing_alerts(self, *, correlation_id: str | None = None) -> Any:
        raise RuntimeError("defeito")


def test_a_bug_is_reported_and_explained(qtbot: QtBot, observed: Observed) -> None:
    dashboard = make_dashboard(qtbot, BrokenClient(observed.server.url, observed.admin_token))
    with qtbot.captureExceptions() as exceptions:
        dashboard.alerts.refresh()
        settle(qtbot, dashboard)
    assert [type(e[1]) for e in exceptions] == [RuntimeError]
    assert dashboard.alerts.banner.text() == (
        "Não foi possível atualizar os alertas: Erro inesperado no painel (RuntimeError). "
        "Tente novamente; se persistir, informe o suporte."
    )


# -- threading --------------------------------------------------------------------------------


class GatedClient(DashboardClient):
    """Blocks every call until ``gate`` is set, and records the threads the calls ran on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()
        self.threads: list[threading.Thread] = []

    def search_logs(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.append(threading.current_thread())
        assert self.gate.wait(30)
        return super().search_logs(*args, **kwargs)


def test_http_never_runs_on_the_ui_thread(qtbot: QtBot, observed: Observed) -> None:
    client = GatedClient(observed.server.url, observed.admin_token)
    dashboard = make_dashboard(qtbot, client)
    search = dashboard.search
    QTest.mouseClick(search.search_button, Qt.MouseButton.LeftButton)  # returns at once
    assert dashboard.runner.is_busy("search")
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=5000)  # the event loop keeps running
    timer.stop()
    assert search.page_label.text() == "Buscando…" and not search.search_button.isEnabled()
    client.gate.set()
    settle(qtbot, dashboard)
    assert search.search_button.isEnabled() and search.results()
    assert client.threads and all(t is not threading.main_thread() for t in client.threads)


def test_a_late_answer_never_overwrites_a_newer_one(qtbot: QtBot, observed: Observed) -> None:
    client = GatedClient(observed.server.url, observed.admin_token)
    dashboard = make_dashboard(qtbot, client)
    search = dashboard.search
    search.set_filters(correlation_id="nada-com-este-id", preset=0)
    search.search()  # blocked at the gate
    qtbot.waitUntil(lambda: len(client.threads) == 1, timeout=5000)
    # The admin changes the filters and searches again meanwhile.
    search.set_filters(correlation_id=observed.action, preset=0)
    search.search()
    client.gate.set()
    settle(qtbot, dashboard)
    assert {line.correlation_id for line in search.results()} == {observed.action}


def test_closing_or_deleting_never_waits_for_the_network(qtbot: QtBot, observed: Observed) -> None:
    client = GatedClient(observed.server.url, observed.admin_token)
    dashboard = make_dashboard(qtbot, client)
    delivered: list[object] = []
    dashboard.search.model.modelReset.connect(lambda: delivered.append(1))
    dashboard.search.search()
    qtbot.waitUntil(lambda: len(client.threads) == 1, timeout=5000)
    started = time.monotonic()
    dashboard.close()  # shutdown: nothing is delivered from now on
    dashboard.deleteLater()
    qtbot.wait(50)
    assert time.monotonic() - started < 1.0
    client.gate.set()
    assert dashboard_pool_idle()
    qtbot.wait(100)  # the late result is dropped, not delivered to a deleted widget
    assert delivered == []


def dashboard_pool_idle() -> bool:
    from desktop.dashboard.tasks import dashboard_pool

    return bool(dashboard_pool().waitForDone(20_000))


# -- inside the app ---------------------------------------------------------------------------


def test_the_dashboard_as_a_tab_of_the_admin_window(
    make_app: AppFactory,  # noqa: F811
    observed: Observed,
    sync_redis: redis.Redis,  # noqa: F811
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    """The admin's main window (desktop.app) takes the dashboard with one call, its token read
    from the sync controller at every request."""
    app = make_app(observed.server.url)
    admin = create_user(observed.db, Perfil.ADMIN)
    token = open_session(sync_redis, admin)
    window = app.open_account(
        account_for(admin.id, Perfil.ADMIN, observed.server.url, admin.email), token=token
    )
    controller = app.controller
    assert controller is not None
    # The one line of desktop/app.py (PeerseedApp.open_account) for admins:
    url = observed.server.url
    window.add_admin_tab(
        AdminDashboard(DashboardClient(url, lambda: controller.config.token), owns_client=True),
        "Observabilidade",
    )
    view = window.view
    dashboard = view.tabs.widget(view.tabs.count() - 1)
    assert isinstance(dashboard, AdminDashboard)
    window.resize(1280, 900)
    view.tabs.setCurrentWidget(dashboard)  # shown: polling starts
    qtbot.waitUntil(lambda: dashboard.alerts.last_updated is not None, timeout=WAIT_MS)
    settle(qtbot, dashboard)
    assert any(a.rule == "erros_por_servico" for a in dashboard.alerts.alerts())
    assert dashboard.charts.errors_chart.has_data()
    qtbot.wait(100)
    target = Path(os.environ.get("PEERSEED_SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(target / "painel-na-janela-do-admin.png"))


# -- screenshots ------------------------------------------------------------------------------


def test_screenshots(
    qtbot: QtBot, dashboard: AdminDashboard, observed: Observed, tmp_path: Path
) -> None:
    """Grab each tab (set PEERSEED_SCREENSHOT_DIR to keep the PNGs and look at them)."""
    target = Path(os.environ.get("PEERSEED_SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    previous = app.styleSheet()
    app.setStyleSheet(stylesheet())  # as inside the app's main window
    try:
        take_screenshots(qtbot, dashboard, observed, target)
    finally:
        app.setStyleSheet(previous)


def take_screenshots(
    qtbot: QtBot, dashboard: AdminDashboard, observed: Observed, target: Path
) -> None:
    dashboard.start()
    settle(qtbot, dashboard)
    dashboard.stop()
    qtbot.wait(100)
    shots = {"visao-geral": dashboard.grab()}
    dashboard.search.set_filters(service=WORKER_SERVICE, preset=0)
    dashboard.tabs.setCurrentWidget(dashboard.search)
    dashboard.search.search()
    settle(qtbot, dashboard)
    dashboard.search.table.selectRow(1)
    qtbot.wait(100)  # let the layouts settle
    shots["logs"] = dashboard.grab()
    dashboard.follow_correlation(observed.action)
    settle(qtbot, dashboard)
    dashboard.correlation.table.selectRow(0)
    qtbot.wait(100)
    shots["correlacao"] = dashboard.grab()
    for name, pixmap in shots.items():
        assert not pixmap.isNull() and pixmap.width() >= 1000
        assert pixmap.save(str(target / f"painel-{name}.png"))
