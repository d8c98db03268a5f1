"""The login window against a real server: demo accounts, refusals in Portuguese, the token in
the keyring (the test backend), and the profile's main window afterwards."""

# The fixtures come from tests/desktop/test_ui_support.py and tests/support/sync_fixtures.py
# (imported: this package has no conftest of its own), so their names are reused as parameters.

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest

from desktop.qt import Qt
from desktop.ui.pages import AgentView, InvestorView
from shared_models.cpf import format_cpf
from shared_models.enums import Perfil
from sync_server.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.desktop.test_ui_support import (  # noqa: F401 - fixtures
    AppFactory,
    MemoryKeyring,
    UnavailableKeyring,
    clear_login_limits,
    make_app,
    memory_keyring,
    paths,
    pt_br,
)
from tests.support.live_server import LiveServer
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

pytestmark = pytest.mark.usefixtures("pt_br", "clear_login_limits")


def test_demo_mode_lists_one_account_per_profile_and_a_click_fills_it(
    make_app: AppFactory, live_server: LiveServer, qtbot: Any
) -> None:
    app = make_app(live_server.url, demo=True)
    app.start()
    window = app.login_window
    assert window is not None and app.main_window is None
    qtbot.addWidget(window)
    assert window.windowTitle() == "Peerseed — Entrar"
    texts = [b.text() for b in window.demo_buttons]
    assert texts == [
        "Agricultor — João Carlos Pereira\nagricultor@example.com",
        "Investidor — Carla Mendes Rocha\ninvestidor@example.com",
        "Agente de campo — Paulo Roberto Siqueira\nagente@example.com",
        "Administrador — Rafael Teixeira Nogueira\nadmin@example.com",
    ]
    assert {a.perfil for a in DEMO_ACCOUNTS} == set(Perfil)
    qtbot.mouseClick(window.demo_buttons[1], Qt.MouseButton.LeftButton)
    assert window.identifier.text() == "investidor@example.com"
    assert window.password.text() == DEMO_PASSWORD

    plain = make_app(live_server.url, demo=False)
    plain.start()
    assert plain.login_window is not None
    assert plain.login_window.demo_box is None and plain.login_window.demo_buttons == []


def test_bad_credentials_show_the_servers_message_in_portuguese(
    make_app: AppFactory, world: SyncWorld, memory_keyring: MemoryKeyring, qtbot: Any
) -> None:
    user = world.user(Perfil.INVESTIDOR)
    app = make_app(world.server.url)
    app.start()
    window = app.login_window
    assert window is not None

    window.attempt()  # nothing typed
    assert window.error.text() == "Informe o e-mail ou o CPF."
    window.identifier.setText(user.account.email)
    window.attempt()
    assert window.error.text() == "Informe a senha."

    window.password.setText("senha-errada-123")
    window.attempt()
    assert window.busy and not window.submit.isEnabled()
    qtbot.waitUntil(lambda: not window.busy, timeout=15_000)
    assert window.error.text() == "E-mail/CPF ou senha incorretos."
    assert window.error.kind == "error" and window.error.isVisibleTo(window)

    window.identifier.setText("123.456.789-00")  # not a valid CPF
    window.password.setText("qualquer")
    window.attempt()
    qtbot.waitUntil(lambda: not window.busy, timeout=15_000)
    assert window.error.text().startswith("CPF inválido")

    assert memory_keyring.entries == {} and app.main_window is None


def test_an_unreachable_server_is_explained(make_app: AppFactory, qtbot: Any) -> None:
    app = make_app("http://127.0.0.1:9")  # discard port: connection refused
    app.start()
    window = app.login_window
    assert window is not None
    window.identifier.setText("alguem@example.com")
    window.password.setText("x")
    window.attempt()
    qtbot.waitUntil(lambda: not window.busy, timeout=15_000)
    assert window.error.text() == (
        "Não foi possível falar com o servidor. Verifique a conexão e tente novamente."
    )


def test_login_puts_the_token_in_the_keyring_and_opens_the_profile_window(
    make_app: AppFactory,
    world: SyncWorld,
    memory_keyring: MemoryKeyring,
    paths: Any,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    app = make_app(world.server.url)
    app.start()
    window = app.login_window
    assert window is not None
    window.identifier.setText(format_cpf(agent.account.cpf))  # CPF works as well as e-mail
    window.password.setText(agent.account.password)
    window.attempt()
    qtbot.waitUntil(lambda: app.main_window is not None, timeout=15_000)

    [(service, username)] = memory_keyring.entries
    token = memory_keyring.entries[(service, username)]
    assert service == "peerseed" and username == f"{world.server.url}#{agent.id}"
    me = httpx.get(f"{world.server.url}/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["usuario_id"] == str(agent.id)

    main = app.main_window
    assert main is not None and isinstance(main.view, AgentView)
    assert app.settings.last_account is not None
    assert app.settings.last_account.user_id == agent.id
    qtbot.waitUntil(lambda: main.status.connection.text() == "Online", timeout=20_000)
    # The token is nowhere on disk: not in the settings, not in the replica.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_without_an_os_keyring_the_session_lasts_only_this_run(
    make_app: AppFactory, world: SyncWorld, qtbot: Any
) -> None:
    investor = world.user(Perfil.INVESTIDOR)
    previous = keyring.get_keyring()
    keyring.set_keyring(UnavailableKeyring())
    try:
        app = make_app(world.server.url)
        app.start()
        window = app.login_window
        assert window is not None
        window.identifier.setText(investor.account.email)
        window.password.setText(investor.account.password)
        window.attempt()
        qtbot.waitUntil(lambda: app.main_window is not None, timeout=15_000)
        main = app.main_window
        assert main is not None and isinstance(main.view, InvestorView)
        assert "cofre de senhas do sistema" in main.notice.text()
        qtbot.waitUntil(lambda: main.status.connection.text() == "Online", timeout=20_000)
        app.close_account()

        # Next run: the account's data opens, but syncing needs a new login.
        again = make_app(world.server.url)
        again.start()
        reopened = again.main_window
        assert reopened is not None and again.login_window is None
        qtbot.waitUntil(
            lambda: reopened.status.connection.text() == "Sessão expirada", timeout=15_000
        )
        assert reopened.status.relogin.isVisibleTo(reopened.status)
        # The banner follows once the replica is open (its last sync date is part of it).
        qtbot.waitUntil(
            lambda: "Entre novamente para sincronizar" in reopened.offline_banner.text(),
            timeout=15_000,
        )
    finally:
        keyring.set_keyring(previous)
