"""Qt item models of the dashboard's tables: log lines and firing alerts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from desktop.dashboard.client import AlertEvent, LogLine
from desktop.dashboard.formatting import (
    ServiceColors,
    format_ago,
    format_duration_ms,
    format_number,
    format_time,
    level_color,
)
from desktop.qt import Qt, QtCore, QtGui

R = TypeVar("R")
AnyIndex = QtCore.QModelIndex | QtCore.QPersistentModelIndex


@dataclass(frozen=True)
class Column(Generic[R]):
    title: str
    text: Callable[[R], str]
    tooltip: Callable[[R], str] | None = None
    align_right: bool = False


class RowsModel(QtCore.QAbstractTableModel, Generic[R]):
    """A read-only table over a list of rows, described by :class:`Column`s."""

    def __init__(self, columns: Sequence[Column[R]]) -> None:
        super().__init__()
        self._columns = list(columns)
        self._rows: list[R] = []

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_at(self, row: int) -> R | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: AnyIndex = QtCore.QModelIndex()) -> int:  # noqa: B008 - Qt's default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QtCore.QModelIndex()) -> int:  # noqa: B008 - Qt's default
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].title
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row())
        if row is None or not 0 <= index.column() < len(self._columns):
            return None
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row) if column.tooltip else column.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return self.extra_data(row, index.column(), role)

    def extra_data(self, row: R, column: int, role: int) -> Any:
        return None


def _short(text: str | None, size: int = 13) -> str:
    if not text:
        return "—"
    return text if len(text) <= size else text[: size - 1] + "…"


def _message(line: LogLine) -> str:
    return line.message.replace("\n", " ⏎ ")


class LogLinesModel(RowsModel[LogLine]):
    """Search results: time, level, service, correlation id, user, message."""

    LEVEL_COLUMN = 1
    SERVICE_COLUMN = 2

    def __init__(self, colors: ServiceColors) -> None:
        super().__init__(
            [
                Column("Horário", lambda r: format_time(r.timestamp, millis=True)),
                Column("Nível", lambda r: r.level),
                Column("Serviço", lambda r: r.service),
                Column(
                    "Correlação",
                    lambda r: _short(r.correlation_id),
                    lambda r: r.correlation_id or "",
                ),
                Column("Usuário", lambda r: _short(r.user_id), lambda r: r.user_id or ""),
                Column("Mensagem", _message),
            ]
        )
        self.colors = colors

    def extra_data(self, row: LogLine, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.LEVEL_COLUMN:
                return QtGui.QBrush(level_color(row.level))
            if column == self.SERVICE_COLUMN:
                return QtGui.QBrush(self.colors.color(row.service))
        if role == Qt.ItemDataRole.FontRole and column == self.LEVEL_COLUMN:
            font = QtGui.QFont()
            font.setBold(row.level.upper() in ("WARN", "ERROR", "CRITICAL"))
            return font
        return None


class TrailModel(RowsModel[LogLine]):
    """The lines of one correlation id: offset from the first line, service, level, message."""

    def __init__(self, colors: ServiceColors) -> None:
        super().__init__(
            [
                Column("Δ", self._offset, align_right=True),
                Column("Horário", lambda r: format_time(r.timestamp, millis=True)),
                Column("Serviço", lambda r: r.service),
                Column("Nível", lambda r: r.level),
                Column("Usuário", lambda r: _short(r.user_id), lambda r: r.user_id or ""),
                Column("Mensagem", _message),
            ]
        )
        self.colors = colors

    def _offset(self, line: LogLine) -> str:
        rows = self.rows()
        if not rows:
            return ""
        ms = (line.timestamp - rows[0].timestamp).total_seconds() * 1000
        return "+" + format_duration_ms(ms)

    def extra_data(self, row: LogLine, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 2:
                return QtGui.QBrush(self.colors.color(row.service))
            if column == 3:
                return QtGui.QBrush(level_color(row.level))
        return None


def _value(alert: AlertEvent) -> str:
    return format_number(alert.value, 0 if alert.value == alert.value.to_integral() else 2)


class AlertsModel(RowsModel[AlertEvent]):
    """Firing alerts: rule, key (usually the service), value vs threshold, since when."""

    def __init__(self) -> None:
        super().__init__(
            [
                Column("Regra", lambda a: a.rule),
                Column("Serviço / chave", lambda a: a.key or "—"),
                Column("Valor", _value, align_right=True),
                Column(
                    "Limiar",
                    lambda a: format_number(
                        a.threshold, 0 if a.threshold == a.threshold.to_integral() else 2
                    ),
                    align_right=True,
                ),
                Column(
                    "Disparado",
                    lambda a: f"{format_time(a.fired_at)} ({format_ago(a.fired_at)})",
                ),
                Column("Mensagem", lambda a: a.message),
            ]
        )

    def extra_data(self, row: AlertEvent, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return QtGui.QBrush(level_color("ERROR"))
        if role == Qt.ItemDataRole.FontRole and column in (0, 2):
            font = QtGui.QFont()
            font.setBold(True)
            return font
        return None
