"""Bank data rules: COMPE codes, agency and account shapes, masks."""

from __future__ import annotations

import pytest

from shared_models import bank


@pytest.mark.parametrize(
    ("raw", "code"), [("001", "001"), ("1", "001"), (" 341 ", "341"), ("756", "756")]
)
def test_bank_codes_are_normalised(raw: str, code: str) -> None:
    assert bank.normalize_bank_code(raw) == code
    assert bank.bank_name(code) == bank.BANKS[code]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("999", "banco_desconhecido"),
        ("12a", "banco_formato"),
        ("", "banco_formato"),
        ("0001", "banco_formato"),
    ],
)
def test_unknown_or_malformed_bank_codes_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(bank.InvalidBankDataError) as exc:
        bank.normalize_bank_code(raw)
    assert exc.value.code == reason
    assert raw.strip() not in exc.value.message or not raw.strip()


@pytest.mark.parametrize(
    ("raw", "agency"),
    [("1234", "1234"), ("1234-5", "1234-5"), ("12345", "1234-5"), ("0001-x", "0001-X")],
)
def test_agencies(raw: str, agency: str) -> None:
    assert bank.normalize_agency(raw) == agency


@pytest.mark.parametrize("raw", ["123", "1234-56", "abcd", "12 34", ""])
def test_bad_agencies(raw: str) -> None:
    with pytest.raises(bank.InvalidBankDataError, match="Agência inválida"):
        bank.normalize_agency(raw)


@pytest.mark.parametrize(
    ("raw", "account"),
    [("12345-6", "12345-6"), ("123456", "12345-6"), ("0012345x", "0012345-X"), ("1-0", "1-0")],
)
def test_accounts(raw: str, account: str) -> None:
    assert bank.normalize_account(raw) == account


@pytest.mark.parametrize("raw", ["1", "-1", "1234567890123-4", "12a45-6", "12345-67"])
def test_bad_accounts(raw: str) -> None:
    with pytest.raises(bank.InvalidBankDataError, match="Conta inválida"):
        bank.normalize_account(raw)


def test_masks_keep_only_a_few_digits() -> None:
    assert bank.mask_account("12345-6") == "****5-6"
    assert bank.mask_account("1-0") == "***1-0"
    assert bank.mask_agency("1234") == "**34"
    assert bank.mask_agency("1234-5") == "**34-*"
