"""Price and SAC schedules: exact sums, no negative parts, the shape of each system."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_models.money import Currency, Money
from shared_models.schedules import (
    Sistema,
    monthly_rate,
    price_schedule,
    sac_schedule,
    schedule,
)

principals = st.integers(min_value=1, max_value=1_500_000_00).map(
    lambda cents: Money.from_units(cents, Currency.BRL)
)
annual_rates = st.decimals(min_value=0, max_value=40, places=2)
terms = st.integers(min_value=1, max_value=60)


def test_monthly_rate_is_the_compound_equivalent() -> None:
    rate = monthly_rate(Decimal("12.68250301"))  # (1.01 ** 12 - 1) in percent
    assert abs(rate - Decimal("0.01")) < Decimal("1e-10")
    assert monthly_rate(Decimal(0)) == 0
    with pytest.raises(ValueError, match="negativa"):
        monthly_rate(Decimal("-1"))
    with pytest.raises(TypeError):
        monthly_rate(12.5)  # type: ignore[arg-type]


def test_a_known_price_schedule() -> None:
    # R$ 10.000,00 in 12 months at 1 % a month: installment R$ 888,49 (financial tables).
    plan = price_schedule(Money.brl("10000.00"), Decimal("0.01"), 12)
    assert [p.valor for p in plan[:-1]] == [Money.brl("888.49")] * 11
    assert plan[0].juros == Money.brl("100.00") and plan[0].amortizacao == Money.brl("788.49")
    assert Money.total((p.amortizacao for p in plan), Currency.BRL) == Money.brl("10000.00")


def test_a_known_sac_schedule() -> None:
    plan = sac_schedule(Money.brl("1200.00"), Decimal("0.02"), 4)
    assert [p.amortizacao for p in plan] == [Money.brl("300.00")] * 4
    assert [p.juros for p in plan] == [
        Money.brl("24.00"),
        Money.brl("18.00"),
        Money.brl("12.00"),
        Money.brl("6.00"),
    ]
    assert [p.numero for p in plan] == [1, 2, 3, 4]


@given(principals, annual_rates, terms)
def test_price_schedule_adds_up_exactly(principal: Money, annual: Decimal, months: int) -> None:
    plan = schedule(Sistema.PRICE, principal, annual, months)
    assert len(plan) == months
    assert Money.total((p.amortizacao for p in plan), Currency.BRL) == principal
    assert all(not p.amortizacao.is_negative() and not p.juros.is_negative() for p in plan)
    installments = {p.valor for p in plan[:-1]}
    if principal.units >= 100_00:  # tiny amounts can have zero-principal months
        assert len(installments) <= 1
    if len(installments) == 1:
        (regular,) = installments
        # Each period adds at most a cent of rounding error, and an error left in the balance
        # compounds with the rate: the last installment differs by at most the future value of
        # one cent a period.
        rate = float(monthly_rate(annual))
        growth = months if rate == 0 else ((1 + rate) ** months - 1) / rate
        assert abs((plan[-1].valor - regular).units) <= growth + 1


@given(principals, annual_rates, terms)
def test_sac_schedule_adds_up_exactly(principal: Money, annual: Decimal, months: int) -> None:
    plan = schedule(Sistema.SAC, principal, annual, months)
    assert len(plan) == months
    assert Money.total((p.amortizacao for p in plan), Currency.BRL) == principal
    assert all(not p.amortizacao.is_negative() and not p.juros.is_negative() for p in plan)
    parts = {p.amortizacao for p in plan[:-1]}
    assert len(parts) <= 1  # constant amortization; the last absorbs the residue
    if parts:
        (regular,) = parts
        assert 0 <= (plan[-1].amortizacao - regular).units < months
    # interest falls (or stays) as the balance falls
    assert all(a.juros >= b.juros for a, b in itertools.pairwise(plan))


@given(principals, annual_rates, terms)
def test_sac_pays_less_interest_than_price(principal: Money, annual: Decimal, months: int) -> None:
    price = price_schedule(principal, monthly_rate(annual), months)
    sac = sac_schedule(principal, monthly_rate(annual), months)
    total = Money.total
    # Rounding aside (a cent a period), SAC's faster amortization never costs more interest.
    assert total((p.juros for p in sac), Currency.BRL) <= total(
        (p.juros for p in price), Currency.BRL
    ) + Money.from_units(months, Currency.BRL)


@pytest.mark.parametrize(
    ("principal", "rate", "months"),
    [
        (Money.brl("0"), Decimal("0.01"), 12),
        (Money.brl("-1"), Decimal("0.01"), 12),
        (Money.brl("100"), Decimal("-0.01"), 12),
        (Money.brl("100"), Decimal("0.01"), 0),
        (Money.brl("100"), Decimal("0.01"), 601),
    ],
)
def test_bad_terms_are_refused(principal: Money, rate: Decimal, months: int) -> None:
    with pytest.raises(ValueError):
        price_schedule(principal, rate, months)
    with pytest.raises(ValueError):
        sac_schedule(principal, rate, months)
