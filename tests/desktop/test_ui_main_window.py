"""The main window of each profile shows the replica's data, synced from a real server that holds
the demo data set, formatted for pt_BR; the admin window takes extra tabs."""

# The fixtures come from tests/desktop/test_ui_support.py and tests/support/sync_fixtures.py
# (imported: this package has no conftest of its own), so their names are reused as parameters.

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from desktop.qt import Qt, QtWidgets
from desktop.ui.main_window import MainWindow
from desktop.ui.pages import AdminView, AgentView, FarmerView, InvestorView
from shared_models.cpf import mask_cpf
from sync_server.demo import DEMO_ACCOUNTS
from sync_server.demo.seed import seed_demo
from tests.desktop.test_ui_support import (  # noqa: F401 - fixtures
    AppFactory,
    clear_login_limits,
    make_app,
    memory_keyring,
    paths,
    pt_br,
)
from tests.support.live_server import LiveServer
from tests.support.sync_fixtures import (  # noqa: F401 - fixtures
    cheap_password_hashing,
    live_server,
    sync_db,
    sync_db_url,
    sync_redis,
    sync_redis_url,
)

pytestmark = pytest.mark.usefixtures("pt_br", "clear_login_limits")

USDC = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d{2,8} USDC$")
BRL = re.compile(r"^-?R\$ \d{1,3}(\.\d{3})*,\d{2}$")
DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
LAST_SYNC = re.compile(r"^Última sincronização: \d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


@pytest.fixture(scope="module")
def demo_data(sync_db: sa.Engine) -> Iterator[None]:
    with sync_db.begin() as conn:
        seed_demo(
            conn, password_hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
    yield


def _user_id(db: sa.Engine, email: str) -> str:
    with db.connect() as conn:
        return str(
            conn.execute(
                sa.text("SELECT id FROM usuarios WHERE email = :e"), {"e": email}
            ).scalar_one()
        )


def _count(db: sa.Engine, sql: str, **params: Any) -> int:
    with db.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def _login_demo(make_app: AppFactory, server: LiveServer, index: int, qtbot: Any) -> MainWindow:
    app = make_app(server.url, demo=True)
    app.start()
    login = app.login_window
    assert login is not None
    qtbot.mouseClick(login.demo_buttons[index], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(login.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.main_window is not None, timeout=15_000)
    window = app.main_window
    assert window is not None
    qtbot.waitUntil(
        lambda: (
            window.status.connection.text() == "Online"
            and window.snapshot is not None
            and window.snapshot.profile is not None
            and window.snapshot.summary.last_sync_at is not None
        ),
        timeout=30_000,
    )
    assert window.windowTitle() == (
        f"Peerseed — {DEMO_ACCOUNTS[index].nome} ({login_profile(index)})"
    )
    assert window.greeting.text() == f"Olá, {DEMO_ACCOUNTS[index].nome}"
    assert LAST_SYNC.match(window.status.last_sync.text()), window.status.last_sync.text()
    assert window.status.pending.text() == "Pendentes: 0"
    assert not window.offline_banner.isVisibleTo(window)
    return window


def login_profile(index: int) -> str:
    return ["Agricultor", "Investidor", "Agente de campo", "Administrador"][index]


def _tab_titles(tabs: QtWidgets.QTabWidget) -> list[str]:
    return [tabs.tabText(i) for i in range(tabs.count())]


@pytest.mark.usefixtures("demo_data")
def test_farmer_sees_cprs_installments_and_wallet(
    make_app: AppFactory, live_server: LiveServer, sync_db: sa.Engine, qtbot: Any
) -> None:
    window = _login_demo(make_app, live_server, 0, qtbot)
    view = window.view
    assert isinstance(view, FarmerView)
    assert _tab_titles(view.tabs) == ["Minhas CPRs", "Parcelas", "Carteira"]
    me = _user_id(sync_db, "agricultor@example.com")

    cprs = view.cprs.model.texts()
    assert len(cprs) == _count(sync_db, "SELECT count(*) FROM cprs WHERE agricultor_id = :u", u=me)
    headers = [c.title for c in view.cprs.model.columns]
    amount = headers.index("Valor solicitado")
    assert all(BRL.match(row[amount]) for row in cprs)
    assert any(row[amount] == "R$ 1.080.000,00" for row in cprs)
    status = headers.index("Situação")
    assert {row[status] for row in cprs} <= {
        "Em análise",
        "Em captação",
        "Financiada",
        "Em pagamento",
        "Quitada",
        "Inadimplente",
    }
    assert any(row[headers.index("Taxa (a.a.)")] == "12,50%" for row in cprs)

    installments = view.installments.model.texts()
    assert len(installments) == _count(
        sync_db,
        "SELECT count(*) FROM parcelas p JOIN cprs c ON c.id = p.cpr_id WHERE c.agricultor_id = :u",
        u=me,
    )
    due = [c.title for c in view.installments.model.columns].index("Vencimento")
    assert installments and all(DATE.match(row[due]) for row in installments)

    assert USDC.match(view.balance_card.value.text())
    assert BRL.match(view.next_card.value.text())
    assert view.next_card.note.text().startswith(("vence em ", "atrasada desde "))
    movements = view.transactions.model.texts()
    assert movements and all(USDC.match(row[3]) for row in movements)
    assert [row[0].split(" — ")[0] for row in view.banks.model.texts()] == ["748"]


@pytest.mark.usefixtures("demo_data")
def test_investor_sees_wallet_transactions_marketplace_and_investments(
    make_app: AppFactory, live_server: LiveServer, sync_db: sa.Engine, qtbot: Any
) -> None:
    window = _login_demo(make_app, live_server, 1, qtbot)
    view = window.view
    assert isinstance(view, InvestorView)
    assert _tab_titles(view.tabs) == ["Carteira", "Transações", "Marketplace", "Investimentos"]
    me = _user_id(sync_db, "investidor@example.com")

    transactions = view.transactions.model.texts()
    assert len(transactions) == _count(
        sync_db,
        "SELECT count(*) FROM transacoes t JOIN carteiras w ON w.id = t.carteira_id"
        " WHERE w.usuario_id = :u",
        u=me,
    )
    assert {"Depósito Pix", "Saque Pix"} <= {row[1] for row in transactions}
    assert any(row[3].startswith("-") for row in transactions)  # withdrawals are negative
    market = view.market.model.texts()
    assert len(market) == _count(sync_db, "SELECT count(*) FROM cprs WHERE status = 'CAPTAÇÃO'")
    assert all(USDC.match(row[5]) for row in market)  # quota price
    investments = view.investments.model.texts()
    assert len(investments) == _count(
        sync_db, "SELECT count(*) FROM investimentos WHERE investidor_id = :u", u=me
    )
    assert all(USDC.match(row[3]) for row in investments)  # total invested
    for label in (view.total_label, view.blocked_label, view.available_label):
        assert USDC.match(label.text()), label.text()
    assert view.available_card.note.text().startswith("Bloqueado: ")
    assert view.offers.model.texts()  # the secondary market


@pytest.mark.usefixtures("demo_data")
def test_field_agent_sees_their_producers(
    make_app: AppFactory, live_server: LiveServer, sync_db: sa.Engine, qtbot: Any
) -> None:
    window = _login_demo(make_app, live_server, 2, qtbot)
    view = window.view
    assert isinstance(view, AgentView)
    assert _tab_titles(view.tabs) == ["Meus produtores"]
    assert window.new_producer_action.text() == "Novo produtor"
    me = _user_id(sync_db, "agente@example.com")
    with sync_db.connect() as conn:
        expected = {
            (r.nome_completo, mask_cpf(r.cpf))
            for r in conn.execute(
                sa.text("SELECT nome_completo, cpf FROM usuarios WHERE agente_id = :u"), {"u": me}
            )
        }
    rows = view.producers.model.texts()
    assert {(row[0], row[1]) for row in rows} == expected
    assert "Ana Paula Rezende" in {name for name, _ in expected}
    assert view.producers_card.value.text() == str(len(expected))


@pytest.mark.usefixtures("demo_data")
def test_admin_sees_the_kyc_queue_and_takes_more_tabs(
    make_app: AppFactory, live_server: LiveServer, sync_db: sa.Engine, qtbot: Any
) -> None:
    window = _login_demo(make_app, live_server, 3, qtbot)
    view = window.view
    assert isinstance(view, AdminView)
    queue = view.kyc.model.texts()
    assert len(queue) == _count(
        sync_db,
        "SELECT count(*) FROM usuarios WHERE status_kyc IN ('PENDENTE', 'ANALISE_MANUAL')"
        " AND perfil <> 'ADMIN' AND anonimizado_em IS NULL",
    )
    assert {row[5] for row in queue} <= {"Pendente", "Análise manual"}
    assert view.queue_card.value.text() == str(len(queue))

    # The app itself adds the observability dashboard; more tools can be added beside it.
    assert _tab_titles(view.tabs) == ["Fila de KYC", "Observabilidade"]
    tool = QtWidgets.QLabel("ferramenta")
    index = window.add_admin_tab(tool, "Outra ferramenta")
    assert _tab_titles(view.tabs) == ["Fila de KYC", "Observabilidade", "Outra ferramenta"]
    assert view.tabs.widget(index) is tool


def test_only_the_admin_window_takes_admin_tabs(
    make_app: AppFactory, live_server: LiveServer, qtbot: Any
) -> None:
    import uuid

    from desktop.settings import RememberedAccount
    from shared_models.enums import Perfil

    app = make_app(live_server.url)
    account = RememberedAccount(
        user_id=uuid.uuid4(), perfil=Perfil.INVESTIDOR, identifier="x", server_url=live_server.url
    )
    window = app.open_account(account, token=None)
    with pytest.raises(TypeError):
        window.add_admin_tab(QtWidgets.QLabel("x"), "x")
