"""The admin observability dashboard: one self-contained widget, ready to be a tab.

Tabs: *Visão geral* (firing alerts, polled; error counts and average processing time per service
as charts), *Logs* (search with keyset paging) and *Correlação* (one correlation id across
services). All HTTP goes through :class:`~desktop.dashboard.tasks.BackgroundRunner` threads; the
UI thread never waits on the network.

Usage from the admin main window::

    dashboard = AdminDashboard(DashboardClient(base_url, token))
    tabs.addTab(dashboard, "Observabilidade")

Polling starts the first time the widget is shown (or with :meth:`AdminDashboard.start`) and stops
with :meth:`AdminDashboard.shutdown`, called when the widget is closed or the application quits.
Deleting the widget (with its window) is safe at any time: results still on their way are
dropped.
"""

from __future__ import annotations

from typing import Final

from desktop.dashboard.client import AlertEvent, DashboardClient
from desktop.dashboard.formatting import ServiceColors
from desktop.dashboard.panels import (
    AlertsPanel,
    ChartsPanel,
    CorrelationPanel,
    LogSearchPanel,
)
from desktop.dashboard.tasks import BackgroundRunner
from desktop.qt import Qt, QtCore, QtGui, QtWidgets, Signal

STYLE: Final = """
#adminDashboard QLabel#panelTitle { font-size: 13pt; font-weight: 600; color: #1b3d1f; }
#adminDashboard QLabel#muted { color: #5f6f60; }
#adminDashboard QLabel#errorBanner {
    background: #fdecea; color: #8e1c1c; border: 1px solid #f5c2c0; border-radius: 4px;
    padding: 6px 10px;
}
#adminDashboard QLabel#badgeOk {
    background: #e8f5e9; color: #1b5e20; border: 1px solid #a5d6a7; border-radius: 9px;
    padding: 1px 10px; font-weight: 600;
}
#adminDashboard QLabel#badgeAlert {
    background: #fdecea; color: #b71c1c; border: 1px solid #f5c2c0; border-radius: 9px;
    padding: 1px 10px; font-weight: 600;
}
#adminDashboard QLabel#badgeNeutral {
    background: #f0f4f0; color: #5f6f60; border: 1px solid #dfe6df; border-radius: 9px;
    padding: 1px 10px;
}
#adminDashboard QFrame#Card {
    background: #ffffff; border: 1px solid #dfe6df; border-radius: 8px;
}
#adminDashboard QFrame#Card QLabel { background: transparent; border: none; }
#adminDashboard QTableView {
    background: #ffffff; alternate-background-color: #f7faf7; gridline-color: #edf1ed;
    border: 1px solid #dfe6df; selection-background-color: #c8e6c9; selection-color: #102a13;
}
#adminDashboard QHeaderView::section {
    background: #f0f4f0; color: #37474f; border: none; border-bottom: 1px solid #d5ddd5;
    border-right: 1px solid #e3e9e3; padding: 4px 6px; font-weight: 600;
}
#adminDashboard QPushButton#Primary {
    background: #2e7d32; color: #ffffff; border: 1px solid #27692a; border-radius: 4px;
    padding: 4px 16px; font-weight: 600;
}
#adminDashboard QPushButton#Primary:hover { background: #388e3c; }
#adminDashboard QPushButton#Primary:disabled { background: #a5c9a7; border-color: #a5c9a7; }
#adminDashboard QToolButton#levelToggle {
    border: 1px solid #b9c6b9; border-radius: 4px; padding: 2px 8px; background: #ffffff;
}
#adminDashboard QToolButton#levelToggle:checked {
    background: #2e7d32; color: #ffffff; border-color: #27692a;
}
#adminDashboard QPlainTextEdit#payload { background: #f7faf7; border: 1px solid #dfe6df; }
"""

OVERVIEW_TAB: Final = 0
SEARCH_TAB: Final = 1
CORRELATION_TAB: Final = 2


class AdminDashboard(QtWidgets.QWidget):
    """Alerts, charts, log search and correlation for admins; see the module docstring."""

    firing_count_changed = Signal(int)  # for a badge on the hosting tab

    def __init__(
        self,
        client: DashboardClient,
        *,
        poll_interval_ms: int = 15_000,
        charts_interval_ms: int = 60_000,
        autostart: bool = True,
        owns_client: bool = False,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("adminDashboard")
        self.setStyleSheet(STYLE)
        self.client = client
        self.autostart = autostart
        self._owns_client = owns_client
        self._started = False
        self._shut_down = False
        self.colors = ServiceColors()
        self.runner = BackgroundRunner(self)

        self.alerts = AlertsPanel(client, self.runner, poll_interval_ms=poll_interval_ms)
        self.charts = ChartsPanel(
            client, self.runner, self.colors, refresh_interval_ms=charts_interval_ms
        )
        self.search = LogSearchPanel(client, self.runner, self.colors)
        self.correlation = CorrelationPanel(client, self.runner, self.colors)

        overview = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        overview.addWidget(self.alerts)
        overview.addWidget(self.charts)
        overview.setStretchFactor(0, 1)
        overview.setStretchFactor(1, 3)
        overview.setSizes([200, 600])
        overview.setChildrenCollapsible(False)
        overview_page = QtWidgets.QWidget()
        overview_layout = QtWidgets.QVBoxLayout(overview_page)
        overview_layout.addWidget(overview)

        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(overview_page, "Visão geral")
        self.tabs.addTab(self.search, "Logs")
        self.tabs.addTab(self.correlation, "Correlação")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)

        self.alerts.firing_count_changed.connect(self._firing_count_changed)
        self.alerts.alert_activated.connect(self.show_alert_logs)
        self.charts.services_seen.connect(self.search.add_services)
        self.search.follow_requested.connect(self.follow_correlation)
        app = QtCore.QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Load alerts and charts now and keep polling them."""
        if self._started or self._shut_down:
            return
        self._started = True
        self.alerts.timer.start()
        self.charts.timer.start()
        self.alerts.refresh()
        self.charts.refresh()

    def stop(self) -> None:
        """Stop polling (e.g. while the tab is hidden); :meth:`start` resumes."""
        self._started = False
        self.alerts.timer.stop()
        self.charts.timer.stop()

    def shutdown(self) -> None:
        """Stop polling and deliver nothing more (never waits for the network)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.stop()
        self.runner.shutdown()
        if self._owns_client:
            self.client.close()  # a call still on the network ends on its own (timeouts)

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if self.autostart:
            self.start()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    # -- navigation -----------------------------------------------------------------------------

    def follow_correlation(self, correlation_id: str) -> None:
        """Open the correlation tab on ``correlation_id``."""
        self.tabs.setCurrentIndex(CORRELATION_TAB)
        self.correlation.follow(correlation_id)

    def show_alert_logs(self, alert: AlertEvent) -> None:
        """Search the ERROR/CRITICAL lines of the alert's service (its key) of the last hour."""
        self.search.set_filters(levels=("ERROR", "CRITICAL"), service=alert.key, preset=0)
        self.tabs.setCurrentIndex(SEARCH_TAB)
        self.search.search()

    def _firing_count_changed(self, count: int) -> None:
        self.tabs.setTabText(OVERVIEW_TAB, f"Visão geral ({count})" if count else "Visão geral")
        self.firing_count_changed.emit(count)
