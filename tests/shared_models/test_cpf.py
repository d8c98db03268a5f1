from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_models.cpf import (
    InvalidCpfError,
    format_cpf,
    generate_cpf,
    is_valid_cpf,
    mask_cpf,
    normalize_cpf,
)

# Valid CPFs computed by hand from the modulo-11 rule (and widely used as examples).
KNOWN_VALID = ["529.982.247-25", "52998224725", "111.444.777-35", "123.456.789-09", "00000000191"]
KNOWN_INVALID = [
    "529.982.247-24",  # second check digit wrong
    "529.982.247-15",  # first check digit wrong
    "123.456.789-00",
    "111.111.111-11",  # repeated digits pass the arithmetic but are never issued
    "000.000.000-00",
    "99999999999",
    "5299822472",  # 10 digits
    "529982247250",  # 12 digits
    "529.982.247-2a",
    "529 982 247 25",
    "",
    "529.982.247—25",  # em dash
    "５２９９８２２４７２５",  # full-width digits
]

seeds = st.integers(min_value=0, max_value=2**64)


@pytest.mark.parametrize("cpf", KNOWN_VALID)
def test_known_valid(cpf: str) -> None:
    assert is_valid_cpf(cpf)
    assert normalize_cpf(cpf) == "".join(c for c in cpf if c.isdigit())


@pytest.mark.parametrize("cpf", KNOWN_INVALID)
def test_known_invalid(cpf: str) -> None:
    assert not is_valid_cpf(cpf)
    with pytest.raises(InvalidCpfError):
        normalize_cpf(cpf)


@pytest.mark.parametrize("value", [None, 52998224725, b"52998224725"])
def test_non_strings_are_invalid(value: object) -> None:
    assert not is_valid_cpf(value)  # type: ignore[arg-type]
    with pytest.raises(InvalidCpfError) as info:
        normalize_cpf(value)  # type: ignore[arg-type]
    assert info.value.code == "cpf_tipo"


def test_accepted_shapes() -> None:
    for shape in ["52998224725", "529.982.247-25", " 529.982.247-25 ", "529982247-25"]:
        assert normalize_cpf(shape) == "52998224725"


@pytest.mark.parametrize(
    ("cpf", "code"),
    [
        ("529.982.247-24", "cpf_digito_verificador"),
        ("111.111.111-11", "cpf_digitos_repetidos"),
        ("1234", "cpf_formato"),
    ],
)
def test_error_is_portuguese_value_error_without_the_cpf(cpf: str, code: str) -> None:
    with pytest.raises(ValueError) as info:
        normalize_cpf(cpf)
    error = info.value
    assert isinstance(error, InvalidCpfError)
    assert error.code == code
    message = str(error)
    assert message.startswith(("CPF inválido", "O CPF"))
    digits = "".join(c for c in cpf if c.isdigit())
    assert digits not in message
    assert cpf not in message
    assert digits[:3] not in message  # not even a fragment of it


def test_format_and_mask() -> None:
    assert format_cpf("52998224725") == "529.982.247-25"
    assert format_cpf("529.982.247-25") == "529.982.247-25"
    assert mask_cpf("52998224725") == "529.***.***-25"
    assert mask_cpf("123.456.789-09") == "123.***.***-09"
    with pytest.raises(InvalidCpfError):
        format_cpf("529.982.247-24")
    with pytest.raises(InvalidCpfError):
        mask_cpf("12345")


def test_mask_does_not_depend_on_validity() -> None:
    assert mask_cpf("529.982.247-24") == "529.***.***-24"


@given(seeds)
def test_generated_cpfs_are_valid(seed: int) -> None:
    cpf = generate_cpf(random.Random(seed))
    assert len(cpf) == 11
    assert cpf.isdigit()
    assert is_valid_cpf(cpf)
    assert normalize_cpf(cpf) == cpf
    assert normalize_cpf(format_cpf(cpf)) == cpf
    assert mask_cpf(cpf) == f"{cpf[:3]}.***.***-{cpf[9:]}"


@given(seeds, st.integers(min_value=0, max_value=9))
def test_generated_cpfs_carry_the_fiscal_region(seed: int, region: int) -> None:
    cpf = generate_cpf(random.Random(seed), fiscal_region=region)
    assert is_valid_cpf(cpf)
    assert cpf[8] == str(region)


def test_generation_is_deterministic_per_seed() -> None:
    first = [generate_cpf(random.Random(7)) for _ in range(3)]
    assert first == [generate_cpf(random.Random(7)) for _ in range(3)]
    rng = random.Random(7)
    assert len({generate_cpf(rng) for _ in range(200)}) == 200


def test_generate_refuses_bad_region() -> None:
    with pytest.raises(ValueError):
        generate_cpf(random.Random(1), fiscal_region=10)


@given(seeds, st.integers(min_value=9, max_value=10), st.integers(min_value=1, max_value=9))
def test_changing_a_check_digit_makes_it_invalid(seed: int, position: int, delta: int) -> None:
    cpf = generate_cpf(random.Random(seed))
    changed = cpf[:position] + str((int(cpf[position]) + delta) % 10) + cpf[position + 1 :]
    assert not is_valid_cpf(changed)


@given(seeds, st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_makes_it_invalid(seed: int, position: int, delta: int) -> None:
    """A one-digit change is caught, except in the one blind spot of the CPF rule.

    Both remainders 0 and 10 give the check digit 0, so when a check digit is 0 a change can move
    its remainder from one to the other unnoticed. A changed CPF that still validates therefore
    had to have its first check digit 0 and, unless the change was in the first digit (whose
    weight 11 leaves the second check digit untouched), its second check digit 0 too.
    """
    cpf = generate_cpf(random.Random(seed))
    changed = cpf[:position] + str((int(cpf[position]) + delta) % 10) + cpf[position + 1 :]
    if is_valid_cpf(changed):
        assert position <= 8
        assert cpf[9] == "0"
        assert position == 0 or cpf[10] == "0"


def test_the_blind_spot_exists() -> None:
    # Changing the first digit goes unnoticed for a few CPFs (the exception above), not for most.
    rng = random.Random(3)
    undetected = 0
    for _ in range(2000):
        cpf = generate_cpf(rng)
        for value in "0123456789":
            changed = value + cpf[1:]
            undetected += changed != cpf and is_valid_cpf(changed)
    assert 0 < undetected < 2000 * 9 * 0.05
