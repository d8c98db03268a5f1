"""The path of one correlation id across services, drawn as swim lanes (QPainter).

One lane per service, in the order the action reached them; one dot per log line at its time
relative to the first line (ERROR/CRITICAL lines ringed in red, WARN in amber), consecutive lines
joined so the hand-offs between services are visible. Clicking a dot selects its line.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Final

from desktop.dashboard.charts import nice_ticks
from desktop.dashboard.client import LogLine
from desktop.dashboard.formatting import ServiceColors, format_duration_ms
from desktop.qt import Qt, QtCore, QtGui, QtWidgets, Signal

LANE_HEIGHT: Final = 30
_TEXT = QtGui.QColor("#263238")
_MUTED = QtGui.QColor("#5f6f60")
_GRID = QtGui.QColor("#edf1ed")
_LANE = QtGui.QColor("#f7faf7")
_CARD = QtGui.QColor("#ffffff")
_BORDER = QtGui.QColor("#dfe6df")
_ERROR = QtGui.QColor("#dc2626")
_WARN = QtGui.QColor("#d97706")


class CorrelationTimeline(QtWidgets.QWidget):
    """Swim lanes of one correlation id; see the module docstring."""

    line_clicked = Signal(int)  # index in the lines given to set_lines

    def __init__(
        self, colors: ServiceColors | None = None, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.colors = colors or ServiceColors()
        self._lines: list[LogLine] = []
        self._lanes: list[str] = []
        self._selected: int | None = None
        self._dots: list[tuple[QtCore.QPointF, int]] = []
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed
        )
        self.setAccessibleName("Linha do tempo da correlação")

    def set_lines(self, lines: Sequence[LogLine]) -> None:
        self._lines = list(lines)
        self._lanes = []
        for line in self._lines:
            if line.service not in self._lanes:
                self._lanes.append(line.service)
                self.colors.color(line.service)
        self._selected = None
        self.updateGeometry()
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def lanes(self) -> list[str]:
        """Services in the order the action reached them."""
        return list(self._lanes)

    def set_selected(self, index: int | None) -> None:
        self._selected = index
        self.update()

    def offsets_ms(self) -> list[float]:
        """Each line's time after the first line, in milliseconds."""
        if not self._lines:
            return []
        first = self._lines[0].timestamp
        return [(line.timestamp - first).total_seconds() * 1000 for line in self._lines]

    def sizeHint(self) -> QtCore.QSize:
        lanes = max(1, len(self._lanes))
        return QtCore.QSize(600, 24 + lanes * LANE_HEIGHT + 28)

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QtGui.QPainter) -> None:
        card = QtCore.QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QtGui.QPen(_BORDER, 1))
        painter.setBrush(_CARD)
        painter.drawRoundedRect(card, 8, 8)
        self._dots = []
        font = QtGui.QFont(self.font())
        metrics = QtGui.QFontMetrics(font)
        if not self._lines:
            painter.setPen(_MUTED)
            painter.drawText(
                card,
                Qt.AlignmentFlag.AlignCenter,
                "Informe um ID de correlação para ver o caminho.",
            )
            return
        label_width = max(metrics.horizontalAdvance(name) for name in self._lanes) + 24
        left = card.left() + 12 + label_width
        right = card.right() - 24
        top = card.top() + 14
        offsets = self.offsets_ms()
        span = max(offsets[-1], 1.0)
        ticks = nice_ticks(span, target=5)
        span = ticks[-1] or 1.0

        def x_of(ms: float) -> float:
            return left + ms / span * (right - left)

        lane_y: dict[str, float] = {}
        for i, name in enumerate(self._lanes):
            y = top + i * LANE_HEIGHT
            if i % 2 == 0:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(_LANE)
                painter.drawRect(QtCore.QRectF(card.left() + 1, y, card.width() - 2, LANE_HEIGHT))
            lane_y[name] = y + LANE_HEIGHT / 2
            color = self.colors.color(name)
            painter.setBrush(color)
            painter.drawEllipse(QtCore.QPointF(card.left() + 18, lane_y[name]), 4, 4)
            painter.setPen(_TEXT)
            painter.drawText(
                QtCore.QRectF(card.left() + 28, y, label_width - 16, LANE_HEIGHT),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                name,
            )
        bottom = top + len(self._lanes) * LANE_HEIGHT

        for value in ticks:
            x = x_of(value)
            painter.setPen(QtGui.QPen(_GRID, 1, Qt.PenStyle.DashLine))
            painter.drawLine(QtCore.QPointF(x, top), QtCore.QPointF(x, bottom))
            text = "+" + format_duration_ms(value)
            width = metrics.horizontalAdvance(text)
            label_left = min(x - width / 2, card.right() - 6 - width)
            painter.setPen(_MUTED)
            painter.drawText(
                QtCore.QRectF(label_left, bottom + 4, width, metrics.height()),
                Qt.AlignmentFlag.AlignCenter,
                text,
            )

        points = [
            QtCore.QPointF(x_of(ms), lane_y[line.service])
            for ms, line in zip(offsets, self._lines, strict=True)
        ]
        painter.setPen(QtGui.QPen(QtGui.QColor("#9ca3af"), 1.2))
        for a, b in itertools.pairwise(points):
            painter.drawLine(a, b)
        for index, (point, line) in enumerate(zip(points, self._lines, strict=True)):
            color = self.colors.color(line.service)
            level = line.level.upper()
            ring = _ERROR if level in ("ERROR", "CRITICAL") else _WARN if level == "WARN" else None
            radius = 7.0 if index == self._selected else 5.0
            if ring is not None:
                painter.setPen(QtGui.QPen(ring, 2.5))
            elif index == self._selected:
                painter.setPen(QtGui.QPen(_TEXT, 2))
            else:
                painter.setPen(QtGui.QPen(_CARD, 1.5))
            painter.setBrush(color)
            painter.drawEllipse(point, radius, radius)
            self._dots.append((point, index))

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        position = event.position()
        best: tuple[float, int] | None = None
        for point, index in self._dots:
            distance = (point - position).manhattanLength()
            if distance <= 10 and (best is None or distance < best[0]):
                best = (distance, index)
        if best is not None:
            self.set_selected(best[1])
            self.line_clicked.emit(best[1])
