"""A small time-series chart drawn with QPainter (PySide6-Essentials has no QtCharts).

:class:`TimeChart` draws one series per service over fixed time buckets, either as stacked bars
(counts: ERROR lines per service) or as lines (averages: processing time per service), with a
title, y and time axes with round ticks, grid lines, a legend and a tooltip on hover. The data
behind the picture is available from :meth:`TimeChart.series` (tests, accessibility).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Final

from desktop.dashboard.formatting import ServiceColors, format_number, local
from desktop.qt import Qt, QtCore, QtGui, QtWidgets

BUCKET_ORIGIN: Final = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # the server's date_bin origin
TICK_STEPS_S: Final = (
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10_800,
    21_600,
    43_200,
    86_400,
    172_800,
    604_800,
)

_TEXT = QtGui.QColor("#263238")
_MUTED = QtGui.QColor("#5f6f60")
_GRID = QtGui.QColor("#edf1ed")
_AXIS = QtGui.QColor("#b9c6b9")
_CARD = QtGui.QColor("#ffffff")
_BORDER = QtGui.QColor("#dfe6df")


class ChartKind(StrEnum):
    BARS = "bars"  # stacked bars; a missing bucket counts 0
    LINES = "lines"  # one line per series through the buckets that have a value (dots)


Point = tuple[dt.datetime, float | None]


def bucket_starts(start: dt.datetime, end: dt.datetime, bucket_s: int) -> list[dt.datetime]:
    """The buckets the server uses for ``[start, end)`` (``date_bin`` from 2000-01-01 UTC)."""
    if bucket_s <= 0 or end <= start:
        return []
    step = dt.timedelta(seconds=bucket_s)
    first = BUCKET_ORIGIN + ((start - BUCKET_ORIGIN) // step) * step
    out = []
    moment = first
    while moment < end:
        out.append(moment)
        moment += step
    return out


def nice_ticks(maximum: float, *, integer: bool = False, target: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``maximum`` (1, 2, 2.5, 5 × 10^n steps)."""
    if not math.isfinite(maximum) or maximum <= 0:
        maximum = 1.0
    raw = maximum / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for factor in (1, 2, 2.5, 5, 10):
        if integer and factor == 2.5 and magnitude < 10:
            continue
        if factor * magnitude >= raw:
            step = factor * magnitude
            break
    if integer:
        step = max(1.0, float(math.ceil(step)))
    top = math.ceil(maximum / step - 1e-9) * step
    count = round(top / step)
    return [i * step for i in range(count + 1)]


def time_ticks(start: dt.datetime, end: dt.datetime, *, max_ticks: int = 7) -> list[dt.datetime]:
    """Round local times (every 5 min, 1 h, …) between ``start`` and ``end``."""
    span = (end - start).total_seconds()
    if span <= 0:
        return []
    step = next((s for s in TICK_STEPS_S if span / s <= max_ticks), TICK_STEPS_S[-1])
    offset = local(start).utcoffset() or dt.timedelta(0)
    epoch = (start - BUCKET_ORIGIN).total_seconds() + offset.total_seconds()
    first = math.ceil(epoch / step) * step
    ticks = []
    value = first
    while value - epoch <= span:
        ticks.append(start + dt.timedelta(seconds=value - epoch))
        value += step
    return ticks


class TimeChart(QtWidgets.QWidget):
    """Stacked bars or lines of several series over time buckets; see the module docstring."""

    def __init__(
        self,
        title: str,
        *,
        kind: ChartKind,
        unit: str = "",
        integer: bool = False,
        colors: ServiceColors | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.title = title
        self.kind = kind
        self.unit = unit
        self.integer = integer
        self.colors = colors or ServiceColors()
        self.subtitle = ""
        self._buckets: list[dt.datetime] = []
        self._bucket_s = 60
        self._start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        self._end = self._start + dt.timedelta(hours=1)
        self._series: dict[str, list[float | None]] = {}
        self._empty_text = "Carregando…"
        self.setMouseTracking(True)
        self.setMinimumSize(320, 220)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding
        )
        self.setAccessibleName(title)

    # -- data -----------------------------------------------------------------------------------

    def set_data(
        self,
        *,
        start: dt.datetime,
        end: dt.datetime,
        bucket_s: int,
        values: Mapping[str, Mapping[dt.datetime, float]],
        subtitle: str = "",
    ) -> None:
        """``values[service][bucket start] = value``; a missing bucket is 0 (bars) or None
        (lines: no dot there, the line joins its neighbours)."""
        self._start, self._end, self._bucket_s = start, end, bucket_s
        self._buckets = bucket_starts(start, end, bucket_s)
        default = 0.0 if self.kind is ChartKind.BARS else None
        self._series = {
            name: [values[name].get(b, default) for b in self._buckets] for name in sorted(values)
        }
        for name in self._series:
            self.colors.color(name)
        self.subtitle = subtitle
        self._empty_text = "Sem dados no período"
        self.update()

    def set_message(self, text: str) -> None:
        """Show ``text`` instead of data (loading, an error)."""
        self._series = {}
        self._empty_text = text
        self.update()

    def buckets(self) -> list[dt.datetime]:
        return list(self._buckets)

    def series(self) -> dict[str, list[Point]]:
        """The plotted data: per series, (bucket start, value or None) for every bucket."""
        return {
            name: list(zip(self._buckets, values, strict=True))
            for name, values in self._series.items()
        }

    def has_data(self) -> bool:
        return any(v for values in self._series.values() for v in values if v)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(520, 280)

    # -- geometry -------------------------------------------------------------------------------

    def _maximum(self) -> float:
        if self.kind is ChartKind.BARS:
            totals = [
                sum(v or 0.0 for v in column) for column in zip(*self._series.values(), strict=True)
            ]
            return max(totals, default=0.0)
        return max((v for vs in self._series.values() for v in vs if v is not None), default=0.0)

    def _x(self, plot: QtCore.QRectF, moment: dt.datetime) -> float:
        span = (self._end - self._start).total_seconds() or 1.0
        return plot.left() + (moment - self._start).total_seconds() / span * plot.width()

    def _legend_rows(
        self, metrics: QtGui.QFontMetrics, width: float
    ) -> list[list[tuple[str, float]]]:
        rows: list[list[tuple[str, float]]] = [[]]
        used = 0.0
        for name in self._series:
            item = 22 + metrics.horizontalAdvance(name) + 16
            if rows[-1] and used + item > width:
                rows.append([])
                used = 0.0
            rows[-1].append((name, item))
            used += item
        return rows if rows[0] else []

    # -- painting -------------------------------------------------------------------------------

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
        inner = card.adjusted(14, 10, -14, -10)

        base = QtGui.QFont(self.font())
        title_font = QtGui.QFont(base)
        title_font.setBold(True)
        title_font.setPointSizeF(base.pointSizeF() * 1.1)
        painter.setFont(title_font)
        painter.setPen(_TEXT)
        title_metrics = QtGui.QFontMetrics(title_font)
        painter.drawText(
            QtCore.QRectF(inner.left(), inner.top(), inner.width(), title_metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self.title,
        )
        small = QtGui.QFont(base)
        small.setPointSizeF(base.pointSizeF() * 0.9)
        metrics = QtGui.QFontMetrics(small)
        painter.setFont(small)
        if self.subtitle:
            painter.setPen(_MUTED)
            painter.drawText(
                QtCore.QRectF(inner.left(), inner.top(), inner.width(), title_metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.subtitle,
            )
        top = inner.top() + title_metrics.height() + 6

        legend = self._legend_rows(metrics, inner.width())
        for row in legend:
            x = inner.left()
            for name, width in row:
                self._legend_item(painter, QtCore.QPointF(x, top + metrics.height() / 2), name)
                x += width
            top += metrics.height() + 4
        if legend:
            top += 2
        if self.unit:
            painter.setPen(_MUTED)
            painter.drawText(
                QtCore.QRectF(inner.left(), top, inner.width(), metrics.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self.unit,
            )
            top += metrics.height()

        maximum = self._maximum()
        ticks = nice_ticks(maximum, integer=self.integer)
        top_value = ticks[-1] or 1.0
        decimals = 0 if self.integer or all(float(t).is_integer() for t in ticks) else 1
        labels = [format_number(t, decimals) for t in ticks]
        label_width = max(metrics.horizontalAdvance(t) for t in labels)
        plot = QtCore.QRectF(
            inner.left() + label_width + 8,
            top + metrics.height() / 2,
            inner.width() - label_width - 8,
            inner.bottom() - top - metrics.height() * 1.5 - 6,
        )
        if plot.height() < 20 or plot.width() < 40:
            return

        # y grid and labels
        for value, text in zip(ticks, labels, strict=True):
            y = plot.bottom() - value / top_value * plot.height()
            painter.setPen(QtGui.QPen(_GRID, 1))
            painter.drawLine(QtCore.QPointF(plot.left(), y), QtCore.QPointF(plot.right(), y))
            painter.setPen(_MUTED)
            painter.drawText(
                QtCore.QRectF(
                    inner.left(), y - metrics.height() / 2, label_width, metrics.height()
                ),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
        # x axis, ticks and labels
        painter.setPen(QtGui.QPen(_AXIS, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        span_days = (self._end - self._start).total_seconds() > 86_400
        previous_right = -1e9
        for tick in time_ticks(self._start, self._end):
            x = self._x(plot, tick)
            painter.setPen(QtGui.QPen(_AXIS, 1))
            painter.drawLine(QtCore.QPointF(x, plot.bottom()), QtCore.QPointF(x, plot.bottom() + 4))
            text = local(tick).strftime("%d/%m %Hh" if span_days else "%H:%M")
            width = metrics.horizontalAdvance(text)
            left = min(max(x - width / 2, plot.left()), plot.right() - width)
            if left <= previous_right + 6:
                continue
            previous_right = left + width
            painter.setPen(_MUTED)
            painter.drawText(
                QtCore.QRectF(left, plot.bottom() + 5, width, metrics.height()),
                Qt.AlignmentFlag.AlignCenter,
                text,
            )

        if not self._series or not self.has_data():
            painter.setPen(_MUTED)
            painter.setFont(base)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self._empty_text)
            return

        painter.save()
        painter.setClipRect(plot.adjusted(-4, -4, 4, 1))
        if self.kind is ChartKind.BARS:
            self._paint_bars(painter, plot, top_value)
        else:
            self._paint_lines(painter, plot, top_value)
        painter.restore()

    def _legend_item(self, painter: QtGui.QPainter, center_left: QtCore.QPointF, name: str) -> None:
        color = self.colors.color(name)
        x, y = center_left.x(), center_left.y()
        if self.kind is ChartKind.BARS:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(QtCore.QRectF(x, y - 5, 14, 10), 2, 2)
        else:
            painter.setPen(QtGui.QPen(color, 2))
            painter.drawLine(QtCore.QPointF(x, y), QtCore.QPointF(x + 14, y))
            painter.setBrush(color)
            painter.drawEllipse(QtCore.QPointF(x + 7, y), 3, 3)
        painter.setPen(_TEXT)
        painter.drawText(QtCore.QPointF(x + 20, y + painter.fontMetrics().ascent() / 2 - 1), name)

    def _bucket_width(self, plot: QtCore.QRectF) -> float:
        span = (self._end - self._start).total_seconds() or 1.0
        return self._bucket_s / span * plot.width()

    def _paint_bars(self, painter: QtGui.QPainter, plot: QtCore.QRectF, top_value: float) -> None:
        width = self._bucket_width(plot)
        bar = max(1.0, width * 0.72)
        painter.setPen(Qt.PenStyle.NoPen)
        for i, bucket in enumerate(self._buckets):
            x = self._x(plot, bucket) + (width - bar) / 2
            base = 0.0
            for name, values in self._series.items():
                value = values[i] or 0.0
                if value <= 0:
                    continue
                y0 = plot.bottom() - base / top_value * plot.height()
                y1 = plot.bottom() - (base + value) / top_value * plot.height()
                painter.setBrush(self.colors.color(name))
                painter.drawRect(QtCore.QRectF(x, y1, bar, y0 - y1))
                base += value

    def _paint_lines(self, painter: QtGui.QPainter, plot: QtCore.QRectF, top_value: float) -> None:
        half = self._bucket_width(plot) / 2
        for name, values in self._series.items():
            color = self.colors.color(name)
            path = QtGui.QPainterPath()
            points: list[QtCore.QPointF] = []
            for bucket, value in zip(self._buckets, values, strict=True):
                if value is None:
                    continue  # no line in this bucket: join the neighbouring points
                point = QtCore.QPointF(
                    self._x(plot, bucket) + half,
                    plot.bottom() - value / top_value * plot.height(),
                )
                if points:
                    path.lineTo(point)
                else:
                    path.moveTo(point)
                points.append(point)
            pen = QtGui.QPen(color, 2)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            if len(points) <= 120:
                painter.setPen(QtGui.QPen(_CARD, 1))
                painter.setBrush(color)
                for point in points:
                    painter.drawEllipse(point, 3, 3)

    # -- hover ----------------------------------------------------------------------------------

    def bucket_at(self, x: float) -> int | None:
        """Index of the bucket under the horizontal position ``x`` (widget coordinates)."""
        if not self._buckets:
            return None
        left, right = self._plot_span()
        if not left <= x <= right:
            return None
        span = (self._end - self._start).total_seconds() or 1.0
        moment = self._start + dt.timedelta(seconds=(x - left) / (right - left) * span)
        for i in range(len(self._buckets) - 1, -1, -1):
            if self._buckets[i] <= moment:
                return i
        return 0

    def _plot_span(self) -> tuple[float, float]:
        # The same left edge as _paint, approximately (labels' width is data dependent).
        small = QtGui.QFont(self.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        metrics = QtGui.QFontMetrics(small)
        ticks = nice_ticks(self._maximum(), integer=self.integer)
        decimals = 0 if self.integer or all(float(t).is_integer() for t in ticks) else 1
        width = max(metrics.horizontalAdvance(format_number(t, decimals)) for t in ticks)
        left = 0.5 + 14 + width + 8
        return left, self.width() - 0.5 - 14

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        index = self.bucket_at(event.position().x())
        if index is None or not self._series:
            QtWidgets.QToolTip.hideText()
            return
        lines = [local(self._buckets[index]).strftime("%d/%m %H:%M")]
        for name, values in self._series.items():
            value = values[index]
            if value is None:
                continue
            decimals = 0 if self.integer else 1
            unit = f" {self.unit}" if self.unit and not self.integer else ""
            lines.append(f"{name}: {format_number(value, decimals)}{unit}")
        QtWidgets.QToolTip.showText(event.globalPosition().toPoint(), "\n".join(lines), self)

    def leaveEvent(self, _event: object) -> None:
        QtWidgets.QToolTip.hideText()


def values_by_service(
    points: Sequence[tuple[dt.datetime, str, float]],
) -> dict[str, dict[dt.datetime, float]]:
    """``[(bucket, service, value)]`` → ``{service: {bucket: value}}``."""
    out: dict[str, dict[dt.datetime, float]] = {}
    for bucket, service, value in points:
        out.setdefault(service, {})[bucket] = value
    return out
