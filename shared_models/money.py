"""Money: the one way to build amounts (DESIGN.md, "Money").

- :class:`Money` is an immutable amount in one :class:`Currency`: USDC with 8 decimal places
  (``DECIMAL(18,8)``) or BRL with 2 (``DECIMAL(18,2)``). Its ``amount`` is always a ``Decimal``
  with exactly the currency's number of places, so it goes to and from the database unchanged.
- Amounts are built from ``str``, ``int`` or ``Decimal`` only. A ``float`` is refused with a
  ``TypeError``: it cannot hold most decimal fractions exactly.
- A value with more decimal places than the currency allows is refused (:class:`PrecisionError`)
  unless the caller asks for rounding explicitly with :meth:`Money.quantized` (or one of the
  operations that take a ``rounding`` argument).
- :data:`ROUNDING` (banker's rounding, ``ROUND_HALF_EVEN``) is the platform's rounding rule. It is
  stated here and nowhere else; a rule that needs another mode passes it explicitly.
- Amounts must fit the ``DECIMAL(18, places)`` column: at most ``18 - places`` integer digits
  (10 for USDC, 16 for BRL); anything larger raises :class:`AmountOutOfRangeError`.
- ``+`` and ``-`` work within one currency; mixing currencies raises
  :class:`CurrencyMismatchError`. ``*`` takes an ``int`` (always exact); multiplying by a
  ``Decimal`` rate goes through :meth:`Money.multiply`, which rounds with an explicit rule.
- :func:`allocate` splits an amount by weights with the largest-remainder method, so the parts add
  up exactly to the last unit. :func:`convert` turns BRL into USDC at a rate quoted in BRL per USDC
  (:func:`convert_to_brl` is the reverse).
- On the wire an amount is a plain decimal string with all its places (``"12.50000000"``), never a
  JSON number and never exponent notation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_05UP, ROUND_HALF_EVEN, Context, Decimal, DecimalException
from enum import StrEnum
from typing import Any, Final, NoReturn, final

__all__ = [
    "ROUNDING",
    "TOTAL_DIGITS",
    "AmountOutOfRangeError",
    "Currency",
    "CurrencyMismatchError",
    "Money",
    "MoneyError",
    "PrecisionError",
    "allocate",
    "convert",
    "convert_to_brl",
]

ROUNDING: Final[str] = ROUND_HALF_EVEN
"""The platform's rounding rule for money, unless a specific rule says otherwise."""

TOTAL_DIGITS: Final[int] = 18
"""Precision of every money column: ``DECIMAL(18, places)``."""

# Intermediate results of division and multiplication are computed to this many significant
# digits with ROUND_05UP and only then rounded to the currency's places with the requested mode.
# ROUND_05UP keeps the information "the true value lies beyond this digit", which makes the
# second rounding give the same result as rounding the exact value once (no double rounding),
# as long as the intermediate keeps at least two more fractional digits than the target. With
# results below 10**16 and 50 significant digits there are always 34 or more.
_WORK_PRECISION: Final[int] = 50

_PLAIN_DECIMAL: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


class Currency(StrEnum):
    USDC = "USDC"
    BRL = "BRL"

    @property
    def places(self) -> int:
        """Decimal places of the currency (the scale of its database column)."""
        return _PLACES[self]

    @property
    def quantum(self) -> Decimal:
        """The smallest unit as a ``Decimal`` (``0.00000001`` or ``0.01``)."""
        return Decimal(1).scaleb(-self.places, context=_context(ROUNDING))

    @property
    def max_integer_digits(self) -> int:
        """Integer digits that fit ``DECIMAL(18, places)``: 10 for USDC, 16 for BRL."""
        return TOTAL_DIGITS - self.places


_PLACES: Final[dict[Currency, int]] = {Currency.USDC: 8, Currency.BRL: 2}


class MoneyError(ValueError):
    """An amount that cannot be built or an operation that is not allowed on amounts."""


class CurrencyMismatchError(MoneyError):
    """Two amounts of different currencies were combined or compared."""


class PrecisionError(MoneyError):
    """A value has more decimal places than its currency allows and no rounding was asked for."""


class AmountOutOfRangeError(MoneyError):
    """A value does not fit the currency's ``DECIMAL(18, places)`` column."""


def _float_refused(what: str) -> NoReturn:
    raise TypeError(
        f"{what}: float is refused for money because it is inexact; "
        "pass a str, int or Decimal instead (e.g. '12.50' or Decimal('12.50'))"
    )


def _exact(value: object, what: str, *, allow_str: bool = True) -> Decimal:
    """``value`` as an exact, finite ``Decimal``; floats and other types are refused."""
    if isinstance(value, bool):
        raise TypeError(f"{what}: bool is not a number")
    if isinstance(value, float):
        _float_refused(what)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError(f"{what}: {value} is not a finite number")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and allow_str:
        if _PLAIN_DECIMAL.fullmatch(value) is None:
            raise MoneyError(
                f"{what}: {value!r} is not a plain decimal string "
                "(digits, an optional '-' sign and an optional '.' fraction; no exponent)"
            )
        return Decimal(value)
    accepted = "str, int or Decimal" if allow_str else "int or Decimal"
    raise TypeError(f"{what}: expected {accepted}, got {type(value).__name__}")


def _context(rounding: str) -> Context:
    """An explicit context, so results never depend on the thread's ambient decimal context."""
    return Context(prec=_WORK_PRECISION, rounding=rounding)


def _product(a: Decimal, b: Decimal) -> Decimal:
    """``a * b`` prepared for one final rounding (see ``_WORK_PRECISION``)."""
    try:
        return _context(ROUND_05UP).multiply(a, b)
    except DecimalException as error:  # Overflow of the exponent range
        raise AmountOutOfRangeError(f"{a} * {b} is out of range") from error


def _quotient(a: Decimal, b: Decimal) -> Decimal:
    """``a / b`` prepared for one final rounding (see ``_WORK_PRECISION``)."""
    try:
        return _context(ROUND_05UP).divide(a, b)
    except DecimalException as error:
        raise AmountOutOfRangeError(f"{a} / {b} is out of range") from error


def _check_range(value: Decimal, currency: Currency) -> None:
    if not value.is_zero() and value.adjusted() >= currency.max_integer_digits:
        raise AmountOutOfRangeError(
            f"{value:f} {currency} does not fit DECIMAL({TOTAL_DIGITS},{currency.places}): "
            f"at most {currency.max_integer_digits} integer digits"
        )


def _round_to(value: Decimal, currency: Currency, rounding: str) -> Decimal:
    """Round an exact or ROUND_05UP-prepared value to the currency's places, range-checked."""
    _check_range(value, currency)  # also keeps quantize() within the context's precision
    rounded = value.quantize(currency.quantum, context=_context(rounding))
    _check_range(rounded, currency)  # 9999999999.999999995 rounds up to 10**10
    return rounded.copy_abs() if rounded.is_zero() else rounded  # no "-0.00"


@final
class Money:
    """An immutable amount of one currency, with exactly the currency's decimal places.

    ``Money("12.5", Currency.BRL)`` is ``12.50 BRL``; ``Money("12.505", Currency.BRL)`` raises
    :class:`PrecisionError` (use :meth:`quantized` to round). Trailing zeros beyond the
    currency's places are accepted because no information is lost (``"12.500"`` is fine).
    """

    __slots__ = ("_amount", "_currency")

    _amount: Decimal
    _currency: Currency

    def __init__(self, amount: str | int | Decimal, currency: Currency) -> None:
        if not isinstance(currency, Currency):
            raise TypeError(f"currency must be a Currency, got {type(currency).__name__}")
        value = _exact(amount, "amount")
        _check_range(value, currency)
        quantized = _round_to(value, currency, ROUNDING)
        if quantized != value:
            raise PrecisionError(
                f"{value:f} has more than {currency.places} decimal places for {currency}; "
                "use Money.quantized(...) to round it explicitly"
            )
        self._init(quantized, currency)

    def _init(self, amount: Decimal, currency: Currency) -> None:
        object.__setattr__(self, "_amount", amount)
        object.__setattr__(self, "_currency", currency)

    @classmethod
    def _of(cls, amount: Decimal, currency: Currency) -> Money:
        """Internal constructor for a value already quantized and range-checked."""
        instance = object.__new__(cls)
        instance._init(amount, currency)
        return instance

    # ---- construction -------------------------------------------------------------------

    @classmethod
    def usdc(cls, amount: str | int | Decimal) -> Money:
        return cls(amount, Currency.USDC)

    @classmethod
    def brl(cls, amount: str | int | Decimal) -> Money:
        return cls(amount, Currency.BRL)

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        return cls(0, currency)

    @classmethod
    def quantized(
        cls, amount: str | int | Decimal, currency: Currency, *, rounding: str = ROUNDING
    ) -> Money:
        """Build an amount, rounding it to the currency's places with ``rounding``."""
        if not isinstance(currency, Currency):
            raise TypeError(f"currency must be a Currency, got {type(currency).__name__}")
        return cls._of(_round_to(_exact(amount, "amount"), currency, rounding), currency)

    @classmethod
    def from_units(cls, units: int, currency: Currency) -> Money:
        """Build from a count of the smallest unit (cents for BRL, 10**-8 for USDC)."""
        if isinstance(units, bool) or not isinstance(units, int):
            raise TypeError(f"units must be an int, got {type(units).__name__}")
        if abs(units) >= 10**TOTAL_DIGITS:
            raise AmountOutOfRangeError(f"{units} units of {currency} do not fit DECIMAL(18,x)")
        return cls(Decimal(units).scaleb(-currency.places, context=_context(ROUNDING)), currency)

    @classmethod
    def from_wire(cls, text: str, currency: Currency) -> Money:
        """Parse the wire form: a plain decimal string, at most the currency's places."""
        if not isinstance(text, str):
            raise TypeError(f"wire amounts are strings, got {type(text).__name__}")
        return cls(text, currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: Currency) -> Money:
        """Sum of ``amounts`` (all in ``currency``); zero when there are none."""
        result = cls.zero(currency)
        for amount in amounts:
            result = result + amount
        return result

    # ---- accessors ----------------------------------------------------------------------

    @property
    def amount(self) -> Decimal:
        """The value as a ``Decimal`` with exactly ``currency.places`` places."""
        return self._amount

    @property
    def currency(self) -> Currency:
        return self._currency

    @property
    def units(self) -> int:
        """The value as an integer count of the smallest unit."""
        return int(self._amount.scaleb(self._currency.places, context=_context(ROUNDING)))

    def to_wire(self) -> str:
        """Plain decimal string with all the currency's places, e.g. ``"12.50000000"``."""
        return format(self._amount, "f")

    def is_zero(self) -> bool:
        return self._amount.is_zero()

    def is_negative(self) -> bool:
        return self._amount < 0

    def is_positive(self) -> bool:
        return self._amount > 0

    # ---- arithmetic ---------------------------------------------------------------------

    def _same_currency(self, other: Money, operation: str) -> None:
        if other._currency is not self._currency:
            raise CurrencyMismatchError(
                f"cannot {operation} {self._currency} and {other._currency} amounts"
            )

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "add")
        result = _context(ROUNDING).add(self._amount, other._amount)  # exact: <= 19 digits
        return self._of(_round_to(result, self._currency, ROUNDING), self._currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "subtract")
        result = _context(ROUNDING).subtract(self._amount, other._amount)  # exact: <= 19 digits
        return self._of(_round_to(result, self._currency, ROUNDING), self._currency)

    def __neg__(self) -> Money:
        return self._of(
            _round_to(self._amount.copy_negate(), self._currency, ROUNDING), self._currency
        )

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return self._of(self._amount.copy_abs(), self._currency)

    def __mul__(self, factor: int) -> Money:
        """Multiply by an ``int`` (exact). Use :meth:`multiply` for a ``Decimal`` factor."""
        if isinstance(factor, float):
            _float_refused("factor")
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        # Any product that fits the column is exact within the working precision.
        product = _product(self._amount, Decimal(factor))
        return self._of(_round_to(product, self._currency, ROUNDING), self._currency)

    __rmul__ = __mul__

    def multiply(self, factor: int | Decimal, *, rounding: str = ROUNDING) -> Money:
        """``self * factor`` rounded to the currency's places with ``rounding``."""
        exact = _exact(factor, "factor", allow_str=False)
        with_05up = _product(self._amount, exact)
        return self._of(_round_to(with_05up, self._currency, rounding), self._currency)

    # ---- comparison ---------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._currency is other._currency and self._amount == other._amount

    def __hash__(self) -> int:
        return hash((self._amount, self._currency))

    def _compare(self, other: object) -> Decimal | None:
        if not isinstance(other, Money):
            return None
        self._same_currency(other, "compare")
        return other._amount

    def __lt__(self, other: Money) -> bool:
        value = self._compare(other)
        return NotImplemented if value is None else self._amount < value

    def __le__(self, other: Money) -> bool:
        value = self._compare(other)
        return NotImplemented if value is None else self._amount <= value

    def __gt__(self, other: Money) -> bool:
        value = self._compare(other)
        return NotImplemented if value is None else self._amount > value

    def __ge__(self, other: Money) -> bool:
        value = self._compare(other)
        return NotImplemented if value is None else self._amount >= value

    def __bool__(self) -> bool:
        return not self._amount.is_zero()

    # ---- immutability and display -------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Money is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Money, (self.to_wire(), self._currency))

    def __repr__(self) -> str:
        return f"Money('{self.to_wire()}', Currency.{self._currency.name})"

    def __str__(self) -> str:
        return f"{self.to_wire()} {self._currency}"


def _weights_as_integers(weights: Sequence[int | Decimal]) -> list[int]:
    """Exact integer weights proportional to ``weights`` (all scaled by one power of ten)."""
    exact = [_exact(w, "weight", allow_str=False) for w in weights]
    if any(w < 0 for w in exact):
        raise MoneyError("allocation weights must not be negative")
    scale = max(max(0, -int(w.as_tuple().exponent)) for w in exact)
    integers = []
    for w in exact:
        _sign, digits, exponent = w.as_tuple()
        coefficient = int("".join(map(str, digits)) or "0")
        integers.append(coefficient * 10 ** (int(exponent) + scale))
    return integers


def allocate(total: Money, weights: Sequence[int | Decimal]) -> list[Money]:
    """Split ``total`` in proportion to ``weights`` so that the parts add up exactly.

    Largest-remainder method on the smallest unit: every part first gets the floor of its exact
    share; the units left over go one each to the parts with the largest remainders, ties broken
    by the lower index. Each part is therefore within one unit of its exact share, a zero weight
    gets zero, and for a non-negative total no part is negative (a negative total is split as its
    absolute value, then negated).
    """
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
        raise TypeError("weights must be a sequence of int or Decimal")
    if not weights:
        raise MoneyError("cannot allocate among zero weights")
    integers = _weights_as_integers(weights)
    weight_sum = sum(integers)
    if weight_sum == 0:
        raise MoneyError("allocation weights must not all be zero")
    units = total.units
    sign = -1 if units < 0 else 1
    units = abs(units)
    shares = [divmod(units * w, weight_sum) for w in integers]
    parts = [floor for floor, _ in shares]
    leftover = units - sum(parts)  # 0 <= leftover < len(weights)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-shares[i][1], i))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return [Money.from_units(sign * part, total.currency) for part in parts]


def _rate(rate: object) -> Decimal:
    value = _exact(rate, "rate", allow_str=False)
    if value <= 0:
        raise MoneyError(f"rate must be positive, got {value}")
    return value


def convert(amount_brl: Money, rate: Decimal | int, *, rounding: str = ROUNDING) -> Money:
    """BRL → USDC at ``rate`` quoted in BRL per USDC: ``amount_brl / rate``, rounded."""
    if amount_brl.currency is not Currency.BRL:
        raise CurrencyMismatchError(f"convert() takes a BRL amount, got {amount_brl.currency}")
    quotient = _quotient(amount_brl.amount, _rate(rate))
    return Money.quantized(quotient, Currency.USDC, rounding=rounding)


def convert_to_brl(amount_usdc: Money, rate: Decimal | int, *, rounding: str = ROUNDING) -> Money:
    """USDC → BRL at ``rate`` quoted in BRL per USDC: ``amount_usdc * rate``, rounded."""
    if amount_usdc.currency is not Currency.USDC:
        raise CurrencyMismatchError(
            f"convert_to_brl() takes a USDC amount, got {amount_usdc.currency}"
        )
    product = _product(amount_usdc.amount, _rate(rate))
    return Money.quantized(product, Currency.BRL, rounding=rounding)
