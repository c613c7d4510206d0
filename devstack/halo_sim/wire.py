"""What both of the simulator's APIs speak: Halo's error shape, the control API's, and Halo's values.

Dispositions, amounts and timestamps as Halo writes them on the wire, shared by the Halo API, the control
API and the state they both change.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

DISPOSITIONS = ("Approved", "Declined", "DeclinedOffline", "UnableToGoOnline", "Indeterminate", "Voided")
CANONICAL_DISPOSITION = {d.lower(): d for d in DISPOSITIONS}
# Halo's table says "String (e.g. 100.01)"; nothing limits the number of decimals (BHD has three).
AMOUNT_RE = re.compile(r"^-?\d+(\.\d+)?$")
CURRENCY_RE = re.compile(r"^[A-Za-z]{3}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Json = dict[str, Any]


class HaloError(Exception):
    """An error answered in Halo's shape: {"errorCode", "message": "Exxx: ...", "httpStatusCode"}."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> Json:
        return {
            "errorCode": self.code,
            "message": f"E{self.code}: {self.message}",
            "httpStatusCode": self.status,
        }


class ControlError(Exception):
    """An error of the /_sim control API, answered as {"error": message}."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def invalid(field_name: str, problem: str) -> HaloError:
    return HaloError(400, 104, f"Invalid Request: {field_name} {problem}")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wire_time(moment: datetime) -> str:
    """A timestamp as Halo writes it: ISO 8601, UTC, milliseconds, `Z`. Such strings sort as times do."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid("amount", "must be a decimal string like '100.01' or a number")
    if isinstance(value, str) and not AMOUNT_RE.match(value.strip()):
        raise invalid("amount", "must be a decimal string like '100.01'")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise invalid("amount", "is not a number") from None
    if not amount.is_finite():
        raise invalid("amount", "is not a number")
    return amount


def exponent(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def amount_text(amount: Decimal) -> str:
    """The status view's string amount: Halo's example shows "0.01"; more decimals are kept, never rounded."""
    exponent = amount.as_tuple().exponent
    return f"{amount:.2f}" if isinstance(exponent, int) and exponent >= -2 else str(amount)
