"""The dashboard's panels: firing alerts, charts, log search with keyset paging, correlation.

Each panel sends its HTTP calls through the shared
:class:`~desktop.dashboard.tasks.BackgroundRunner` (never on the UI thread) with one new
correlation id per user action, kept in ``last_action_id``, and shows failures in Portuguese in
its own banner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from desktop.dashboard.charts import ChartKind, TimeChart, values_by_service
from desktop.dashboard.client import (
    LEVELS,
    AlertEvent,
    BucketPoint,
    CorrelationTrail,
    DashboardClient,
    LogLine,
    LogPage,
    LogQuery,
    new_action_id,
)
from desktop.dashboard.formatting import (
    ServiceColors,
    format_clock,
    format_duration_ms,
    format_payload,
)
from desktop.dashboard.models import AlertsModel, LogLinesModel, RowsModel, TrailModel
from desktop.dashboard.tasks import BackgroundRunner
from desktop.dashboard.timeline import CorrelationTimeline
from desktop.qt import Qt, QtCore, QtGui, QtWidgets, Signal

PAGE_SIZE: Final = 50


# -- shared pieces ----------------------------------------------------------------------------


class ErrorBanner(QtWidgets.QLabel):
    """A red banner with a Portuguese message; hidden while there is nothing wrong."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_error(self, message: str) -> None:
        self.setText(message)
        self.show()

    def clear_error(self) -> None:
        self.clear()
        self.hide()


def _title(text: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setObjectName("panelTitle")
    return label


def _muted(text: str = "") -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setObjectName("muted")
    return label


def _table(model: RowsModel[LogLine] | RowsModel[AlertEvent]) -> QtWidgets.QTableView:
    view = QtWidgets.QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(24)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
    header.setHighlightSections(False)
    return view


def _payload_view() -> QtWidgets.QPlainTextEdit:
    view = QtWidgets.QPlainTextEdit()
    view.setReadOnly(True)
    view.setObjectName("payload")
    font = QtGui.QFont("Monospace")
    font.setStyleHint(QtGui.QFont.StyleHint.TypeWriter)
    view.setFont(font)
    view.setPlaceholderText("Selecione uma linha para ver o payload.")
    return view


def _line_details(line: LogLine) -> str:
    head = [
        f"mensagem: {line.message}",
        f"nível: {line.level}   serviço: {line.service}",
        f"correlação: {line.correlation_id or '—'}   usuário: {line.user_id or '—'}",
        "",
    ]
    return "\n".join(head) + format_payload(line.payload)


# -- alerts -----------------------------------------------------------------------------------


class AlertsPanel(QtWidgets.QWidget):
    """Live list of firing alerts, polled on a timer."""

    firing_count_changed = Signal(int)
    alert_activated = Signal(object)  # AlertEvent (double-click)

    def __init__(
        self,
        client: DashboardClient,
        runner: BackgroundRunner,
        *,
        poll_interval_ms: int = 15_000,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.runner = runner
        self.last_action_id: str | None = None
        self.last_updated: dt.datetime | None = None
        self._count: int | None = None

        self.badge = QtWidgets.QLabel("Carregando alertas…")
        self.badge.setObjectName("badgeNeutral")
        self.updated = _muted()
        self.refresh_button = QtWidgets.QPushButton("Atualizar")
        self.refresh_button.setToolTip("Buscar os alertas disparados agora")
        self.refresh_button.clicked.connect(self.refresh)
        self.banner = ErrorBanner()
        self.model = AlertsModel()
        self.table = _table(self.model)
        self.table.setMinimumHeight(110)
        self.table.doubleClicked.connect(self._activated)
        self.table.setToolTip("Clique duas vezes para ver os logs de erro do serviço")

        top = QtWidgets.QHBoxLayout()
        top.addWidget(_title("Alertas disparados"))
        top.addWidget(self.badge)
        top.addStretch(1)
        top.addWidget(self.updated)
        top.addWidget(self.refresh_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.table)

        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(poll_interval_ms)
        self.timer.timeout.connect(self.refresh)

    def alerts(self) -> list[AlertEvent]:
        return self.model.rows()

    def refresh(self) -> None:
        if self.runner.is_busy("alerts"):
            return  # the previous poll is still on its way
        cid = self.last_action_id = new_action_id()
        self.runner.submit(
            "alerts",
            lambda: self.client.firing_alerts(correlation_id=cid),
            self._loaded,
            self._failed,
        )

    def _loaded(self, alerts: list[AlertEvent]) -> None:
        self.banner.clear_error()
        self.model.set_rows(alerts)
        self.table.resizeColumnsToContents()
        self.last_updated = dt.datetime.now(dt.UTC)
        self.updated.setText(f"Atualizado às {format_clock(self.last_updated)}")
        count = len(alerts)
        if count:
            self.badge.setObjectName("badgeAlert")
            self.badge.setText(
                "1 alerta disparado" if count == 1 else f"{count} alertas disparados"
            )
        else:
            self.badge.setObjectName("badgeOk")
            self.badge.setText("Nenhum alerta disparado")
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)
        if count != self._count:
            self._count = count
            self.firing_count_changed.emit(count)

    def _failed(self, message: str) -> None:
        stale = " (mostrando a última lista obtida)" if self.last_updated else ""
        self.banner.show_error(f"Não foi possível atualizar os alertas: {message}{stale}")

    def _activated(self, index: QtCore.QModelIndex) -> None:
        alert = self.model.row_at(index.row())
        if alert is not None:
            self.alert_activated.emit(alert)


# -- charts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPeriod:
    label: str
    seconds: int
    bucket_s: int
    bucket_label: str


CHART_PERIODS: Final = (
    ChartPeriod("Última hora", 3600, 60, "por minuto"),
    ChartPeriod("Últimas 6 horas", 6 * 3600, 300, "a cada 5 minutos"),
    ChartPeriod("Últimas 24 horas", 86_400, 900, "a cada 15 minutos"),
    ChartPeriod("Últimos 7 dias", 7 * 86_400, 3 * 3600, "a cada 3 horas"),
)


@dataclass(frozen=True)
class ChartData:
    start: dt.datetime
    end: dt.datetime
    period: ChartPeriod
    errors: list[BucketPoint]
    timings: list[BucketPoint]


class ChartsPanel(QtWidgets.QWidget):
    """ERROR/CRITICAL lines per service over time (stacked bars) and average processing time
    per service (lines)."""

    services_seen = Signal(list)  # list[str]

    def __init__(
        self,
        client: DashboardClient,
        runner: BackgroundRunner,
        colors: ServiceColors,
        *,
        refresh_interval_ms: int = 60_000,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.runner = runner
        self.last_action_id: str | None = None
        self.data: ChartData | None = None

        self.period = QtWidgets.QComboBox()
        for period in CHART_PERIODS:
            self.period.addItem(period.label)
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        self.refresh_button = QtWidgets.QPushButton("Atualizar")
        self.refresh_button.clicked.connect(self.refresh)
        self.status = _muted()
        self.banner = ErrorBanner()
        self.errors_chart = TimeChart(
            "Erros por serviço", kind=ChartKind.BARS, unit="linhas", integer=True, colors=colors
        )
        self.timing_chart = TimeChart(
            "Tempo médio de processamento", kind=ChartKind.LINES, unit="ms", colors=colors
        )

        top = QtWidgets.QHBoxLayout()
        top.addWidget(_title("Gráficos"))
        top.addStretch(1)
        top.addWidget(self.status)
        top.addWidget(QtWidgets.QLabel("Período:"))
        top.addWidget(self.period)
        top.addWidget(self.refresh_button)
        charts = QtWidgets.QHBoxLayout()
        charts.setSpacing(12)
        charts.addWidget(self.errors_chart)
        charts.addWidget(self.timing_chart)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addLayout(charts, 1)

        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(refresh_interval_ms)
        self.timer.timeout.connect(self.refresh)

    def current_period(self) -> ChartPeriod:
        return CHART_PERIODS[max(0, self.period.currentIndex())]

    def refresh(self) -> None:
        period = self.current_period()
        end = dt.datetime.now(dt.UTC)
        start = end - dt.timedelta(seconds=period.seconds)
        cid = self.last_action_id = new_action_id()
        client = self.client

        def load() -> ChartData:
            errors = client.error_counts(
                start=start, end=end, bucket_s=period.bucket_s, correlation_id=cid
            )
            timings = client.processing_times(
                start=start, end=end, bucket_s=period.bucket_s, correlation_id=cid
            )
            return ChartData(start, end, period, errors, timings)

        self.status.setText("Atualizando…")
        self.runner.submit("charts", load, self._loaded, self._failed)

    def _loaded(self, data: ChartData) -> None:
        self.data = data
        self.banner.clear_error()
        self.errors_chart.set_data(
            start=data.start,
            end=data.end,
            bucket_s=data.period.bucket_s,
            values=values_by_service([(p.bucket, p.service, float(p.count)) for p in data.errors]),
            subtitle=f"ERROR e CRITICAL, {data.period.bucket_label}",
        )
        self.timing_chart.set_data(
            start=data.start,
            end=data.end,
            bucket_s=data.period.bucket_s,
            values=values_by_service(
                [(p.bucket, p.service, float(p.average_ms or 0)) for p in data.timings]
            ),
            subtitle=f"média, {data.period.bucket_label}",
        )
        self.status.setText(f"Atualizado às {format_clock(data.end)}")
        services = sorted({p.service for p in data.errors} | {p.service for p in data.timings})
        if services:
            self.services_seen.emit(services)

    def _failed(self, message: str) -> None:
        self.status.setText("")
        self.banner.show_error(f"Não foi possível carregar os gráficos: {message}")
        if self.data is None:
            self.errors_chart.set_message("Sem dados")
            self.timing_chart.set_message("Sem dados")


# -- log search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchPreset:
    label: str
    seconds: int | None  # None: the dates typed by the admin


SEARCH_PRESETS: Final = (
    SearchPreset("Última hora", 3600),
    SearchPreset("Últimas 6 horas", 6 * 3600),
    SearchPreset("Últimas 24 horas", 86_400),
    SearchPreset("Últimos 7 dias", 7 * 86_400),
    SearchPreset("Personalizado", None),
)
CUSTOM_PRESET: Final = len(SEARCH_PRESETS) - 1


def _qdatetime(moment: dt.datetime) -> QtCore.QDateTime:
    return QtCore.QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def _from_qdatetime(value: QtCore.QDateTime) -> dt.datetime:
    return dt.datetime.fromtimestamp(value.toSecsSinceEpoch(), dt.UTC)


class LogSearchPanel(QtWidgets.QWidget):
    """Search stored log lines (period, levels, service, correlation id, user id, text), newest
    first, one page at a time with the server's keyset cursor."""

    follow_requested = Signal(str)  # a correlation id to follow

    def __init__(
        self,
        client: DashboardClient,
        runner: BackgroundRunner,
        colors: ServiceColors,
        *,
        page_size: int = PAGE_SIZE,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.runner = runner
        self.page_size = page_size
        self.last_action_id: str | None = None
        self.query: LogQuery | None = None
        self.page_index = 0
        self.next_cursor: str | None = None
        self._cursors: list[str | None] = []
        self._busy = False

        # form
        self.preset = QtWidgets.QComboBox()
        for preset in SEARCH_PRESETS:
            self.preset.addItem(preset.label)
        self.start_edit = QtWidgets.QDateTimeEdit()
        self.end_edit = QtWidgets.QDateTimeEdit()
        for edit in (self.start_edit, self.end_edit):
            edit.setDisplayFormat("dd/MM/yyyy HH:mm")
            edit.setCalendarPopup(True)
            edit.dateTimeChanged.connect(self._dates_edited)
        self._apply_preset()
        self.preset.currentIndexChanged.connect(lambda _i: self._apply_preset())
        self.level_buttons: dict[str, QtWidgets.QToolButton] = {}
        levels = QtWidgets.QHBoxLayout()
        levels.setSpacing(4)
        for level in LEVELS:
            button = QtWidgets.QToolButton()
            button.setText(level)
            button.setCheckable(True)
            button.setObjectName("levelToggle")
            button.setToolTip("Nenhum nível marcado: todos os níveis")
            self.level_buttons[level] = button
            levels.addWidget(button)
        levels.addStretch(1)
        self.service = QtWidgets.QComboBox()
        self.service.setEditable(True)
        self.service.addItem("")
        self.service.setMinimumContentsLength(18)
        line_edit = self.service.lineEdit()
        if line_edit is not None:
            line_edit.setPlaceholderText("todos os serviços")
        self.correlation = QtWidgets.QLineEdit()
        self.correlation.setPlaceholderText("ID de correlação")
        self.user = QtWidgets.QLineEdit()
        self.user.setPlaceholderText("ID do usuário")
        self.text = QtWidgets.QLineEdit()
        self.text.setPlaceholderText("texto na mensagem")
        for field in (self.correlation, self.user, self.text):
            field.setClearButtonEnabled(True)
            field.returnPressed.connect(self.search)
        self.search_button = QtWidgets.QPushButton("Buscar")
        self.search_button.setDefault(True)
        self.search_button.setObjectName("Primary")
        self.search_button.clicked.connect(self.search)
        self.clear_button = QtWidgets.QPushButton("Limpar filtros")
        self.clear_button.clicked.connect(self.clear_filters)

        form = QtWidgets.QGridLayout()
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(6)
        form.addWidget(QtWidgets.QLabel("Período"), 0, 0)
        period = QtWidgets.QHBoxLayout()
        period.setSpacing(6)
        period.addWidget(self.preset)
        period.addWidget(QtWidgets.QLabel("de"))
        period.addWidget(self.start_edit)
        period.addWidget(QtWidgets.QLabel("até"))
        period.addWidget(self.end_edit)
        period.addStretch(1)
        form.addLayout(period, 0, 1, 1, 3)
        form.addWidget(QtWidgets.QLabel("Nível"), 1, 0)
        form.addLayout(levels, 1, 1)
        form.addWidget(QtWidgets.QLabel("Serviço"), 1, 2)
        form.addWidget(self.service, 1, 3)
        form.addWidget(QtWidgets.QLabel("Correlação"), 2, 0)
        form.addWidget(self.correlation, 2, 1)
        form.addWidget(QtWidgets.QLabel("Usuário"), 2, 2)
        form.addWidget(self.user, 2, 3)
        form.addWidget(QtWidgets.QLabel("Texto"), 3, 0)
        form.addWidget(self.text, 3, 1)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.search_button)
        form.addLayout(buttons, 3, 2, 1, 2)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        form_frame = QtWidgets.QFrame()
        form_frame.setObjectName("Card")
        form_frame.setLayout(form)

        # results
        self.banner = ErrorBanner()
        self.model = LogLinesModel(colors)
        self.table = _table(self.model)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.setToolTip("Clique duas vezes para seguir a correlação da linha")
        self.details = _payload_view()
        self.follow_button = QtWidgets.QPushButton("Seguir esta correlação")
        self.follow_button.setEnabled(False)
        self.follow_button.clicked.connect(self._follow_selected)
        details = QtWidgets.QWidget()
        details_layout = QtWidgets.QVBoxLayout(details)
        details_layout.setContentsMargins(0, 0, 0, 0)
        details_top = QtWidgets.QHBoxLayout()
        details_top.addWidget(_muted("Detalhes da linha"))
        details_top.addStretch(1)
        details_top.addWidget(self.follow_button)
        details_layout.addLayout(details_top)
        details_layout.addWidget(self.details)
        splitter = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        self.page_label = _muted("Preencha os filtros e clique em Buscar.")
        self.previous_button = QtWidgets.QPushButton("◀ Página anterior")
        self.next_button = QtWidgets.QPushButton("Próxima página ▶")
        self.previous_button.clicked.connect(self.previous_page)
        self.next_button.clicked.connect(self.next_page)
        paging = QtWidgets.QHBoxLayout()
        paging.addWidget(self.page_label)
        paging.addStretch(1)
        paging.addWidget(self.previous_button)
        paging.addWidget(self.next_button)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(form_frame)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        layout.addLayout(paging)
        self._update_paging()

    # -- form -----------------------------------------------------------------------------------

    def _apply_preset(self) -> None:
        preset = SEARCH_PRESETS[self.preset.currentIndex()]
        if preset.seconds is None:
            return
        end = dt.datetime.now(dt.UTC)
        self._set_dates(end - dt.timedelta(seconds=preset.seconds), end)

    def _set_dates(self, start: dt.datetime, end: dt.datetime) -> None:
        for edit, value in ((self.start_edit, start), (self.end_edit, end)):
            edit.blockSignals(True)
            edit.setDateTime(_qdatetime(value))
            edit.blockSignals(False)

    def _dates_edited(self) -> None:
        if self.preset.currentIndex() != CUSTOM_PRESET:
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(CUSTOM_PRESET)
            self.preset.blockSignals(False)

    def set_period(self, start: dt.datetime, end: dt.datetime) -> None:
        """An absolute period (the preset becomes "Personalizado")."""
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(CUSTOM_PRESET)
        self.preset.blockSignals(False)
        self._set_dates(start, end)

    def set_filters(
        self,
        *,
        levels: Sequence[str] = (),
        service: str = "",
        correlation_id: str = "",
        user_id: str = "",
        text: str = "",
        preset: int | None = None,
    ) -> None:
        for level, button in self.level_buttons.items():
            button.setChecked(level in levels)
        self.service.setCurrentText(service)
        self.correlation.setText(correlation_id)
        self.user.setText(user_id)
        self.text.setText(text)
        if preset is not None:
            self.preset.setCurrentIndex(preset)

    def clear_filters(self) -> None:
        self.set_filters(preset=0)

    def add_services(self, services: Sequence[str]) -> None:
        known = {self.service.itemText(i) for i in range(self.service.count())}
        current = self.service.currentText()
        for name in services:
            if name not in known:
                self.service.addItem(name)
        self.service.setCurrentText(current)

    def build_query(self) -> LogQuery:
        """The form as a query; a preset period ends now. Raises ValueError (Portuguese)."""
        preset = SEARCH_PRESETS[self.preset.currentIndex()]
        if preset.seconds is not None:
            self._apply_preset()
        start = _from_qdatetime(self.start_edit.dateTime())
        end = _from_qdatetime(self.end_edit.dateTime())
        if preset.seconds is None:  # typed dates: whole minutes, the last one included
            start = start.replace(second=0)
            end = end.replace(second=0) + dt.timedelta(minutes=1)
        if end <= start:
            raise ValueError("O fim do período deve ser posterior ao início.")
        return LogQuery(
            start=start,
            end=end,
            levels=tuple(lvl for lvl, b in self.level_buttons.items() if b.isChecked()),
            service=self.service.currentText().strip() or None,
            correlation_id=self.correlation.text().strip() or None,
            user_id=self.user.text().strip() or None,
            text=self.text.text().strip() or None,
            limit=self.page_size,
        )

    # -- paging ---------------------------------------------------------------------------------

    def results(self) -> list[LogLine]:
        return self.model.rows()

    def search(self) -> None:
        """A new search from the form (page 1)."""
        try:
            query = self.build_query()
        except ValueError as exc:
            self.banner.show_error(str(exc))
            return
        self.query = query
        self._cursors = []
        self._fetch(0, None)

    def next_page(self) -> None:
        if self.query is not None and self.next_cursor and not self._busy:
            self._fetch(self.page_index + 1, self.next_cursor)

    def previous_page(self) -> None:
        if self.query is not None and self.page_index > 0 and not self._busy:
            self._fetch(self.page_index - 1, self._cursors[self.page_index - 1])

    def _fetch(self, page: int, cursor: str | None) -> None:
        query = self.query
        assert query is not None
        cid = self.last_action_id = new_action_id()
        self._busy = True
        self._update_paging()
        self.page_label.setText("Buscando…")
        self.runner.submit(
            "search",
            lambda: self.client.search_logs(query, cursor=cursor, correlation_id=cid),
            lambda result: self._loaded(page, cursor, result),
            self._failed,
        )

    def _loaded(self, page: int, cursor: str | None, result: LogPage) -> None:
        self._busy = False
        self.banner.clear_error()
        del self._cursors[page:]
        self._cursors.append(cursor)
        self.page_index = page
        self.next_cursor = result.next_cursor
        self.model.set_rows(result.items)
        self.details.clear()
        self.follow_button.setEnabled(False)
        self.table.resizeColumnsToContents()
        self.table.scrollToTop()
        self._update_paging()

    def _failed(self, message: str) -> None:
        self._busy = False
        self.banner.show_error(f"A busca falhou: {message}")
        self._update_paging()

    def _update_paging(self) -> None:
        self.previous_button.setEnabled(not self._busy and self.page_index > 0)
        self.next_button.setEnabled(not self._busy and bool(self.next_cursor))
        self.search_button.setEnabled(not self._busy)
        if self.query is None or self._busy:
            return
        count = self.model.rowCount()
        if count == 0 and self.page_index == 0:
            self.page_label.setText("Nenhuma linha encontrada com estes filtros.")
            return
        first = self.page_index * self.page_size + 1
        more = " · há mais linhas" if self.next_cursor else " · fim dos resultados"
        self.page_label.setText(
            f"Página {self.page_index + 1} · linhas {first}–{first + count - 1}{more}"
        )

    # -- selection ------------------------------------------------------------------------------

    def _selected_line(self) -> LogLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _selection_changed(
        self, _selected: QtCore.QItemSelection, _deselected: QtCore.QItemSelection
    ) -> None:
        line = self._selected_line()
        self.details.setPlainText(_line_details(line) if line else "")
        self.follow_button.setEnabled(bool(line and line.correlation_id))

    def _follow_selected(self) -> None:
        line = self._selected_line()
        if line and line.correlation_id:
            self.follow_requested.emit(line.correlation_id)

    def _double_clicked(self, index: QtCore.QModelIndex) -> None:
        line = self.model.row_at(index.row())
        if line and line.correlation_id:
            self.follow_requested.emit(line.correlation_id)


# -- correlation ------------------------------------------------------------------------------


class CorrelationPanel(QtWidgets.QWidget):
    """Every line of one correlation id across services: swim lanes and a table."""

    def __init__(
        self,
        client: DashboardClient,
        runner: BackgroundRunner,
        colors: ServiceColors,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.runner = runner
        self.last_action_id: str | None = None
        self.trail: CorrelationTrail | None = None

        self.input = QtWidgets.QLineEdit()
        self.input.setPlaceholderText("ID de correlação (ex.: 3f2c9a1e-…)")
        self.input.setClearButtonEnabled(True)
        self.input.returnPressed.connect(self._follow_input)
        self.follow_button = QtWidgets.QPushButton("Seguir")
        self.follow_button.setObjectName("Primary")
        self.follow_button.clicked.connect(self._follow_input)
        self.summary = _muted("Cole um ID de correlação ou escolha uma linha na busca de logs.")
        self.summary.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred
        )
        self.banner = ErrorBanner()
        self.timeline = CorrelationTimeline(colors)
        self.timeline.line_clicked.connect(self._select_row)
        self.model = TrailModel(colors)
        self.table = _table(self.model)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.details = _payload_view()
        splitter = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)

        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Correlação"))
        top.addWidget(self.input, 1)
        top.addWidget(self.follow_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.banner)
        layout.addWidget(self.timeline)
        layout.addWidget(splitter, 1)

    def lines(self) -> list[LogLine]:
        return self.model.rows()

    def _follow_input(self) -> None:
        self.follow()

    def follow(self, correlation_id: str | None = None) -> None:
        if correlation_id is not None:
            self.input.setText(correlation_id)
        target = self.input.text().strip()
        if not target:
            self.banner.show_error("Informe o ID de correlação a seguir.")
            return
        cid = self.last_action_id = new_action_id()
        self.summary.setText(f"Buscando as linhas de {target}…")
        self.follow_button.setEnabled(False)
        self.runner.submit(
            "correlation",
            lambda: self.client.follow(target, correlation_id=cid),
            self._loaded,
            self._failed,
        )

    def _loaded(self, trail: CorrelationTrail) -> None:
        self.trail = trail
        self.follow_button.setEnabled(True)
        self.banner.clear_error()
        lines = list(trail.lines)
        self.model.set_rows(lines)
        self.timeline.set_lines(lines)
        self.details.clear()
        self.table.resizeColumnsToContents()
        if not lines:
            self.summary.setText(f"Nenhuma linha com a correlação {trail.correlation_id}.")
            return
        span = (lines[-1].timestamp - lines[0].timestamp).total_seconds() * 1000
        services = ", ".join(self.timeline.lanes())
        text = (
            f"{len(lines)} linha{'s' if len(lines) != 1 else ''} em "
            f"{len(trail.services)} serviço{'s' if len(trail.services) != 1 else ''} "
            f"({services}) · duração {format_duration_ms(span)}"
        )
        if trail.truncated:
            text += " · mostrando só as primeiras linhas (há mais)"
        self.summary.setText(text)

    def _failed(self, message: str) -> None:
        self.follow_button.setEnabled(True)
        self.summary.setText("")
        self.banner.show_error(f"Não foi possível seguir a correlação: {message}")

    def _select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def _selection_changed(
        self, _selected: QtCore.QItemSelection, _deselected: QtCore.QItemSelection
    ) -> None:
        rows = self.table.selectionModel().selectedRows()
        line = self.model.row_at(rows[0].row()) if rows else None
        self.details.setPlainText(_line_details(line) if line else "")
        self.timeline.set_selected(rows[0].row() if rows else None)
