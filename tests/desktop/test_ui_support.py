"""Shared pieces of the desktop UI tests, and tests of those pieces (settings, keyring, paths).

The UI test modules import their fixtures from here: an in-memory keyring backend (tests never
touch the OS keyring), pt_BR translations, a factory of :class:`~desktop.app.PeerseedApp` under
the test's tmp_path that cleans up its threads, and the real-server fixtures of
``tests/support/sync_fixtures.py``.
"""

from __future__ import annotations

import base64
import gc
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest
import redis
from keyring.backend import KeyringBackend

from desktop import i18n
from desktop.app import AppOptions, PeerseedApp, demo_entries
from desktop.qt import QtCore, QtWidgets, is_alive, wait_for_background
from desktop.session import KeyringUnavailableError, TokenStore
from desktop.settings import AppPaths, DesktopSettings, RememberedAccount, load, save, server_slug
from desktop.sync import RetryPolicy
from shared_models.enums import Perfil
from tests.sync_server.accounts_support import png_bytes

# Offline shows up fast in tests; the periodic timer never fires on its own.
FAST_RETRY = RetryPolicy(base_delay_s=0.01, max_delay_s=0.05, max_attempts=3)
NO_TIMER_MS = 3_600_000


class MemoryKeyring(KeyringBackend):
    """The keyring backend of the tests: a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.entries[(service, username)]


class UnavailableKeyring(KeyringBackend):
    """An OS without a usable keyring (like keyring's ``fail`` backend)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.NoKeyringError("no keyring backend")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.NoKeyringError("no keyring backend")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.NoKeyringError("no keyring backend")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def pt_br(qapp: QtWidgets.QApplication) -> Iterator[None]:
    """The UI in Portuguese (the primary language), as the app starts by default."""
    translators = i18n.install(qapp, "pt_BR")
    try:
        yield
    finally:
        i18n.uninstall(qapp, translators)


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data")


@pytest.fixture
def clear_login_limits(sync_redis: redis.Redis) -> None:
    """Many logins from 127.0.0.1 in one session: start each test below the IP rate limit."""
    keys = list(sync_redis.scan_iter("ratelimit:*"))
    if keys:
        sync_redis.delete(*keys)


AppFactory = Callable[..., PeerseedApp]


@pytest.fixture
def make_app(qtbot: Any, paths: AppPaths, memory_keyring: MemoryKeyring) -> Iterator[AppFactory]:
    """Build apps as ``peerseed`` would; every window and worker is closed after the test."""
    apps: list[PeerseedApp] = []

    def factory(server_url: str, *, demo: bool = False, **overrides: Any) -> PeerseedApp:
        accounts, password = demo_entries() if demo else ([], None)
        options = AppOptions(
            server_url=server_url,
            paths=overrides.pop("paths", paths),
            demo=demo,
            demo_accounts=accounts,
            demo_password=password,
            sync_interval_ms=overrides.pop("sync_interval_ms", NO_TIMER_MS),
            retry=overrides.pop("retry", FAST_RETRY),
            **overrides,
        )
        app = PeerseedApp(options)
        apps.append(app)
        return app

    try:
        yield factory
    finally:
        for app in apps:
            for window in (app.login_window, app.main_window):
                if window is not None and is_alive(window):
                    window.close()
            app.close_account()
        wait_for_background(10_000)
        # Delete the closed windows now, on this (the UI) thread. Left to Python's cyclic GC,
        # which may run on any thread (a sync worker's), a widget's C++ side would be destroyed
        # off the UI thread and leave its style animations registered with the UI thread's
        # animation timer: a segfault in QUnifiedTimer later on.
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
        apps.clear()
        gc.collect()
        QtCore.QCoreApplication.processEvents()


def account_for(
    user_id: uuid.UUID, perfil: Perfil, server_url: str, ident: str
) -> RememberedAccount:
    return RememberedAccount(
        user_id=user_id, perfil=perfil, identifier=ident, server_url=server_url
    )


def write_png(path: Path, seed: int = 1) -> Path:
    path.write_bytes(png_bytes(seed))
    return path


def b64_png(seed: int = 1) -> str:
    return base64.b64encode(png_bytes(seed)).decode()


# -- tests of the pieces above and of the plain-Python modules they rest on -------------------


def test_token_store_uses_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store = TokenStore()
    user = uuid.uuid4()
    assert store.get("http://s:1", user) is None
    store.set("http://s:1/", user, "tok")
    assert store.get("http://s:1", user) == "tok"
    assert memory_keyring.entries == {("peerseed", f"http://s:1#{user}"): "tok"}
    store.delete("http://s:1", user)
    store.delete("http://s:1", user)  # already gone: fine
    assert memory_keyring.entries == {}


def test_an_unavailable_keyring_is_a_user_environment_error() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(UnavailableKeyring())
    try:
        with pytest.raises(KeyringUnavailableError):
            TokenStore().set("http://s:1", uuid.uuid4(), "tok")
        with pytest.raises(KeyringUnavailableError):
            TokenStore().get("http://s:1", uuid.uuid4())
    finally:
        keyring.set_keyring(previous)


def test_settings_round_trip_and_never_hold_a_token(paths: AppPaths) -> None:
    settings = load(paths)
    assert settings.last_account is None and settings.version == 1
    account = RememberedAccount(
        user_id=uuid.uuid4(),
        perfil=Perfil.AGENTE_CAMPO,
        identifier="agente@example.com",
        server_url="http://127.0.0.1:8000",
    )
    settings.last_account = account
    save(paths, settings)
    again = load(paths)
    assert again.last_account == account and again.device_id == settings.device_id
    stored = json.loads(paths.settings_file.read_text())
    assert "token" not in json.dumps(stored).lower()


def test_a_damaged_settings_file_is_set_aside(paths: AppPaths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.settings_file.write_text("{not json")
    settings = load(paths)
    assert settings.last_account is None and isinstance(settings, DesktopSettings)
    assert paths.settings_file.with_name("desktop.json.bad").exists()


def test_replicas_are_kept_per_server(paths: AppPaths) -> None:
    assert server_slug("http://127.0.0.1:8000/") == "127.0.0.1_8000"
    assert paths.replicas_dir("https://api.peerseed.com.br") != paths.replicas_dir(
        "http://127.0.0.1:8000"
    )
