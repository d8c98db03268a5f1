"""Amortization schedules of a financed CPR (DESIGN.md, "Credit lifecycle").

- **Price** (French system, the default): equal installments; each interest part is the
  outstanding balance times the monthly rate.
- **SAC** (constant amortization): equal principal parts; installments fall as the balance does.

Amounts go through :class:`shared_models.money.Money` (its rounding rule, never floats). The last
installment absorbs the rounding residue, so the principal parts add up exactly to the amount.
Rates are computed with 34 significant digits before any rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Context, Decimal
from enum import StrEnum
from typing import Final

from shared_models.money import Money

__all__ = [
    "Installment",
    "Sistema",
    "monthly_rate",
    "price_schedule",
    "sac_schedule",
    "schedule",
]

_CALC: Final = Context(prec=34)
MAX_MONTHS: Final = 600

# (interest of the period, outstanding balance) -> principal part of a regular installment
_PartRule = Callable[[Money, Money], Money]


class Sistema(StrEnum):
    PRICE = "PRICE"
    SAC = "SAC"


@dataclass(frozen=True, slots=True)
class Installment:
    """One installment: its number (from 1), principal part and interest part."""

    numero: int
    amortizacao: Money
    juros: Money

    @property
    def valor(self) -> Money:
        return self.amortizacao + self.juros


def monthly_rate(annual_percent: Decimal) -> Decimal:
    """Monthly rate equivalent to a yearly rate in percent: ``(1 + a) ** (1/12) - 1``."""
    if not isinstance(annual_percent, Decimal):
        raise TypeError("a taxa anual deve ser um Decimal")
    if annual_percent < 0:
        raise ValueError("a taxa anual não pode ser negativa")
    annual = _CALC.add(1, _CALC.divide(annual_percent, 100))
    return _CALC.subtract(_CALC.power(annual, _CALC.divide(1, 12)), 1)


def _check(principal: Money, rate: Decimal, months: int) -> None:
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"o prazo deve ter de 1 a {MAX_MONTHS} meses")
    if principal.is_negative() or principal.is_zero():
        raise ValueError("o valor financiado deve ser positivo")
    if rate < 0:
        raise ValueError("a taxa mensal não pode ser negativa")


def price_schedule(principal: Money, rate: Decimal, months: int) -> list[Installment]:
    """Price (French) schedule at the monthly ``rate``: equal installments rounded to the cent;
    the last one takes the whole remaining balance."""
    _check(principal, rate, months)
    if rate.is_zero():
        exact = _CALC.divide(principal.amount, months)
    else:
        discount = _CALC.power(_CALC.add(1, rate), -months)
        exact = _CALC.divide(_CALC.multiply(principal.amount, rate), _CALC.subtract(1, discount))
    installment = Money.quantized(exact, principal.currency)
    return _amortize(principal, rate, months, lambda interest, _balance: installment - interest)


def sac_schedule(principal: Money, rate: Decimal, months: int) -> list[Installment]:
    """SAC schedule at the monthly ``rate``: equal principal parts, rounded down to the cent so
    the balance never runs out early; the last one takes the whole remaining balance."""
    _check(principal, rate, months)
    exact = _CALC.divide(principal.amount, months)
    part = Money.quantized(exact, principal.currency, rounding=ROUND_DOWN)
    return _amortize(principal, rate, months, lambda _interest, _balance: part)


def schedule(
    sistema: Sistema, principal: Money, annual_percent: Decimal, months: int
) -> list[Installment]:
    """The schedule of ``sistema`` for a yearly rate in percent."""
    rate = monthly_rate(annual_percent)
    if sistema is Sistema.SAC:
        return sac_schedule(principal, rate, months)
    return price_schedule(principal, rate, months)


def _amortize(
    principal: Money, rate: Decimal, months: int, amortization_of: _PartRule
) -> list[Installment]:
    balance = principal
    result: list[Installment] = []
    for numero in range(1, months + 1):
        interest = balance.multiply(rate)
        if numero == months:
            amortization = balance
        else:
            # Never amortize more than is owed (a tiny principal over a long term) nor less
            # than nothing (interest above the installment cannot happen with a Price payment
            # computed from this balance, but rounding must not make a part negative).
            amortization = min(
                max(amortization_of(interest, balance), Money.zero(balance.currency)), balance
            )
        result.append(Installment(numero, amortization, interest))
        balance = balance - amortization
    return result
