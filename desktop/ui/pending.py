"""The "pending and rejected" panel: intents waiting to be sent and refusals with their reasons.

A rejected producer registration can be opened, fixed and sent again (a NEW intent; the rejected
one stays in the list, marked with the number of its correction).
"""

from __future__ import annotations

from desktop import labels
from desktop.formatting import format_datetime
from desktop.qt import QtWidgets, Signal
from desktop.replica_queries import OutboxItem
from desktop.resources import icon
from desktop.ui.table import RIGHT, Column, RecordModel, TablePanel
from shared_models.cpf import InvalidCpfError, mask_cpf


def _masked(cpf: str | None) -> str:
    if not cpf:
        return ""
    try:
        return mask_cpf(cpf)
    except InvalidCpfError:
        return ""


class PendingPanel(QtWidgets.QWidget):
    fix_requested = Signal(object)  # OutboxItem

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        columns: list[Column[OutboxItem]] = [
            Column(self.tr("No."), lambda i: str(i.seq), RIGHT, sort_key=lambda i: i.seq),
            Column(self.tr("Action"), lambda i: labels.intent_name(i.name)),
            Column(self.tr("Details"), self._details),
            Column(
                self.tr("Saved on"),
                lambda i: format_datetime(i.created_at),
                sort_key=lambda i: i.created_at.isoformat() if i.created_at else "",
            ),
            Column(self.tr("Status"), self._state, color=self._state_color),
            Column(self.tr("Reason"), lambda i: i.message or i.code or "", tooltip=self._reason),
        ]
        self.model: RecordModel[OutboxItem] = RecordModel(columns, self)
        self.table = TablePanel(
            self.model,
            empty_text=self.tr(
                "Nothing pending. Actions you save while offline appear here until the server "
                "answers."
            ),
            parent=self,
        )
        self.fix_button = QtWidgets.QPushButton(icon("edit"), self.tr("Fix and resubmit…"), self)
        self.fix_button.setEnabled(False)
        self.fix_button.clicked.connect(self._fix)
        self.table.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.view.doubleClicked.connect(self._fix)

        hint = QtWidgets.QLabel(
            self.tr(
                "Queued actions are sent automatically. A rejected one can be fixed and sent again."
            ),
            self,
        )
        hint.setObjectName("Hint")
        hint.setWordWrap(True)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(hint, 1)
        buttons.addWidget(self.fix_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def set_items(self, items: list[OutboxItem]) -> None:
        self.model.set_rows(items)
        self._on_selection()

    def _details(self, item: OutboxItem) -> str:
        parts = [p for p in (item.nome, _masked(item.cpf)) if p]
        return " — ".join(parts)

    def _state(self, item: OutboxItem) -> str:
        if item.state == "rejected" and item.resubmitted_as is not None:
            return self.tr("Rejected — resubmitted as no. %1").replace(
                "%1", str(item.resubmitted_as)
            )
        return labels.intent_state(item.state)

    @staticmethod
    def _state_color(item: OutboxItem) -> str | None:
        if item.state == "rejected":
            return "#9e9e9e" if item.resubmitted_as is not None else "#c62828"
        if item.pending:
            return "#8d6e00"
        return None

    @staticmethod
    def _reason(item: OutboxItem) -> str | None:
        return item.message or item.code

    def selected(self) -> OutboxItem | None:
        return self.table.selected()

    def _on_selection(self, *_args: object) -> None:
        item = self.selected()
        self.fix_button.setEnabled(item is not None and item.can_resubmit)

    def _fix(self, *_args: object) -> None:
        item = self.selected()
        if item is not None and item.can_resubmit:
            self.fix_requested.emit(item)
