"""Exact money. Amounts travel as decimal strings with exactly the currency's ISO 4217 minor digits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from halotap.domain.currencies import MINOR_UNITS

_AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,14})(?:\.([0-9]+))?$")


class MoneyError(ValueError):
    """The amount or currency is not acceptable; the message says why in terms a PSP engineer can act on."""


@lru_cache(maxsize=512)
def minor_digits(currency: str) -> int:
    """ISO 4217 minor units of `currency`, from the maintained `iso4217` table (domain/currencies.py)."""
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise MoneyError(f"currency must be an ISO 4217 alpha-3 code such as ZAR, not {currency!r}")
    if currency not in MINOR_UNITS:
        raise MoneyError(f"{currency} is not an ISO 4217 currency")
    exponent = MINOR_UNITS[currency]
    if exponent is None:
        raise MoneyError(f"{currency} has no minor unit in ISO 4217 and cannot be charged")
    return int(exponent)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def parse(cls, amount: str, currency: str) -> Money:
        digits = minor_digits(currency)
        if not isinstance(amount, str):
            raise MoneyError('amount must be a decimal string such as "100.01", never a number')
        match = _AMOUNT.match(amount)
        if match is None:
            raise MoneyError(f'amount must be a plain decimal string such as "100.01", not {amount!r}')
        fraction = match.group(2) or ""
        if len(fraction) != digits:
            expected = f"{digits} decimal places" if digits else "no decimal places"
            raise MoneyError(f"{currency} amounts have {expected}; {amount!r} has {len(fraction)}")
        value = Decimal(amount)
        if value <= 0:
            raise MoneyError("amount must be greater than zero")
        return cls(value, currency)

    @property
    def minor_units(self) -> int:
        return int(self.amount.scaleb(minor_digits(self.currency)))

    def __str__(self) -> str:
        """The canonical string: exactly the currency's minor digits, no exponent, no float."""
        return f"{self.amount:.{minor_digits(self.currency)}f}"


def from_minor(units: int, currency: str) -> str:
    """Integer minor units as the canonical decimal string, e.g. 1050 ZAR -> "10.50"."""
    digits = minor_digits(currency)
    text = str(units).rjust(digits + 1, "0")
    return f"{text[:-digits]}.{text[-digits:]}" if digits else text
