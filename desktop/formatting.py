"""Locale formatting of amounts, numbers and dates for display (pt_BR by default).

Separators, signs and date patterns come from ``QLocale`` (the app sets the default locale at
start, ``pt_BR``: ``R$ 1.234,56``, ``12/07/2026``). Amounts are never turned into floats: the
digits of the ``Decimal`` are grouped and joined with the locale's symbols, so what is shown is
exactly what the server sent (USDC with 2 to 8 places, BRL with 2).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Final

from desktop.qt import QtCore
from shared_models.money import Currency, Money

DATE_PATTERN: Final = "dd/MM/yyyy"
DATETIME_PATTERN: Final = "dd/MM/yyyy HH:mm"
PLACEHOLDER: Final = "—"

Amount = Money | Decimal | str | int | None


def pt_br() -> QtCore.QLocale:
    return QtCore.QLocale(QtCore.QLocale.Language.Portuguese, QtCore.QLocale.Country.Brazil)


def _locale(locale: QtCore.QLocale | None) -> QtCore.QLocale:
    return locale if locale is not None else QtCore.QLocale()


def to_decimal(value: Amount) -> Decimal | None:
    """A replica value (text, integer, Money) as a Decimal; None when absent or not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))]
    return separator.join(parts)


def format_decimal(
    value: Amount,
    *,
    min_places: int = 0,
    max_places: int = 2,
    locale: QtCore.QLocale | None = None,
) -> str:
    """``1234.5`` → ``1.234,5`` (pt_BR), with between ``min_places`` and ``max_places``."""
    number = to_decimal(value)
    if number is None:
        return PLACEHOLDER
    loc = _locale(locale)
    rounded = number.quantize(Decimal(1).scaleb(-max_places), rounding=ROUND_HALF_EVEN)
    text = f"{abs(rounded):f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    fraction = fraction + "0" * max(min_places - len(fraction), 0)
    body = _group(whole, loc.groupSeparator())
    if fraction:
        body += loc.decimalPoint() + fraction
    return (loc.negativeSign() if rounded < 0 else "") + body


def format_int(value: int | str | None, *, locale: QtCore.QLocale | None = None) -> str:
    return format_decimal(value, min_places=0, max_places=0, locale=locale)


def format_brl(value: Amount, *, locale: QtCore.QLocale | None = None) -> str:
    """``R$ 1.234,56``; a negative amount is ``-R$ 1.234,56``."""
    number = to_decimal(value)
    if number is None:
        return PLACEHOLDER
    loc = _locale(locale)
    places = Currency.BRL.places
    body = format_decimal(abs(number), min_places=places, max_places=places, locale=loc)
    symbol = "R$" if loc.territory() == QtCore.QLocale.Country.Brazil else "BRL"
    sign = loc.negativeSign() if number.quantize(Decimal("0.01")) < 0 else ""
    return f"{sign}{symbol} {body}"


def format_usdc(value: Amount, *, locale: QtCore.QLocale | None = None) -> str:
    """``1.234,5 USDC`` → ``1.234,50 USDC``: at least 2 places, at most 8, no trailing zeros."""
    text = format_decimal(value, min_places=2, max_places=Currency.USDC.places, locale=locale)
    return text if text == PLACEHOLDER else f"{text} USDC"


def format_money(value: Money | None, *, locale: QtCore.QLocale | None = None) -> str:
    if value is None:
        return PLACEHOLDER
    if value.currency is Currency.BRL:
        return format_brl(value, locale=locale)
    return format_usdc(value, locale=locale)


def format_percent(value: Amount, *, locale: QtCore.QLocale | None = None) -> str:
    """``13.5`` → ``13,50%`` (the value is already a percentage)."""
    text = format_decimal(value, min_places=2, max_places=2, locale=locale)
    return text if text == PLACEHOLDER else f"{text}%"


def parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def parse_datetime(value: object) -> datetime | None:
    """An ISO 8601 timestamp from the replica (UTC when it carries no offset)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def format_date(value: object, *, locale: QtCore.QLocale | None = None) -> str:
    """``2026-07-12`` → ``12/07/2026`` (a timestamp shows its local calendar day)."""
    if isinstance(value, str) and len(value) > 10:
        moment = parse_datetime(value)
        day = moment.astimezone().date() if moment else None
    elif isinstance(value, datetime):
        day = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone().date()
    else:
        day = parse_date(value)
    if day is None:
        return PLACEHOLDER
    qdate = QtCore.QDate(day.year, day.month, day.day)
    return _locale(locale).toString(qdate, DATE_PATTERN)


def format_datetime(value: object, *, locale: QtCore.QLocale | None = None) -> str:
    """A UTC timestamp shown in local time: ``29/11/2026 14:03``."""
    moment = parse_datetime(value)
    if moment is None:
        return PLACEHOLDER
    local = moment.astimezone()
    qdt = QtCore.QDateTime(
        QtCore.QDate(local.year, local.month, local.day),
        QtCore.QTime(local.hour, local.minute, local.second),
    )
    return _locale(locale).toString(qdt, DATETIME_PATTERN)


def format_bytes(count: int, *, locale: QtCore.QLocale | None = None) -> str:
    """``1234567`` → ``1,18 MB`` (powers of 1024, traditional unit names)."""
    return _locale(locale).formattedDataSize(
        count, 2, QtCore.QLocale.DataSizeFormat.DataSizeTraditionalFormat
    )


def format_phone(value: str | None) -> str:
    """``+5534999990007`` → ``(34) 99999-0007``; anything else is shown as it is."""
    if not value:
        return PLACEHOLDER
    digits = value.removeprefix("+55") if value.startswith("+55") else value
    if len(digits) == 11 and digits.isdigit():
        return f"({digits[:2]}) {digits[2:7]}-{digits[7:]}"
    return value


def short_id(value: str | None) -> str:
    """The first 8 hex digits of a UUID, upper case (``97F305B5``): how a CPR is named."""
    if not value:
        return PLACEHOLDER
    return value.replace("-", "")[:8].upper()
