"""Display helpers of the dashboard: local times, numbers and durations in Brazilian Portuguese."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Final

from desktop.qt import QtGui

LEVEL_COLORS: Final = {
    "DEBUG": "#6b7280",
    "INFO": "#2563eb",
    "WARN": "#b45309",
    "ERROR": "#dc2626",
    "CRITICAL": "#991b1b",
}

PALETTE: Final = (
    "#2563eb",  # blue
    "#16a34a",  # green
    "#d97706",  # amber
    "#7c3aed",  # violet
    "#0891b2",  # cyan
    "#db2777",  # pink
    "#4b5563",  # slate
    "#65a30d",  # lime
    "#9333ea",  # purple
    "#0f766e",  # teal
)


class ServiceColors:
    """One colour per service, the same in every chart and view of one dashboard."""

    def __init__(self, palette: tuple[str, ...] = PALETTE) -> None:
        self._palette = palette
        self._assigned: dict[str, str] = {}

    def color(self, service: str) -> QtGui.QColor:
        name = self._assigned.get(service)
        if name is None:
            name = self._palette[len(self._assigned) % len(self._palette)]
            self._assigned[service] = name
        return QtGui.QColor(name)

    def known(self) -> list[str]:
        return sorted(self._assigned)


def level_color(level: str) -> QtGui.QColor:
    return QtGui.QColor(LEVEL_COLORS.get(level.upper(), "#374151"))


def local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in the machine's time zone (the server speaks UTC)."""
    return moment.astimezone()


def format_time(moment: dt.datetime, *, millis: bool = False) -> str:
    value = local(moment)
    text = value.strftime("%d/%m/%Y %H:%M:%S")
    return f"{text}.{value.microsecond // 1000:03d}" if millis else text


def format_clock(moment: dt.datetime) -> str:
    return local(moment).strftime("%H:%M:%S")


def format_number(value: float | Decimal, decimals: int = 0) -> str:
    """``1234.5`` → ``1.234,5`` (Brazilian separators)."""
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_duration_ms(ms: float) -> str:
    if abs(ms) < 1000:
        return f"{format_number(ms, 0 if float(ms).is_integer() or abs(ms) >= 100 else 1)} ms"
    if abs(ms) < 60_000:
        return f"{format_number(ms / 1000, 1 if abs(ms) < 10_000 else 0)} s"
    return f"{format_number(ms / 60_000, 1)} min"


def format_ago(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    seconds = int(((now or dt.datetime.now(dt.UTC)) - moment).total_seconds())
    if seconds < 60:
        return "há instantes"
    if seconds < 3600:
        return f"há {seconds // 60} min"
    if seconds < 86_400:
        return f"há {seconds // 3600} h"
    return f"há {seconds // 86_400} d"


def format_payload(payload: dict[str, Any]) -> str:
    if not payload:
        return "(sem payload)"
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True, default=str)
