"""The main window: a header, the profile's view, the pending panel and the sync status bar.

It reads the replica through :func:`desktop.replica_queries.load_snapshot` on a pool thread
(debounced: a burst of changes makes one reload) and writes only through the
:class:`~desktop.sync_worker.SyncController`.
"""

from __future__ import annotations

from typing import Any

from desktop import labels
from desktop.formatting import format_datetime
from desktop.qt import BackgroundOp, Qt, QtCore, QtGui, QtWidgets, Signal
from desktop.replica import OutboxEntry
from desktop.replica_queries import (
    REGISTRAR,
    OutboxItem,
    ReplicaReader,
    Snapshot,
    load_snapshot,
    outbox_args,
)
from desktop.resources import icon
from desktop.settings import RememberedAccount
from desktop.sync import SyncProgress, SyncReport, SyncState
from desktop.sync_worker import ReplicaStatus, SyncController
from desktop.ui.onboarding import ProducerDialog
from desktop.ui.pages import AdminView, AgentView, FarmerView, InvestorView, _ProfileView
from desktop.ui.pending import PendingPanel
from desktop.ui.status_bar import SyncStatusBar, error_kind
from desktop.ui.widgets import Banner
from shared_models.enums import Perfil

RELOAD_DEBOUNCE_MS = 150


def _view_for(perfil: Perfil) -> _ProfileView:
    if perfil is Perfil.AGRICULTOR:
        return FarmerView()
    if perfil is Perfil.INVESTIDOR:
        return InvestorView()
    if perfil is Perfil.AGENTE_CAMPO:
        return AgentView()
    return AdminView()


class MainWindow(QtWidgets.QMainWindow):
    logout_requested = Signal()
    relogin_requested = Signal()
    snapshot_loaded = Signal(object)  # Snapshot (tests wait on it)

    def __init__(
        self,
        *,
        account: RememberedAccount,
        controller: SyncController,
        reader: ReplicaReader,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.account = account
        self.controller = controller
        self.reader = reader
        self.snapshot: Snapshot | None = None
        self._loading = False
        self._reload_again = False
        self._status: ReplicaStatus | None = None
        self.dialog: ProducerDialog | None = None

        self.setWindowIcon(icon("logo"))
        self._set_title(account.display_name or account.identifier)
        self.resize(1180, 760)

        # Header
        header = QtWidgets.QWidget(self)
        header.setObjectName("Header")
        logo = QtWidgets.QLabel(header)
        logo.setPixmap(icon("logo").pixmap(40, 40))
        self.greeting = QtWidgets.QLabel(header)
        self.greeting.setObjectName("Greeting")
        self.subtitle = QtWidgets.QLabel(header)
        self.subtitle.setObjectName("Subtitle")
        self.profile_badge = QtWidgets.QLabel(labels.perfil(account.perfil.value), header)
        self.profile_badge.setObjectName("Badge")
        names = QtWidgets.QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(self.greeting)
        names.addWidget(self.subtitle)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(logo)
        top.addLayout(names, 1)
        top.addWidget(self.profile_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        self.notice = Banner(header)
        self.offline_banner = Banner(header)
        hlayout = QtWidgets.QVBoxLayout(header)
        hlayout.setContentsMargins(16, 10, 16, 10)
        hlayout.addLayout(top)
        hlayout.addWidget(self.offline_banner)
        hlayout.addWidget(self.notice)
        self._show_greeting(account.display_name)

        self.view = _view_for(account.perfil)
        central = QtWidgets.QWidget(self)
        clayout = QtWidgets.QVBoxLayout(central)
        clayout.setContentsMargins(0, 0, 0, 0)
        clayout.setSpacing(0)
        clayout.addWidget(header)
        clayout.addWidget(self.view, 1)
        self.setCentralWidget(central)

        # Pending panel
        self.pending = PendingPanel(self)
        self.pending.fix_requested.connect(self.fix_rejected)
        self.pending_dock = QtWidgets.QDockWidget(self.tr("Pending and rejected"), self)
        self.pending_dock.setObjectName("PendingDock")
        self.pending_dock.setWidget(self.pending)
        self.pending_dock.setFeatures(
            QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.pending_dock)
        self.pending_dock.hide()

        # Status bar
        self.status = SyncStatusBar(self)
        self.setStatusBar(self.status)
        self.status.pending_clicked.connect(self.toggle_pending)
        self.status.relogin_requested.connect(self.relogin_requested)

        self._build_actions()

        self._reload_timer = QtCore.QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DEBOUNCE_MS)
        self._reload_timer.timeout.connect(self.refresh)

        c = controller
        c.state_changed.connect(self._on_state)
        c.progress.connect(self._on_progress)
        c.status_changed.connect(self._on_status)
        c.ready.connect(self._on_status)
        c.sync_finished.connect(self._on_sync_finished)
        c.intents_resolved.connect(self._on_resolved)
        c.data_changed.connect(self.schedule_reload)
        c.open_failed.connect(self._on_open_failed)
        self._on_state(c.state, c.state_detail)
        if c.replica_status is not None:
            self._on_status(c.replica_status)
        if isinstance(self.view, AgentView):
            self.view.new_producer_requested.connect(self.open_new_producer)

    # -- chrome ---------------------------------------------------------------------------------

    def _set_title(self, name: str) -> None:
        self.setWindowTitle(
            self.tr("Peerseed — %1 (%2)")
            .replace("%1", name)
            .replace("%2", labels.perfil(self.account.perfil.value))
        )

    def _show_greeting(self, name: str | None) -> None:
        self.greeting.setText(
            self.tr("Hello, %1").replace("%1", name) if name else self.account.identifier
        )
        self.subtitle.setText(self.account.identifier if name else "")

    def _build_actions(self) -> None:
        self.sync_action = QtGui.QAction(icon("sync"), self.tr("Sync now"), self)
        self.sync_action.setShortcut(QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Refresh))
        self.sync_action.triggered.connect(self.controller.sync_now)
        self.pending_action = self.pending_dock.toggleViewAction()
        self.pending_action.setText(self.tr("Pending and rejected"))
        self.pending_action.setIcon(icon("pending"))
        self.logout_action = QtGui.QAction(icon("logout"), self.tr("Sign out"), self)
        self.logout_action.triggered.connect(self._confirm_logout)
        self.quit_action = QtGui.QAction(self.tr("Quit"), self)
        self.quit_action.setShortcut(QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Quit))
        self.quit_action.triggered.connect(self.close)

        toolbar = self.addToolBar(self.tr("Main"))
        toolbar.setObjectName("MainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(QtCore.QSize(18, 18))
        toolbar.addAction(self.sync_action)
        toolbar.addAction(self.pending_action)
        if isinstance(self.view, AgentView):
            self.new_producer_action = QtGui.QAction(
                icon("user-add"), self.tr("New producer"), self
            )
            self.new_producer_action.setShortcut(QtGui.QKeySequence.StandardKey.New)
            self.new_producer_action.triggered.connect(self.open_new_producer)
            toolbar.addAction(self.new_producer_action)
        spacer = QtWidgets.QWidget(toolbar)
        spacer.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred
        )
        toolbar.addWidget(spacer)
        toolbar.addAction(self.logout_action)

        menu = self.menuBar()
        file_menu = menu.addMenu(self.tr("&File"))
        file_menu.addAction(self.sync_action)
        if isinstance(self.view, AgentView):
            file_menu.addAction(self.new_producer_action)
        file_menu.addSeparator()
        file_menu.addAction(self.logout_action)
        file_menu.addAction(self.quit_action)
        view_menu = menu.addMenu(self.tr("&View"))
        view_menu.addAction(self.pending_action)

    # -- data -----------------------------------------------------------------------------------

    def schedule_reload(self) -> None:
        self._reload_timer.start()

    def refresh(self) -> None:
        """Reload what the window shows, on a pool thread."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        reader, perfil, user_id = self.reader, self.account.perfil.value, self.account.user_id
        BackgroundOp(
            self,
            lambda: load_snapshot(reader, perfil, user_id),
            success=self._on_snapshot,
            failure=self._on_load_failed,
        ).run()

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self._loading = False
        self.snapshot = snapshot
        if snapshot.profile and snapshot.profile.nome_completo:
            self._show_greeting(snapshot.profile.nome_completo)
            self._set_title(snapshot.profile.nome_completo)
            if snapshot.profile.status_kyc and snapshot.profile.status_kyc != "VERIFICADO":
                self.profile_badge.setText(
                    f"{labels.perfil(self.account.perfil.value)} · "
                    + self.tr("KYC: %1").replace(
                        "%1", labels.kyc_status(snapshot.profile.status_kyc)
                    )
                )
        self.view.show_snapshot(snapshot)
        self.pending.set_items(snapshot.outbox)
        self.snapshot_loaded.emit(snapshot)
        if self._reload_again:
            self._reload_again = False
            self.refresh()

    def _on_load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self.notice.show_message(
            self.tr("Could not read the local data: %1").replace("%1", str(exc)), "error"
        )

    def _on_open_failed(self, exc: BaseException) -> None:
        self.notice.show_message(
            self.tr("Could not open the local data of this account: %1").replace("%1", str(exc)),
            "error",
        )

    # -- sync news ------------------------------------------------------------------------------

    def _on_state(self, state: SyncState, detail: str | None) -> None:
        self.status.set_state(state, detail)
        self.sync_action.setEnabled(state is not SyncState.SYNCING)
        self._update_offline_banner()

    def _on_progress(self, progress: SyncProgress) -> None:
        self.status.set_progress(progress)

    def _on_status(self, status: ReplicaStatus) -> None:
        self._status = status
        self.status.set_status(status)
        self._update_offline_banner()

    def _on_sync_finished(self, report: SyncReport, status: ReplicaStatus) -> None:
        self._on_status(status)

    def set_session_missing(self) -> None:
        self.status.set_session_missing()
        self.offline_banner.show_message(
            self.tr(
                "Sign in again to sync. Meanwhile you see the data of the last sync and your "
                "actions are saved on this computer."
            ),
            "warning",
        )

    def _update_offline_banner(self) -> None:
        state = self.status.state
        if state is SyncState.ONLINE:
            self.offline_banner.clear_message()
            return
        if state is SyncState.SYNCING:
            return
        last = self._status.last_sync_at if self._status else None
        if state is SyncState.ERROR and error_kind(self.status.detail) == "auth":
            self.set_session_missing()
            return
        if state is SyncState.ERROR and error_kind(self.status.detail) == "upgrade":
            self.offline_banner.show_message(
                self.tr("This version of the app is no longer accepted by the server: update it."),
                "error",
            )
            return
        if last is None:
            text = self.tr("You are offline and this account has not been synced yet.")
        else:
            text = self.tr(
                "You are offline. Showing the data of the last sync (%1); your actions are "
                "saved and sent when the connection returns."
            ).replace("%1", format_datetime(last))
        self.offline_banner.show_message(text, "warning")

    def _on_resolved(self, entries: list[OutboxEntry]) -> None:
        rejected = [e for e in entries if e.state.value == "rejected"]
        applied = [e for e in entries if e.state.value == "applied"]
        if rejected:
            entry = rejected[-1]
            who = str(entry.args.get("nome_completo") or "") if entry.name == REGISTRAR else ""
            self.notice.show_message(
                self.tr('%1 rejected: %2 Open "Pending and rejected" to fix it.')
                .replace("%1", labels.intent_name(entry.name) + (f" ({who})" if who else ""))
                .replace("%2", (entry.message or entry.code or "").rstrip(".") + "."),
                "error",
            )
            self.pending_dock.show()
        elif applied:
            self.notice.show_message(
                self.tr("%1 action(s) applied by the server.").replace("%1", str(len(applied))),
                "info",
            )

    def toggle_pending(self) -> None:
        self.pending_dock.setVisible(not self.pending_dock.isVisible())

    # -- onboarding -----------------------------------------------------------------------------

    def open_new_producer(self) -> ProducerDialog:
        dialog = ProducerDialog(
            save=lambda args, cid: self.controller.enqueue(REGISTRAR, args, correlation_id=cid),
            parent=self,
        )
        return self._open_dialog(dialog)

    def fix_rejected(self, item: OutboxItem) -> None:
        """Open a rejected registration prefilled; saving sends a NEW intent."""
        reader = self.reader

        def load() -> dict[str, Any] | None:
            with reader.connect() as conn:
                return outbox_args(conn, item.seq)

        BackgroundOp(self, load, success=lambda args: self._open_fix(item, args)).run()

    def _open_fix(self, item: OutboxItem, args: dict[str, Any] | None) -> None:
        if args is None:
            return
        dialog = ProducerDialog(
            save=lambda new_args, cid: self.controller.resubmit(
                item.seq, item.name, new_args, correlation_id=cid
            ),
            initial=args,
            rejection=item.message or item.code,
            resubmission_of=item.seq,
            parent=self,
        )
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: ProducerDialog) -> ProducerDialog:
        self.controller.write_finished.connect(dialog.on_write_finished)
        dialog.saved.connect(self._on_saved)
        dialog.finished.connect(lambda _r: self._forget_dialog(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: ProducerDialog) -> None:
        self.controller.write_finished.disconnect(dialog.on_write_finished)
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _on_saved(self, entry: OutboxEntry) -> None:
        who = str(entry.args.get("nome_completo") or "")
        self.notice.show_message(
            self.tr("Registration of %1 saved (no. %2). It is sent when there is a connection.")
            .replace("%1", who)
            .replace("%2", str(entry.seq)),
            "info",
        )
        self.schedule_reload()

    # -- admin tools ----------------------------------------------------------------------------

    def add_admin_tab(
        self, widget: QtWidgets.QWidget, title: str, tab_icon: QtGui.QIcon | None = None
    ) -> int:
        """Add an admin tool as a tab next to the KYC queue (admin windows only)."""
        if not isinstance(self.view, AdminView):
            raise TypeError("admin tabs exist only in the admin's window")
        return self.view.add_tab(widget, title, tab_icon)

    # -- leaving --------------------------------------------------------------------------------

    def _confirm_logout(self) -> None:
        pending = self._status.pending if self._status else 0
        if pending:
            answer = QtWidgets.QMessageBox.question(
                self,
                self.tr("Sign out"),
                self.tr(
                    "%1 action(s) are still waiting to be sent. They stay on this computer and "
                    "are sent the next time this account signs in. Sign out?"
                ).replace("%1", str(pending)),
            )
            if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                return
        self.logout_requested.emit()
