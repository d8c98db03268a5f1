"""The main window's status bar: connection, last successful sync, pending intents, progress."""

from __future__ import annotations

from desktop.formatting import format_bytes, format_datetime, format_int
from desktop.qt import QtCore, QtWidgets, Signal
from desktop.resources import icon
from desktop.sync import SyncProgress, SyncState
from desktop.sync_worker import ReplicaStatus


def error_kind(detail: str | None) -> str:
    """Sort the engine's error detail: ``auth``, ``upgrade`` or ``other``."""
    text = (detail or "").lower()
    if text.startswith("authentication"):
        return "auth"
    if text.startswith("upgrade required"):
        return "upgrade"
    return "other"


class SyncStatusBar(QtWidgets.QStatusBar):
    pending_clicked = Signal()
    relogin_requested = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.connection_icon = QtWidgets.QLabel(self)
        self.connection = QtWidgets.QLabel(self)
        self.last_sync = QtWidgets.QLabel(self)
        self.pending = QtWidgets.QToolButton(self)
        self.pending.setAutoRaise(True)
        self.pending.setIcon(icon("pending"))
        self.pending.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.pending.setToolTip(self.tr("Show pending and rejected actions"))
        self.pending.clicked.connect(self.pending_clicked)
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.setRange(0, 0)  # busy: the size of a sync is not known in advance
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(120)
        self.progress_label = QtWidgets.QLabel(self)
        self.relogin = QtWidgets.QPushButton(self.tr("Sign in again"), self)
        self.relogin.clicked.connect(self.relogin_requested)

        self.addWidget(self.connection_icon)
        self.addWidget(self.connection)
        self.addWidget(self._separator())
        self.addWidget(self.last_sync)
        self.addWidget(self._separator())
        self.addWidget(self.pending)
        self.addPermanentWidget(self.relogin)
        self.addPermanentWidget(self.progress_label)
        self.addPermanentWidget(self.progress)
        self.relogin.hide()
        self._set_syncing(False)

        self.state: SyncState = SyncState.OFFLINE
        self.detail: str | None = None
        self._show_connection(SyncState.OFFLINE, None)
        self.pending.setText(self.tr("Pending: %1").replace("%1", "0"))
        # The last sync stays blank until the replica is open (then it is known).

    def _separator(self) -> QtWidgets.QFrame:
        line = QtWidgets.QFrame(self)
        line.setFrameShape(QtWidgets.QFrame.Shape.VLine)
        line.setFrameShadow(QtWidgets.QFrame.Shadow.Sunken)
        return line

    # -- engine state ---------------------------------------------------------------------------

    def set_state(self, state: SyncState, detail: str | None) -> None:
        self.state, self.detail = state, detail
        if state is SyncState.SYNCING:
            self._set_syncing(True)
            self.progress_label.setText(self.tr("Syncing…"))
            return
        self._set_syncing(False)
        self._show_connection(state, detail)

    def _show_connection(self, state: SyncState, detail: str | None) -> None:
        self.relogin.hide()
        if state is SyncState.ONLINE:
            text, name, image = self.tr("Online"), "ConnectionOnline", "online"
            tip = self.tr("Connected to the server")
        elif state is SyncState.OFFLINE:
            text, name, image = self.tr("Offline"), "ConnectionOffline", "offline"
            tip = self.tr(
                "No connection to the server. Your data stays available and your actions are "
                "queued; they will be sent when the connection returns."
            )
        else:
            kind = error_kind(detail)
            name, image = "ConnectionError", "error"
            if kind == "auth":
                text = self.tr("Session expired")
                tip = self.tr("Sign in again to resume syncing. Your data stays available.")
                self.relogin.show()
            elif kind == "upgrade":
                text = self.tr("Update required")
                tip = self.tr("The server no longer accepts this version of the app. Update it.")
            else:
                text = self.tr("Sync error")
                tip = detail or ""
        self.connection.setText(text)
        self.connection.setObjectName(name)
        self.connection.setToolTip(tip)
        self.connection_icon.setPixmap(icon(image).pixmap(14, 14))
        self.connection.style().unpolish(self.connection)
        self.connection.style().polish(self.connection)

    def set_session_missing(self) -> None:
        """No token for this account on this computer: offline reading only until a login."""
        # Recorded as the state too, so a later refresh (the replica opening) keeps it.
        self.state, self.detail = SyncState.ERROR, "authentication: no session"
        self._show_connection(self.state, self.detail)

    def _set_syncing(self, syncing: bool) -> None:
        self.progress.setVisible(syncing)
        self.progress_label.setVisible(syncing)

    @property
    def syncing(self) -> bool:
        return self.progress.isVisibleTo(self)

    def set_progress(self, progress: SyncProgress) -> None:
        if progress.phase == "push":
            text = self.tr("Sending actions: %1 sent").replace(
                "%1", format_int(progress.intents_sent)
            )
        else:
            text = (
                self.tr("Receiving: %1 rows · %2")
                .replace("%1", format_int(progress.rows_applied))
                .replace("%2", format_bytes(progress.bytes_received))
            )
        self.progress_label.setText(text)

    # -- replica --------------------------------------------------------------------------------

    def set_status(self, status: ReplicaStatus) -> None:
        if status.last_sync_at is None:
            self.last_sync.setText(self.tr("Never synced"))
        else:
            self.last_sync.setText(
                self.tr("Last sync: %1").replace("%1", format_datetime(status.last_sync_at))
            )
        if status.rejected:
            self.pending.setText(
                self.tr("Pending: %1 · Rejected: %2")
                .replace("%1", format_int(status.pending))
                .replace("%2", format_int(status.rejected))
            )
            self.pending.setIcon(icon("rejected"))
        else:
            self.pending.setText(self.tr("Pending: %1").replace("%1", format_int(status.pending)))
            self.pending.setIcon(icon("pending"))
