"""E-mail and Brazilian mobile normalisation."""

from __future__ import annotations

import pytest

from shared_models.contact import (
    InvalidEmailError,
    InvalidPhoneError,
    normalize_email,
    normalize_mobile,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Maria.Silva@Example.COM", "maria.silva@example.com"),
        ("  joao+agro@cooperativa.coop.br ", "joao+agro@cooperativa.coop.br"),
    ],
)
def test_email_is_normalised_lowercase(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "maria", "maria@", "@example.com", "maria@@example.com", "maria example@x.com"]
)
def test_malformed_email_is_refused_in_portuguese(raw: str) -> None:
    with pytest.raises(InvalidEmailError) as info:
        normalize_email(raw)
    assert "e-mail" in info.value.message.lower()


def test_overlong_email_is_refused() -> None:
    with pytest.raises(InvalidEmailError, match="longo"):
        normalize_email("a" * 250 + "@example.com")


@pytest.mark.parametrize(
    "raw",
    [
        "(11) 91234-5678",
        "11912345678",
        "11 9 1234 5678",
        "+55 11 91234-5678",
        "+5511912345678",
        "5511912345678",
        "011 91234-5678",
        "11.91234.5678",
    ],
)
def test_mobile_forms_normalise_to_e164(raw: str) -> None:
    assert normalize_mobile(raw) == "+5511912345678"


def test_ddd_55_is_not_mistaken_for_the_country_code() -> None:
    assert normalize_mobile("(55) 99123-4567") == "+5555991234567"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("(20) 91234-5678", "DDD"),  # no such area code
        ("(10) 91234-5678", "DDD"),
        ("(11) 3123-4567", "9 dígitos"),  # landline: 8 digits
        ("(11) 81234-5678", "começam com 9"),
        ("+1 415 555 0100", "brasileiro"),
        ("(11) 9123A-5678", "dígitos"),
        ("119123456789", "9 dígitos"),
        ("", "Informe"),
    ],
)
def test_invalid_mobiles_get_precise_messages(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidPhoneError) as info:
        normalize_mobile(raw)
    assert fragment in info.value.message
    assert "5678" not in info.value.message
