"""The dashboard's drawing and formatting helpers (no server): ticks, buckets, numbers, charts."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication

import datetime as dt
import itertools
import uuid
from decimal import Decimal

import pytest
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from desktop.dashboard.charts import ChartKind, TimeChart, bucket_starts, nice_ticks, time_ticks
from desktop.dashboard.client import LogLine, LogQuery
from desktop.dashboard.formatting import (
    ServiceColors,
    format_ago,
    format_duration_ms,
    format_number,
)
from desktop.dashboard.timeline import CorrelationTimeline

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("maximum", "integer", "expected"),
    [
        (0, True, [0, 1]),
        (3, True, [0, 1, 2, 3]),
        (15, True, [0, 5, 10, 15]),
        (1009.78, False, [0, 500, 1000, 1500]),
        (900, False, [0, 250, 500, 750, 1000]),
        (0.3, False, [0, 0.1, 0.2, 0.30000000000000004]),
        (150, False, [0, 50, 100, 150]),
    ],
)
def test_nice_ticks(maximum: float, integer: bool, expected: list[float]) -> None:
    ticks = nice_ticks(maximum, integer=integer)
    assert ticks == pytest.approx(expected)
    assert ticks[0] == 0 and ticks[-1] >= maximum


def test_buckets_follow_the_server_date_bin() -> None:
    # date_bin(60 s, ts, 2000-01-01): minute starts; the first bucket holds ``start``.
    start = T0 + dt.timedelta(seconds=30)
    buckets = bucket_starts(start, start + dt.timedelta(minutes=3), 60)
    assert buckets == [T0 + dt.timedelta(minutes=m) for m in range(4)]
    three_hours = bucket_starts(T0, T0 + dt.timedelta(days=7), 3 * 3600)
    assert len(three_hours) == 56 and three_hours[0] == T0
    assert bucket_starts(T0, T0, 60) == []


def test_time_ticks_are_round_and_inside_the_period() -> None:
    start = T0 + dt.timedelta(minutes=7, seconds=13)
    end = start + dt.timedelta(hours=1)
    ticks = time_ticks(start, end)
    assert 3 <= len(ticks) <= 7
    assert all(start <= t <= end for t in ticks)
    steps = {(b - a) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and next(iter(steps)) == dt.timedelta(minutes=10)
    assert all(t.astimezone().minute % 10 == 0 and t.second == 0 for t in ticks)


def test_brazilian_number_and_duration_formats() -> None:
    assert format_number(Decimal("1009.777"), 2) == "1.009,78"
    assert format_number(1234567, 0) == "1.234.567"
    assert format_duration_ms(12.5) == "12,5 ms"
    assert format_duration_ms(184) == "184 ms"
    assert format_duration_ms(1500) == "1,5 s"
    assert format_duration_ms(90_000) == "1,5 min"
    now = T0 + dt.timedelta(minutes=3)
    assert format_ago(T0, now) == "há 3 min"


def test_log_query_parameters() -> None:
    query = LogQuery(
        start=T0,
        end=T0 + dt.timedelta(hours=1),
        levels=("ERROR", "WARN"),
        service="api",
        user_id="u-1",
        text="falhou",
        limit=20,
    )
    assert query.params("abc") == [
        ("inicio", "2026-06-01T12:00:00Z"),
        ("fim", "2026-06-01T13:00:00Z"),
        ("limite", "20"),
        ("level", "ERROR"),
        ("level", "WARN"),
        ("service", "api"),
        ("user_id", "u-1"),
        ("texto", "falhou"),
        ("cursor", "abc"),
    ]
    with pytest.raises(ValueError, match="timezone-aware"):
        LogQuery(start=dt.datetime(2026, 1, 1), end=T0).params()


def render(widget: TimeChart | CorrelationTimeline) -> QImage:
    widget.resize(
        640, widget.sizeHint().height() if isinstance(widget, CorrelationTimeline) else 300
    )
    return widget.grab().toImage()


def colours(image: QImage) -> set[str]:
    return {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
    }


def test_bar_chart_stacks_and_fills_missing_buckets(qtbot: QtBot) -> None:
    colors = ServiceColors()
    chart = TimeChart("Erros", kind=ChartKind.BARS, integer=True, colors=colors)
    qtbot.addWidget(chart)
    end = T0 + dt.timedelta(minutes=10)
    chart.set_data(
        start=T0,
        end=end,
        bucket_s=60,
        values={"api": {T0: 2, T0 + dt.timedelta(minutes=4): 1}, "worker": {T0: 3}},
    )
    series = chart.series()
    assert list(series) == ["api", "worker"]
    assert [v for _, v in series["api"]] == [2, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert [v for _, v in series["worker"]][:2] == [3, 0]
    image = render(chart)
    painted = colours(image)
    assert colors.color("api").name() in painted and colors.color("worker").name() in painted
    # Hovering the first bucket finds it.
    assert chart.bucket_at(chart._plot_span()[0] + 1) == 0


def test_line_chart_leaves_missing_buckets_empty(qtbot: QtBot) -> None:
    chart = TimeChart("Tempo", kind=ChartKind.LINES, unit="ms")
    qtbot.addWidget(chart)
    chart.set_data(
        start=T0,
        end=T0 + dt.timedelta(minutes=3),
        bucket_s=60,
        values={"api": {T0: 12.5, T0 + dt.timedelta(minutes=2): 40}},
    )
    assert [v for _, v in chart.series()["api"]] == [12.5, None, 40]
    assert chart.has_data()
    render(chart)
    chart.set_message("Sem dados")
    assert chart.series() == {} and not chart.has_data()
    assert QColor(chart.colors.color("api")).isValid()


def test_timeline_lanes_in_order_of_arrival(qtbot: QtBot) -> None:
    timeline = CorrelationTimeline()
    qtbot.addWidget(timeline)
    cid = str(uuid.uuid4())

    def line(n: int, ms: int, service: str, level: str = "INFO") -> LogLine:
        return LogLine(
            id=n,
            timestamp=T0 + dt.timedelta(milliseconds=ms),
            level=level,
            service=service,
            correlation_id=cid,
            message=f"linha {n}",
        )

    timeline.set_lines([line(1, 0, "desktop"), line(2, 40, "api"), line(3, 300, "worker", "ERROR")])
    assert timeline.lanes() == ["desktop", "api", "worker"]
    assert timeline.offsets_ms() == [0, 40, 300]
    assert timeline.height() == timeline.sizeHint().height()
    image = render(timeline)
    assert "#dc2626" in colours(image)  # the ERROR line is ringed in red
