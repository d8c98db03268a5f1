"""Small building blocks shared by the windows: summary cards and message banners."""

from __future__ import annotations

from typing import ClassVar

from desktop.qt import Qt, QtWidgets


class Card(QtWidgets.QFrame):
    """A summary figure: a small title, a big value, an optional note."""

    def __init__(self, title: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Card")
        self.title = QtWidgets.QLabel(title, self)
        self.title.setObjectName("CardTitle")
        self.value = QtWidgets.QLabel("—", self)
        self.value.setObjectName("CardValue")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QtWidgets.QLabel(" ", self)  # kept visible: cards of a row align
        self.note.setObjectName("CardNote")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed
        )

    def set(self, value: str, note: str | None = None) -> None:
        self.value.setText(value)
        self.note.setText(note or " ")


class Banner(QtWidgets.QLabel):
    """A message line: ``error``, ``info`` or ``warning``; hidden when empty."""

    _NAMES: ClassVar[dict[str, str]] = {
        "error": "ErrorMessage",
        "info": "InfoMessage",
        "warning": "WarningMessage",
    }

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        self.setObjectName(self._NAMES.get(kind, "InfoMessage"))
        self.setText(text)
        self.setVisible(bool(text))
        self.style().unpolish(self)
        self.style().polish(self)

    def clear_message(self) -> None:
        self.setText("")
        self.hide()

    @property
    def kind(self) -> str | None:
        for kind, name in self._NAMES.items():
            if self.objectName() == name:
                return kind
        return None


def set_hint(label: QtWidgets.QLabel, text: str, kind: str) -> None:
    """A field's live hint (``error``, ``ok`` or ``info``), restyled through a property."""
    label.setText(text)
    label.setProperty("hint", kind)
    label.style().unpolish(label)
    label.style().polish(label)


def set_valid(widget: QtWidgets.QWidget, valid: bool | None) -> None:
    """Colour a field's border: valid, invalid, or neutral (None)."""
    widget.setProperty("valid", "" if valid is None else ("true" if valid else "false"))
    widget.style().unpolish(widget)
    widget.style().polish(widget)
