from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halotap.domain.money import Money, MoneyError, minor_digits

# Currencies with 0, 2 and 3 minor digits, all read from the maintained ISO 4217 table.
CURRENCIES = ["JPY", "KRW", "ZAR", "USD", "EUR", "BHD", "KWD", "TND"]


def test_minor_digits_come_from_iso_4217():
    assert [minor_digits(c) for c in ("JPY", "ZAR", "BHD")] == [0, 2, 3]


@pytest.mark.parametrize("currency", ["ZZZ", "zar", "RANDS", "XAU"])
def test_unknown_malformed_or_unitless_currencies_are_refused(currency):
    with pytest.raises(MoneyError):
        minor_digits(currency)


@given(currency=st.sampled_from(CURRENCIES), minor=st.integers(min_value=1, max_value=10**15 - 1))
def test_amounts_round_trip_exactly_through_their_string_form(currency, minor):
    digits = minor_digits(currency)
    text = f"{Decimal(minor).scaleb(-digits):.{digits}f}"
    money = Money.parse(text, currency)
    assert str(money) == text
    assert money.minor_units == minor
    assert Money.parse(str(money), currency) == money


@given(
    currency=st.sampled_from(CURRENCIES),
    minor=st.integers(min_value=1, max_value=10**12),
    extra=st.integers(min_value=1, max_value=3),
    fewer=st.booleans(),
)
def test_any_other_precision_than_the_currencys_is_refused(currency, minor, extra, fewer):
    digits = minor_digits(currency)
    wrong = digits - extra if fewer and digits >= extra else digits + extra
    text = f"{Decimal(minor).scaleb(-digits):.{wrong}f}" if wrong > 0 else str(minor)
    if wrong == 0 and digits == 0:
        return  # that is the right precision after all
    with pytest.raises(MoneyError):
        Money.parse(text, currency)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("100.1", "2 decimal places"),
        ("100", "2 decimal places"),
        ("1e3", "plain decimal string"),
        ("-5.00", "plain decimal string"),
        (" 5.00", "plain decimal string"),
        ("0.00", "greater than zero"),
        ("005.00", "plain decimal string"),
    ],
)
def test_bad_amounts_say_what_is_wrong(amount, message):
    with pytest.raises(MoneyError, match=message):
        Money.parse(amount, "ZAR")


def test_a_float_is_never_money():
    with pytest.raises(MoneyError, match="never a number"):
        Money.parse(100.01, "ZAR")  # type: ignore[arg-type]


def test_yen_has_no_decimal_places():
    assert str(Money.parse("100", "JPY")) == "100"
    with pytest.raises(MoneyError, match="no decimal places"):
        Money.parse("100.00", "JPY")
