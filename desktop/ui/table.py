"""Table views over lists of records: a generic read-only model and a panel with an empty state.

A :class:`Column` says how to show one field of a record (text, alignment, sort key, tooltip);
:class:`RecordModel` shows a list of records with those columns; sorting uses the sort key, so
amounts and dates sort by value, not by their formatted text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from desktop.qt import Qt, QtCore, QtGui, QtWidgets

R = TypeVar("R")

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


@dataclass(frozen=True)
class Column(Generic[R]):
    title: str
    text: Callable[[R], str]
    align: Qt.AlignmentFlag = LEFT
    sort_key: Callable[[R], Any] | None = None
    tooltip: Callable[[R], str | None] | None = None
    color: Callable[[R], str | None] | None = None  # a foreground colour name
    width: int | None = None


def _sortable(value: Any) -> Any:
    """QVariant-friendly sort keys: numbers as floats (ordering only), the rest as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


class RecordModel(QtCore.QAbstractTableModel, Generic[R]):
    def __init__(
        self,
        columns: Sequence[Column[R]],
        parent: QtCore.QObject | None = None,
        *,
        italic: Callable[[R], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._rows: list[R] = []
        self._italic = italic

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    @property
    def rows(self) -> list[R]:
        return list(self._rows)

    def record(self, row: int) -> R:
        return self._rows[row]

    def rowCount(self, parent: Any = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return len(self._rows)

    def columnCount(self, parent: Any = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return len(self.columns)

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(record)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align)
        if role == SORT_ROLE:
            key = column.sort_key(record) if column.sort_key else column.text(record)
            return _sortable(key)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.tooltip(record)
        if role == Qt.ItemDataRole.ForegroundRole and column.color:
            name = column.color(record)
            return QtGui.QBrush(QtGui.QColor(name)) if name else None
        if role == Qt.ItemDataRole.FontRole and self._italic and self._italic(record):
            font = QtGui.QFont()
            font.setItalic(True)
            return font
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return int(self.columns[section].align)
        return None

    def texts(self) -> list[list[str]]:
        """Every cell as shown (tests, copy)."""
        return [[c.text(r) for c in self.columns] for r in self._rows]


class TablePanel(QtWidgets.QWidget, Generic[R]):
    """A titled table with a count line and an empty-state message."""

    def __init__(
        self,
        model: RecordModel[R],
        *,
        empty_text: str,
        parent: QtWidgets.QWidget | None = None,
        sortable: bool = True,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = QtCore.QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(SORT_ROLE)

        self.view = QtWidgets.QTableView(self)
        self.view.setModel(self.proxy)
        # Sortable by clicking a header; until then rows keep the query's order.
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(sortable)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(26)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        # Column widths come from the first rows only: sizing never walks a long list.
        header.setResizeContentsPrecision(40)
        for i, column in enumerate(model.columns):
            if column.width:
                header.resizeSection(i, column.width)

        self.empty = QtWidgets.QLabel(empty_text, self)
        self.empty.setObjectName("EmptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.footer = QtWidgets.QLabel(self)
        self.footer.setObjectName("Hint")

        self.stack = QtWidgets.QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.footer)
        self.footer.hide()
        self._sized = False
        self.model.modelReset.connect(self._on_reset)
        self._on_reset()

    def set_footer(self, text: str | None) -> None:
        self.footer.setText(text or "")
        self.footer.setVisible(bool(text))

    def selected(self) -> R | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.record(self.proxy.mapToSource(rows[0]).row())

    def _on_reset(self) -> None:
        has_rows = self.model.rowCount() > 0
        self.stack.setCurrentWidget(self.view if has_rows else self.empty)
        if self.isVisible():
            self._size_columns()

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        self._size_columns()  # a table in a hidden tab is sized when first shown

    def _size_columns(self) -> None:
        if self._sized or self.model.rowCount() == 0:
            return
        self._sized = True
        self.view.resizeColumnsToContents()
        header = self.view.horizontalHeader()
        for i in range(self.model.columnCount() - 1):  # the last one stretches
            header.resizeSection(i, min(max(header.sectionSize(i) + 8, 70), 360))
