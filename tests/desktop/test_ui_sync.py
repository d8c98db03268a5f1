"""The sync as the UI shows it: the status bar follows the engine's states and progress, the
pending panel lists queued and rejected intents, and the UI thread never stalls while the worker
syncs many rows (QTimer probe, the measurement of ``bench/ui_stall.py``)."""

# The fixtures come from tests/desktop/test_ui_support.py and tests/support/sync_fixtures.py
# (imported: this package has no conftest of its own), so their names are reused as parameters.

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.ui_stall import measure_ui_stall
from desktop.replica_queries import OutboxItem
from desktop.settings import RememberedAccount
from desktop.sync import SyncProgress, SyncState
from desktop.sync_worker import ReplicaStatus
from desktop.ui.pending import PendingPanel
from desktop.ui.status_bar import SyncStatusBar
from shared_models.enums import Perfil
from tests.desktop.test_ui_support import (  # noqa: F401 - fixtures
    AppFactory,
    make_app,
    memory_keyring,
    paths,
    pt_br,
)
from tests.support.sync_fixtures import (  # noqa: F401 - fixtures
    SyncWorld,
    cheap_password_hashing,
    live_server,
    sync_db,
    sync_db_url,
    sync_redis,
    sync_redis_url,
    world,
)

pytestmark = pytest.mark.usefixtures("pt_br")


def test_status_bar_shows_each_engine_state(qtbot: Any) -> None:
    bar = SyncStatusBar()
    qtbot.addWidget(bar)
    assert bar.connection.text() == "Offline" and not bar.syncing

    bar.set_state(SyncState.SYNCING, None)
    assert bar.syncing and bar.progress_label.text() == "Sincronizando…"
    assert bar.connection.text() == "Offline"  # connectivity is known only at the end
    bar.set_progress(SyncProgress("push", 2048, 512, 0, 0, 3, 0))
    assert bar.progress_label.text() == "Enviando ações: 3 enviadas"
    bar.set_progress(SyncProgress("pull", 2048, 1_234_567, 12_345, 4, 3, 0))
    assert bar.progress_label.text() == "Recebendo: 12.345 linhas · 1,18 MB"

    bar.set_state(SyncState.ONLINE, None)
    assert not bar.syncing and bar.connection.text() == "Online"
    assert bar.connection.objectName() == "ConnectionOnline"

    bar.set_state(SyncState.OFFLINE, "ConnectError: [Errno 111] Connection refused")
    assert bar.connection.text() == "Offline" and "Sem conexão" in bar.connection.toolTip()

    bar.set_state(SyncState.ERROR, "authentication: Sessão inválida. Entre novamente.")
    assert bar.connection.text() == "Sessão expirada"
    assert bar.relogin.isVisibleTo(bar) and bar.relogin.text() == "Entrar novamente"

    bar.set_state(SyncState.ERROR, "upgrade required: versão não suportada")
    assert bar.connection.text() == "Atualização necessária" and not bar.relogin.isVisibleTo(bar)

    bar.set_state(SyncState.ERROR, "ServerError: 500 : boom")
    assert bar.connection.text() == "Erro de sincronização"
    assert bar.connection.toolTip() == "ServerError: 500 : boom"

    moment = datetime(2026, 11, 29, 14, 3, tzinfo=UTC)
    bar.set_status(ReplicaStatus(moment, pending=2, rejected=1))
    assert bar.last_sync.text() == "Última sincronização: " + moment.astimezone().strftime(
        "%d/%m/%Y %H:%M"
    )
    assert bar.pending.text() == "Pendentes: 2 · Rejeitadas: 1"
    bar.set_status(ReplicaStatus(None, pending=0, rejected=0))
    assert bar.last_sync.text() == "Nunca sincronizado" and bar.pending.text() == "Pendentes: 0"


def _item(seq: int, state: str, **kw: Any) -> OutboxItem:
    values: dict[str, Any] = {
        "intent_id": str(uuid.uuid4()),
        "name": "produtor.registrar",
        "code": None,
        "message": None,
        "created_at": datetime(2026, 11, 29, 10, 0, tzinfo=UTC),
        "resolved_at": None,
        "attempts": 0,
        "resubmission_of": None,
        "resubmitted_as": None,
        "nome": "Maria da Silva",
        "cpf": "52998224725",
    }
    values.update(kw)
    return OutboxItem(seq=seq, state=state, **values)


def test_pending_panel_lists_queued_and_rejected_intents(qtbot: Any) -> None:
    panel = PendingPanel()
    qtbot.addWidget(panel)
    assert panel.table.stack.currentWidget() is panel.table.empty
    reason = "Já existe uma conta com este CPF. Confira o CPF do produtor e envie um novo cadastro."
    items = [
        _item(4, "queued"),
        _item(3, "sent", attempts=1),
        _item(2, "rejected", code="cadastro_duplicado", message=reason, resubmitted_as=4),
        _item(1, "rejected", code="cadastro_duplicado", message=reason),
    ]
    panel.set_items(items)
    rows = panel.model.texts()
    assert [r[0] for r in rows] == ["4", "3", "2", "1"]
    assert rows[0][1:3] == ["Cadastro de produtor", "Maria da Silva — 529.***.***-25"]
    assert [r[4] for r in rows] == [
        "Na fila",
        "Enviada, aguardando resultado",
        "Rejeitada — reenviada como nº 4",
        "Rejeitada",
    ]
    assert rows[3][5] == reason
    panel.table.view.selectRow(2)  # already corrected: cannot be resubmitted twice
    assert not panel.fix_button.isEnabled()
    panel.table.view.selectRow(3)
    assert panel.fix_button.isEnabled()
    with qtbot.waitSignal(panel.fix_requested) as asked:
        panel.fix_button.click()
    assert asked.args[0].seq == 1


def test_the_status_bar_follows_a_real_sync(
    make_app: AppFactory, world: SyncWorld, qtbot: Any
) -> None:
    investor = world.user(Perfil.INVESTIDOR)
    world.add_notifications(investor, 3000)  # several pages at a small page size
    app = make_app(world.server.url, page_bytes=64 * 1024)
    account = RememberedAccount(
        user_id=investor.id,
        perfil=Perfil.INVESTIDOR,
        identifier=investor.account.email,
        server_url=world.server.url,
    )
    seen: list[tuple[SyncState, str, bool]] = []
    progress: list[str] = []
    window = app.open_account(account, token=investor.token)
    bar = window.status
    app.controller.state_changed.connect(
        lambda s, _d: seen.append((s, bar.connection.text(), bar.syncing))
    )
    app.controller.progress.connect(lambda _p: progress.append(bar.progress_label.text()))
    qtbot.waitUntil(lambda: app.controller.last_report is not None, timeout=30_000)
    report = app.controller.last_report
    assert report.ok and report.pages >= 3, report
    assert seen[0] == (SyncState.SYNCING, "Offline", True)
    assert seen[-1] == (SyncState.ONLINE, "Online", False)
    assert len(progress) >= 3 and all(p.startswith("Recebendo: ") for p in progress)
    assert progress[-1].startswith(f"Recebendo: {report.rows_applied:,}".replace(",", "."))
    qtbot.waitUntil(lambda: bar.last_sync.text().startswith("Última sincronização: "))


def test_the_ui_thread_never_stalls_while_many_rows_sync(
    world: SyncWorld, qtbot: Any, tmp_path: Path
) -> None:
    investor = world.user(Perfil.INVESTIDOR)
    world.add_notifications(investor, 20_000)
    result = measure_ui_stall(
        server_url=world.server.url,
        token=investor.token,
        user_id=investor.id,
        perfil=Perfil.INVESTIDOR.value,
        work_dir=tmp_path,
    )
    print(f"UI stall with {result.rows} rows: {result.max_stall_ms} ms ({result})")
    assert result.ok and result.rows >= 20_000, result
    assert result.ticks > 50
    # The target is < 50 ms at 100,000 rows (bench/ui_stall.py); a shared test machine
    # is noisy, so this test only proves the UI thread never waits for the sync.
    assert result.max_stall_ms < 250, result


@pytest.mark.slow
def test_ui_stall_at_100000_rows(world: SyncWorld, qtbot: Any, tmp_path: Path) -> None:
    investor = world.user(Perfil.INVESTIDOR)
    world.add_notifications(investor, 100_000)
    result = measure_ui_stall(
        server_url=world.server.url,
        token=investor.token,
        user_id=investor.id,
        perfil=Perfil.INVESTIDOR.value,
        work_dir=tmp_path,
    )
    print(f"UI stall with {result.rows} rows: {result.max_stall_ms} ms ({result})")
    assert result.ok and result.rows >= 100_000, result
    assert result.max_stall_ms < 250, result
