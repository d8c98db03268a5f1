"""pt_BR display formatting: money exactly as sent (R$ 1.234,56; USDC with 2 to 8 places), dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from desktop.formatting import (
    format_brl,
    format_date,
    format_datetime,
    format_int,
    format_percent,
    format_phone,
    format_usdc,
    pt_br,
    short_id,
)
from shared_models.money import Money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.56", "R$ 1.234,56"),
        ("0", "R$ 0,00"),
        ("1080000.00", "R$ 1.080.000,00"),
        ("-15000.5", "-R$ 15.000,50"),
        (Decimal("999.999"), "R$ 1.000,00"),  # display rounding, half-even
        (Money.brl("12.30"), "R$ 12,30"),
        (None, "—"),
        ("abc", "—"),
    ],
)
def test_brl(value: object, expected: str) -> None:
    assert format_brl(value, locale=pt_br()) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("925.92592593", "925,92592593 USDC"),
        ("100.00000000", "100,00 USDC"),
        ("1234.5", "1.234,50 USDC"),
        ("-185.18518519", "-185,18518519 USDC"),
        ("0.00000001", "0,00000001 USDC"),
        ("12345678.123", "12.345.678,123 USDC"),
        (Money.usdc("5"), "5,00 USDC"),
    ],
)
def test_usdc_shows_two_to_eight_places(value: object, expected: str) -> None:
    assert format_usdc(value, locale=pt_br()) == expected  # type: ignore[arg-type]


def test_numbers_percent_and_ids() -> None:
    loc = pt_br()
    assert format_int(2500, locale=loc) == "2.500"
    assert format_percent("13.5", locale=loc) == "13,50%"
    assert format_phone("+5534999990007") == "(34) 99999-0007"
    assert format_phone("123") == "123"
    assert short_id("97f305b5-e0cb-5feb-9a2c-da5183c070af") == "97F305B5"


def test_dates_are_dd_mm_yyyy() -> None:
    loc = pt_br()
    assert format_date("2026-07-12", locale=loc) == "12/07/2026"
    assert format_date(date(2027, 1, 5), locale=loc) == "05/01/2027"
    assert format_date(None, locale=loc) == "—"
    moment = datetime(2026, 11, 29, 14, 3, tzinfo=UTC)
    local = moment.astimezone()
    assert format_datetime(moment, locale=loc) == local.strftime("%d/%m/%Y %H:%M")
    assert format_datetime("2026-11-29T14:03:00+00:00", locale=loc) == local.strftime(
        "%d/%m/%Y %H:%M"
    )
