from __future__ import annotations

import copy
import pickle
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shared_models import money
from shared_models.money import (
    ROUNDING,
    AmountOutOfRangeError,
    Currency,
    CurrencyMismatchError,
    Money,
    MoneyError,
    PrecisionError,
    allocate,
    convert,
    convert_to_brl,
)

USDC = Currency.USDC
BRL = Currency.BRL

currencies = st.sampled_from(list(Currency))


MAX_UNITS = int(10**money.TOTAL_DIGITS) - 1  # DECIMAL(18, x) holds 18 digits whatever the scale


@st.composite
def amounts(
    draw: st.DrawFn,
    currency: Currency | None = None,
    *,
    min_units: int = -MAX_UNITS,
    max_units: int = MAX_UNITS,
) -> Money:
    cur = currency if currency is not None else draw(currencies)
    return Money.from_units(draw(st.integers(min_value=min_units, max_value=max_units)), cur)


weights_ints = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(
    lambda ws: sum(ws) > 0
)
weights_decimals = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=30,
).filter(lambda ws: sum(ws) > 0)


def _fraction(m: Money) -> Fraction:
    return Fraction(m.amount)


def _round_fraction(value: Fraction, places: int, rounding: str) -> Decimal:
    """Reference rounding of an exact rational, independent of the module under test."""
    scaled = value * 10**places
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    if rounding == ROUND_HALF_EVEN:
        up = rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1)
    elif rounding == ROUND_HALF_UP:  # half away from zero; floor is toward -inf
        up = rest >= Fraction(1, 2) if value >= 0 else rest > Fraction(1, 2)
    else:
        raise AssertionError(rounding)
    return Decimal(floor + int(up)).scaleb(-places)


# ---- construction ----------------------------------------------------------------------------


def test_rounding_rule_is_half_even() -> None:
    assert ROUNDING == ROUND_HALF_EVEN


def test_currencies_have_their_column_scale() -> None:
    assert USDC.places == 8
    assert BRL.places == 2
    assert USDC.quantum == Decimal("0.00000001")
    assert BRL.quantum == Decimal("0.01")
    assert USDC.max_integer_digits == 10
    assert BRL.max_integer_digits == 16


@pytest.mark.parametrize(
    ("value", "currency", "wire"),
    [
        ("12.5", USDC, "12.50000000"),
        ("12.5", BRL, "12.50"),
        (12, BRL, "12.00"),
        (Decimal("0.00000001"), USDC, "0.00000001"),
        ("-3.1", BRL, "-3.10"),
        ("-0", BRL, "0.00"),
        ("1.500", BRL, "1.50"),  # trailing zeros lose nothing
        (Decimal("1E+3"), USDC, "1000.00000000"),
        ("0007.25", BRL, "7.25"),
    ],
)
def test_constructor_normalises_to_currency_places(
    value: str | int | Decimal, currency: Currency, wire: str
) -> None:
    m = Money(value, currency)
    assert m.to_wire() == wire
    assert m.amount == Decimal(wire)
    assert m.amount.as_tuple().exponent == -currency.places
    assert m.currency is currency


def test_shortcut_constructors() -> None:
    assert Money.usdc("1") == Money("1", USDC)
    assert Money.brl("1") == Money("1", BRL)
    assert Money.zero(BRL).is_zero()
    assert Money.from_units(1250, BRL) == Money.brl("12.50")
    assert Money.brl("12.50").units == 1250
    assert Money.usdc("1").units == 100_000_000


@pytest.mark.parametrize("value", ["1.005", "0.001", Decimal("12.345")])
def test_too_many_places_refused_for_brl(value: str | Decimal) -> None:
    with pytest.raises(PrecisionError, match=r"Money\.quantized"):
        Money(value, BRL)


def test_too_many_places_refused_for_usdc() -> None:
    with pytest.raises(PrecisionError):
        Money.usdc("0.000000001")


def test_explicit_quantize_rounds_half_even_by_default() -> None:
    assert Money.quantized("1.005", BRL) == Money.brl("1.00")
    assert Money.quantized("1.015", BRL) == Money.brl("1.02")
    assert Money.quantized("-1.005", BRL) == Money.brl("-1.00")
    assert Money.quantized("1.005", BRL, rounding=ROUND_HALF_UP) == Money.brl("1.01")
    assert Money.quantized("0.000000005", USDC) == Money.zero(USDC)
    assert Money.quantized("-0.001", BRL).to_wire() == "0.00"  # never "-0.00"


@pytest.mark.parametrize("value", ["1e3", "1E-2", "1,50", "", " 1", "1.", ".5", "+1", "NaN", "١٢"])
def test_non_plain_strings_refused(value: str) -> None:
    with pytest.raises(MoneyError, match="plain decimal string"):
        Money(value, BRL)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_non_finite_refused(value: Decimal) -> None:
    with pytest.raises(MoneyError, match="finite"):
        Money(value, USDC)


@pytest.mark.parametrize("value", [True, None, b"1", [1], Fraction(1, 2)])
def test_other_types_refused(value: object) -> None:
    with pytest.raises(TypeError):
        Money(value, BRL)  # type: ignore[arg-type]


def test_currency_must_be_a_currency() -> None:
    with pytest.raises(TypeError, match="Currency"):
        Money("1", "BRL")  # type: ignore[arg-type]


def test_range_of_decimal_18_x() -> None:
    assert Money.usdc("9999999999.99999999").to_wire() == "9999999999.99999999"
    assert Money.usdc("-9999999999.99999999").is_negative()
    assert Money.brl("9999999999999999.99").units == 10**18 - 1
    with pytest.raises(AmountOutOfRangeError, match="10 integer digits"):
        Money.usdc("10000000000")
    with pytest.raises(AmountOutOfRangeError):
        Money.brl("10000000000000000")
    with pytest.raises(AmountOutOfRangeError):
        Money.quantized("9999999999.999999995", USDC)  # rounds up out of range
    with pytest.raises(AmountOutOfRangeError):
        Money.usdc("9999999999.99999999") + Money.usdc("0.00000001")
    with pytest.raises(AmountOutOfRangeError):
        Money.from_units(10**18, BRL)
    with pytest.raises(AmountOutOfRangeError):
        Money.usdc("1" * 5000)
    with pytest.raises(AmountOutOfRangeError):
        Money.usdc("10").multiply(Decimal("9E+999999"))  # beyond the exponent range
    with pytest.raises(AmountOutOfRangeError):
        convert(Money.brl("1"), Decimal("1E-999999"))
    assert Money.usdc("1").multiply(Decimal("1E-999999")) == Money.zero(USDC)


def test_immutable() -> None:
    m = Money.brl("1")
    with pytest.raises(AttributeError):
        m._amount = Decimal(2)
    with pytest.raises(AttributeError):
        m.extra = 1
    with pytest.raises(AttributeError):
        del m._currency
    assert copy.copy(m) == m
    assert copy.deepcopy(m) == m
    assert pickle.loads(pickle.dumps(m)) == m


def test_independent_of_ambient_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_DOWN
        assert (Money.usdc("1234.56789012") + Money.usdc("1")).to_wire() == "1235.56789012"
        assert (Money.brl("123456.78") * 3).to_wire() == "370370.34"
        assert convert(Money.brl("1000.00"), Decimal("5.40")).to_wire() == "185.18518519"
        assert (-Money.usdc("1234.56789012")).to_wire() == "-1234.56789012"


def test_repr_and_str() -> None:
    assert repr(Money.brl("1.5")) == "Money('1.50', Currency.BRL)"
    assert str(Money.usdc("1.5")) == "1.50000000 USDC"


# ---- arithmetic and comparison ---------------------------------------------------------------


def test_arithmetic_examples() -> None:
    a = Money.brl("10.10")
    b = Money.brl("0.20")
    assert a + b == Money.brl("10.30")
    assert a - b == Money.brl("9.90")
    assert -a == Money.brl("-10.10")
    assert abs(-a) == a
    assert +a is a
    assert a * 3 == Money.brl("30.30")
    assert 3 * a == Money.brl("30.30")
    assert a.multiply(Decimal("0.015")) == Money.brl("0.15")  # 0.1515 → 0.15
    assert Money.brl("0.50").multiply(Decimal("0.05")) == Money.brl("0.02")  # 0.025 → 0.02 (even)
    assert Money.brl("0.50").multiply(Decimal("0.05"), rounding=ROUND_HALF_UP) == Money.brl("0.03")
    assert Money.total([a, b, b], BRL) == Money.brl("10.50")
    assert Money.total([], USDC) == Money.zero(USDC)
    assert bool(Money.zero(BRL)) is False
    assert bool(a) is True


def test_mul_refuses_decimal_and_float() -> None:
    a = Money.brl("1")
    with pytest.raises(TypeError):
        a * Decimal("1.5")  # type: ignore[operator]
    with pytest.raises(TypeError, match="float"):
        a * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError, match="float"):
        a.multiply(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        a * True
    with pytest.raises(TypeError):
        a + 1  # type: ignore[operator]


def test_comparison_examples() -> None:
    assert Money.brl("1.00") < Money.brl("1.01")
    assert Money.brl("1.00") <= Money.brl("1")
    assert Money.usdc("2") > Money.usdc("1.99999999")
    assert Money.usdc("2") >= Money.usdc("2")
    assert Money.brl("1") != Money.usdc("1")  # different currencies are never equal
    assert Money.brl("1") != Decimal("1")
    assert len({Money.brl("1"), Money.brl("1.00"), Money.usdc("1")}) == 2
    with pytest.raises(TypeError):
        _ = Money.brl("1") < 1  # type: ignore[operator]


@given(amounts(), amounts())
def test_currency_mixing_refused(a: Money, b: Money) -> None:
    assume(a.currency is not b.currency)
    for operation in (
        lambda: a + b,
        lambda: a - b,
        lambda: a < b,
        lambda: a <= b,
        lambda: a > b,
        lambda: a >= b,
        lambda: Money.total([a, b], a.currency),
    ):
        with pytest.raises(CurrencyMismatchError):
            operation()


@given(st.data(), currencies)
def test_addition_is_exact(data: st.DataObject, currency: Currency) -> None:
    half = MAX_UNITS // 2
    a = data.draw(amounts(currency, min_units=-half, max_units=half))
    b = data.draw(amounts(currency, min_units=-half, max_units=half))
    assert (a + b).units == a.units + b.units
    assert a + b == b + a
    assert a + b - b == a
    assert a - a == Money.zero(currency)
    assert (a < b) == (a.units < b.units)
    assert (a == b) == (a.units == b.units)


@given(amounts(), st.decimals(min_value=-1000, max_value=1000, places=6, allow_nan=False))
def test_multiply_rounds_exact_product_once(a: Money, factor: Decimal) -> None:
    exact = _fraction(a) * Fraction(factor)
    expected = _round_fraction(exact, a.currency.places, ROUND_HALF_EVEN)
    if abs(expected) >= Decimal(10) ** a.currency.max_integer_digits:
        with pytest.raises(AmountOutOfRangeError):
            a.multiply(factor)
    else:
        assert a.multiply(factor).amount == expected


@given(st.floats(allow_nan=True, allow_infinity=True), currencies)
def test_float_refused_everywhere(value: float, currency: Currency) -> None:
    with pytest.raises(TypeError, match="float"):
        Money(value, currency)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        Money.quantized(value, currency)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        Money.zero(currency).multiply(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        convert(Money.brl("1"), value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        allocate(Money.brl("1"), [1, value])  # type: ignore[list-item]


# ---- wire format -----------------------------------------------------------------------------


@given(amounts())
def test_wire_round_trip(m: Money) -> None:
    wire = m.to_wire()
    assert isinstance(wire, str)
    assert "e" not in wire.lower()
    integer, _, fraction = wire.lstrip("-").partition(".")
    assert len(fraction) == m.currency.places
    assert integer.isdigit()
    assert Money.from_wire(wire, m.currency) == m


def test_from_wire_examples() -> None:
    assert Money.from_wire("12.50000000", USDC) == Money.usdc("12.5")
    assert Money.from_wire("12.5", USDC).to_wire() == "12.50000000"
    assert Money.usdc("0.00000001").to_wire() == "0.00000001"  # str(Decimal) would say 1E-8
    with pytest.raises(PrecisionError):
        Money.from_wire("12.500000001", USDC)
    with pytest.raises(MoneyError):
        Money.from_wire("1.2E+3", USDC)
    with pytest.raises(TypeError, match="strings"):
        Money.from_wire(Decimal("1"), USDC)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="strings"):
        Money.from_wire(12, BRL)  # type: ignore[arg-type]


# ---- allocation ------------------------------------------------------------------------------


def _check_allocation(total: Money, weights: list[int] | list[Decimal]) -> list[Money]:
    exact_weights = [Fraction(w) for w in weights]
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert all(p.currency is total.currency for p in parts)
    assert sum(p.units for p in parts) == total.units
    weight_sum = sum(exact_weights)
    for part, weight in zip(parts, exact_weights, strict=True):
        exact_units = Fraction(total.units) * weight / weight_sum
        assert abs(part.units - exact_units) < 1
        if weight == 0:
            assert part.is_zero()
    return parts


@given(amounts(), weights_ints)
def test_allocation_sums_exactly_and_stays_within_one_unit(
    total: Money, weights: list[int]
) -> None:
    _check_allocation(total, weights)


@given(amounts(), weights_decimals)
def test_allocation_with_decimal_weights(total: Money, weights: list[Decimal]) -> None:
    _check_allocation(total, weights)


@given(amounts(min_units=0), weights_ints)
def test_allocation_never_negative_for_non_negative_total(total: Money, weights: list[int]) -> None:
    assert all(not p.is_negative() for p in allocate(total, weights))


@given(amounts(), weights_ints)
def test_allocation_is_deterministic_and_scale_invariant(total: Money, weights: list[int]) -> None:
    assert allocate(total, weights) == allocate(total, weights)
    assert allocate(total, weights) == allocate(total, [w * 7 for w in weights])
    assert allocate(total, weights) == allocate(total, [Decimal(w) / 4 for w in weights])


def test_allocation_examples() -> None:
    assert allocate(Money.brl("100.00"), [1, 1, 1]) == [
        Money.brl("33.34"),
        Money.brl("33.33"),
        Money.brl("33.33"),
    ]
    # Ties go to the lower index; the largest remainder wins first.
    assert allocate(Money.brl("0.05"), [1, 1, 1, 1, 1, 1]) == [Money.brl("0.01")] * 5 + [
        Money.zero(BRL)
    ]
    assert allocate(Money.brl("1.00"), [1, 2]) == [Money.brl("0.33"), Money.brl("0.67")]
    assert allocate(Money.brl("-1.00"), [1, 2]) == [Money.brl("-0.33"), Money.brl("-0.67")]
    assert allocate(Money.usdc("10"), [0, 3, 0]) == [
        Money.zero(USDC),
        Money.usdc("10"),
        Money.zero(USDC),
    ]
    assert allocate(Money.usdc("1"), [Decimal("0.5"), 1]) == [
        Money.usdc("0.33333333"),
        Money.usdc("0.66666667"),
    ]


@pytest.mark.parametrize(
    ("weights", "error"),
    [
        ([], MoneyError),
        ([0, 0], MoneyError),
        ([1, -1, 2], MoneyError),
        ([Decimal("NaN")], MoneyError),
        (["1", "2"], TypeError),
        ([True, 1], TypeError),
    ],
)
def test_allocation_refuses_bad_weights(weights: list[object], error: type[Exception]) -> None:
    with pytest.raises(error):
        allocate(Money.brl("1"), weights)  # type: ignore[arg-type]


def test_allocation_refuses_non_sequence() -> None:
    with pytest.raises(TypeError):
        allocate(Money.brl("1"), iter([1, 2]))  # type: ignore[arg-type]


# ---- conversion ------------------------------------------------------------------------------

rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("100"), places=4)


@given(amounts(BRL, min_units=-(10**13), max_units=10**13), rates)
def test_convert_is_correctly_rounded(amount: Money, rate: Decimal) -> None:
    exact = _fraction(amount) / Fraction(rate)
    expected = _round_fraction(exact, 8, ROUND_HALF_EVEN)
    if abs(expected) >= Decimal(10) ** 10:
        with pytest.raises(AmountOutOfRangeError):
            convert(amount, rate)
        return
    usdc = convert(amount, rate)
    assert usdc.currency is USDC
    assert usdc.amount == expected
    assert convert(amount, rate, rounding=ROUND_HALF_UP).amount == _round_fraction(
        exact, 8, ROUND_HALF_UP
    )


@given(amounts(USDC, min_units=-(10**16), max_units=10**16), rates)
def test_convert_to_brl_is_correctly_rounded(amount: Money, rate: Decimal) -> None:
    exact = _fraction(amount) * Fraction(rate)
    brl = convert_to_brl(amount, rate)
    assert brl.currency is BRL
    assert brl.amount == _round_fraction(exact, 2, ROUND_HALF_EVEN)


def test_convert_examples() -> None:
    rate = Decimal("5.40")
    assert convert(Money.brl("540.00"), rate) == Money.usdc("100")
    assert convert(Money.brl("1000.00"), rate) == Money.usdc("185.18518519")
    assert convert_to_brl(Money.usdc("100"), rate) == Money.brl("540.00")
    assert convert(Money.brl("1"), 3) == Money.usdc("0.33333333")
    # Exactly half a unit: banker's rounding keeps the even digit.
    assert convert(Money.brl("0.01"), Decimal("2000000")) == Money.usdc("0")
    assert convert(Money.brl("0.03"), Decimal("2000000")) == Money.usdc("0.00000002")


def test_convert_refusals() -> None:
    with pytest.raises(CurrencyMismatchError):
        convert(Money.usdc("1"), Decimal("5.40"))
    with pytest.raises(CurrencyMismatchError):
        convert_to_brl(Money.brl("1"), Decimal("5.40"))
    for bad in (Decimal(0), Decimal("-5.40"), Decimal("NaN")):
        with pytest.raises(MoneyError):
            convert(Money.brl("1"), bad)
    with pytest.raises(TypeError):
        convert(Money.brl("1"), "5.40")  # type: ignore[arg-type]
    with pytest.raises(AmountOutOfRangeError):
        convert(Money.brl("1000000"), Decimal("0.00001"))
