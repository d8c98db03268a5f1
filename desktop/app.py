"""The application: which window shows when, and the lifetime of the sync worker.

- Start: if an account logged in on this computer before (and did not sign out), its main window
  opens at once on its local replica — with no network at all — and the session token is read
  from the OS keyring in the background to resume syncing. Otherwise the login window shows.
- Login: the token goes to the OS keyring (or memory only, with a warning, when the OS has no
  keyring); the account is remembered; its main window opens and syncs.
- Sign out: the worker stops (posted actions are stored first), the server session is revoked
  and the token deleted (in the background), the account is forgotten; the replica stays.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from desktop import session as session_mod
from desktop import settings as settings_mod
from desktop.dashboard import AdminDashboard, DashboardClient
from desktop.qt import BackgroundOp, QtCore, is_alive
from desktop.replica import default_replica_path
from desktop.replica_queries import ReplicaReader
from desktop.session import KeyringUnavailableError, LoginResult, TokenStore
from desktop.settings import AppPaths, DesktopSettings, RememberedAccount
from desktop.sync import RetryPolicy
from desktop.sync_worker import DESKTOP_RETRY, SyncController, WorkerConfig
from desktop.tls import prepare as prepare_tls
from desktop.ui.login import DemoEntry, LoginOutcome, LoginWindow
from desktop.ui.main_window import MainWindow
from shared_models.enums import Perfil

log = logging.getLogger(__name__)

Authenticator = Callable[..., LoginResult]


@dataclass(frozen=True)
class AppOptions:
    server_url: str
    paths: AppPaths
    demo: bool = False
    sync_interval_ms: int | None = None  # None: from the settings
    retry: RetryPolicy = DESKTOP_RETRY
    page_bytes: int | None = None
    demo_accounts: Sequence[DemoEntry] = field(default_factory=tuple)
    demo_password: str | None = None


def freeze_startup_objects() -> None:
    """Take every object alive now out of the cyclic collector's sight (``gc.freeze``).

    Modules, classes and widgets made at start-up live as long as the app; without this, each
    full collection walks all of them while holding the GIL, and the UI thread stalls for tens
    to hundreds of milliseconds whenever the sync worker's allocations trigger one. Call it once
    the first window is up.
    """
    gc.collect()
    gc.freeze()


def demo_entries() -> tuple[list[DemoEntry], str]:
    """The demo accounts (one per profile) and their password, as the server seeds them."""
    from sync_server.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    return [DemoEntry(a.email, a.perfil.value, a.nome) for a in DEMO_ACCOUNTS], DEMO_PASSWORD


class PeerseedApp(QtCore.QObject):
    """Owns the settings, the token store, the current window and its sync controller."""

    def __init__(
        self,
        options: AppOptions,
        *,
        tokens: TokenStore | None = None,
        login: Authenticator = session_mod.login,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.options = options
        self.tokens = tokens or TokenStore()
        self._login = login
        self.settings: DesktopSettings = settings_mod.load(options.paths)
        self.login_window: LoginWindow | None = None
        self.main_window: MainWindow | None = None
        self.controller: SyncController | None = None
        self.account: RememberedAccount | None = None
        self._relogin: LoginWindow | None = None
        # Without an OS keyring the token lives here, for this run only.
        self._memory_token: str | None = None

    # -- start ----------------------------------------------------------------------------------

    def start(self) -> None:
        prepare_tls()  # before any worker thread makes an HTTP client (see desktop.tls)
        remembered = self.settings.last_account
        if remembered is not None and remembered.server_url == self.options.server_url:
            self.open_account(remembered, token=None)
        else:
            self.show_login()

    def show_login(self, *, notice: str | None = None) -> LoginWindow:
        window = LoginWindow(
            server_url=self.options.server_url,
            authenticate=self._authenticate,
            demo_accounts=self.options.demo_accounts if self.options.demo else (),
            demo_password=self.options.demo_password if self.options.demo else None,
            notice=notice,
        )
        window.logged_in.connect(self._on_logged_in)
        window.resize(window.sizeHint())
        window.show()
        self.login_window = window
        return window

    # -- login ----------------------------------------------------------------------------------

    def _authenticate(self, identifier: str, password: str) -> LoginOutcome:
        """On a pool thread: the login request, then the token into the keyring."""
        result = self._login(
            self.options.server_url,
            identifier=identifier,
            password=password,
            device_id=self.settings.device_id,
        )
        keyring_error: str | None = None
        try:
            self.tokens.set(self.options.server_url, result.user_id, result.token)
        except KeyringUnavailableError as exc:
            keyring_error = str(exc) or type(exc).__name__
        return LoginOutcome(result, identifier, keyring_error)

    def _on_logged_in(self, outcome: LoginOutcome) -> None:
        result = outcome.result
        previous = self.settings.last_account
        name = previous.display_name if previous and previous.user_id == result.user_id else None
        account = RememberedAccount(
            user_id=result.user_id,
            perfil=result.perfil,
            identifier=outcome.identifier,
            server_url=self.options.server_url,
            display_name=name,
        )
        self.settings.last_account = account
        settings_mod.save(self.options.paths, self.settings)
        self._memory_token = result.token if outcome.keyring_error else None
        login = self.login_window
        self.open_account(account, token=result.token)
        if outcome.keyring_error and self.main_window is not None:
            self.main_window.notice.show_message(
                self.tr(
                    "The system keyring is not available, so the session cannot be remembered: "
                    "you will need to sign in again next time."
                ),
                "warning",
            )
        if login is not None and is_alive(login):
            login.close()
            login.deleteLater()
        self.login_window = None

    # -- the account's window -------------------------------------------------------------------

    def replica_path(self, account: RememberedAccount) -> Path:
        return default_replica_path(
            account.user_id, base_dir=self.options.paths.replicas_dir(account.server_url)
        )

    def open_account(self, account: RememberedAccount, *, token: str | None) -> MainWindow:
        """Open the account's main window on its replica; sync when a token is known."""
        self.account = account
        interval = self.options.sync_interval_ms or self.settings.sync_interval_s * 1000
        config = WorkerConfig(
            replica_path=self.replica_path(account),
            server_url=account.server_url,
            token=token,
            retry=self.options.retry,
            page_bytes=self.options.page_bytes,
        )
        controller = SyncController(config, parent=self, interval_ms=interval)
        window = MainWindow(
            account=account, controller=controller, reader=ReplicaReader(config.replica_path)
        )
        if account.perfil is Perfil.ADMIN:
            client = DashboardClient(account.server_url, lambda: controller.config.token)
            window.add_admin_tab(AdminDashboard(client, owns_client=True), "Observabilidade")
        window.logout_requested.connect(self.logout)
        window.relogin_requested.connect(self.relogin)
        window.snapshot_loaded.connect(self._remember_name)
        self.controller, self.main_window = controller, window
        controller.start()
        window.show()
        if token is not None:
            controller.enable_sync()
        else:
            self._resume_session(account)
        return window

    def _resume_session(self, account: RememberedAccount) -> None:
        """Read the account's token from the keyring in the background; then sync."""
        tokens, server = self.tokens, account.server_url
        BackgroundOp(
            self,
            lambda: tokens.get(server, account.user_id),
            success=lambda token: self._on_token(account, token),
            failure=lambda exc: self._on_token(account, None, exc),
        ).run()

    def _on_token(
        self, account: RememberedAccount, token: str | None, error: BaseException | None = None
    ) -> None:
        if self.account != account or self.controller is None or self.main_window is None:
            return
        if error is not None and not isinstance(error, KeyringUnavailableError):
            raise error
        if token:
            self.controller.set_token(token)
            self.controller.enable_sync()
        else:
            self.main_window.set_session_missing()

    def _remember_name(self, snapshot: object) -> None:
        profile = getattr(snapshot, "profile", None)
        name = getattr(profile, "nome_completo", None)
        account = self.settings.last_account
        if name and account is not None and account.display_name != name:
            self.settings.last_account = account.model_copy(update={"display_name": name})
            settings_mod.save(self.options.paths, self.settings)

    # -- session expired ------------------------------------------------------------------------

    def relogin(self) -> None:
        """Sign in again as the same account (session expired or missing) without closing."""
        if self.account is None or self.main_window is None:
            return
        if self._relogin is not None and is_alive(self._relogin):
            self._relogin.raise_()
            return
        account = self.account
        window = LoginWindow(
            server_url=account.server_url,
            authenticate=self._authenticate,
            identifier=account.identifier,
            lock_identifier=True,
            notice=self.tr("Your session ended. Enter your password to resume syncing."),
            parent=self.main_window,
        )
        window.setWindowFlag(QtCore.Qt.WindowType.Dialog)
        window.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        window.logged_in.connect(self._on_relogged_in)
        window.resize(window.sizeHint())
        window.show()
        self._relogin = window

    def _on_relogged_in(self, outcome: LoginOutcome) -> None:
        window, self._relogin = self._relogin, None
        if window is not None and is_alive(window):
            window.close()
            window.deleteLater()
        if self.account is None or self.controller is None or self.main_window is None:
            return
        if outcome.result.user_id != self.account.user_id:
            self.main_window.notice.show_message(
                self.tr("That is another account: sign out first to change accounts."), "error"
            )
            return
        self._memory_token = outcome.result.token if outcome.keyring_error else None
        self.controller.set_token(outcome.result.token)
        self.main_window.notice.clear_message()
        self.controller.enable_sync()

    # -- leaving --------------------------------------------------------------------------------

    def logout(self) -> None:
        account = self.account
        self.show_login()  # first, so the app never has zero windows (it would quit)
        self.close_account()
        if account is not None:
            tokens = self.tokens
            memory = self._memory_token

            def revoke() -> None:
                try:
                    token = memory or tokens.get(account.server_url, account.user_id)
                except KeyringUnavailableError:
                    token = memory
                if token:
                    session_mod.logout(account.server_url, token)
                try:
                    tokens.delete(account.server_url, account.user_id)
                except KeyringUnavailableError:
                    log.warning("could not delete the token from the keyring")

            BackgroundOp(self, revoke, success=lambda _r: None).run()
        self._memory_token = None
        self.settings.last_account = None
        settings_mod.save(self.options.paths, self.settings)

    def close_account(self) -> None:
        """Stop the worker (posted writes are stored first) and close the main window."""
        controller, window = self.controller, self.main_window
        self.controller = self.main_window = None
        self.account = None
        if controller is not None:
            controller.stop()
            controller.deleteLater()
        if window is not None and is_alive(window):
            window.close()
            window.deleteLater()

    def shutdown(self) -> None:
        """At exit: stop the worker cleanly."""
        if self.controller is not None:
            self.controller.stop()
        self.controller = None
