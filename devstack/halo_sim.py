"""Halo Dot backend simulator for local development and tests.

Serves the part of Halo's kernelserver API that halotap calls (create a deep link
on ``/consumer/qrCode`` or ``/consumer/applink``, read its status on
``/consumer/QRCode/{reference}``) and a ``/_sim`` control API that stands in for
the customer's phone: tap a card with a chosen disposition, send (duplicate,
late or contradictory) webhooks, and inject faults into the Halo API calls.

It follows Halo's public documentation (the halo-dot/halo-documentation repository; see
docs/architecture.md, "Calling Halo") and accepts each documented variant: merchantId as string or integer, amount as string or number, ``image``
or ``Image``, an optional version segment before ``/consumer`` and either case
of ``qrCode`` in the path. It refuses only what the documentation requires; where the documentation is
silent (how many decimals an amount has, whether it may be zero), it accepts. devstack/README.md lists
each of those assumptions.

Run standalone with ``python -m devstack.halo_sim --port 4010 --merchant KEY=MID``.
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import itertools
import json
import logging
import re
import secrets
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import httpx
import segno

from devstack import redact
from devstack.http_server import MISSING, FaultQueue, JsonHttpServer, Request, Response, json_response
from halotap.domain.currencies import MINOR_UNITS

log = logging.getLogger("devstack.halo_sim")

DISPOSITIONS = ("Approved", "Declined", "DeclinedOffline", "UnableToGoOnline", "Indeterminate", "Voided")
FAULT_MODES = ("timeout", "error500", "malformed", "slow")
CALL_KINDS = ("create", "status", "refund", "history")  # a fault may be aimed at one kind of Halo call
WEBHOOK_TIMEOUT_SECONDS = 10.0
MAX_WEBHOOK_TIMES = 100
STOP_JOIN_SECONDS = 5.0
# Memory bounds for a long-running devstack (devstack/README.md, "Bounds"): the newest entries are kept.
MAX_LOGGED_REQUESTS = 1000
MAX_DELIVERIES_PER_TRANSACTION = 100
MAX_PLANT = 200_000  # records one POST /_sim/ledger/transactions may add

_CANONICAL_DISPOSITION = {d.lower(): d for d in DISPOSITIONS}
_LINK_ALPHABET = string.ascii_letters + string.digits
# Halo's table says "String (e.g. 100.01)"; nothing limits the number of decimals (BHD has three).
_AMOUNT_RE = re.compile(r"^-?\d+(\.\d+)?$")
_CURRENCY_RE = re.compile(r"^[A-Za-z]{3}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VERSION = r"(?:/\d+(?:\.\d+)*)?"  # older docs put "/1.0.12" before "/consumer"

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


def _invalid(field_name: str, problem: str) -> HaloError:
    return HaloError(400, 104, f"Invalid Request: {field_name} {problem}")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _Transaction:
    reference: str
    merchant_id: str
    payment_reference: str
    amount: Decimal
    currency: str
    endpoint: str
    url: str
    transaction_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # Halo's backend transaction id
    consumer_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # the webhook's `id`
    user_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    device_installation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    disposition: str | None = None
    authorisation_code: str | None = None
    payment_provider_reference: str = field(default_factory=lambda: secrets.token_hex(8))
    webhook_url: str | None = None
    webhook_deliveries: deque[Json] = field(
        default_factory=lambda: deque(maxlen=MAX_DELIVERIES_PER_TRANSACTION)
    )
    webhooks_pending: int = 0  # sends accepted by the control API whose outcome is not recorded yet
    approved_at: float | None = None  # monotonic time of the approval, for the refund window
    refunded: Decimal = Decimal(0)
    ledger_record: LedgerRecord | None = None  # from the first tap on: its record in the ledger

    def tap(self, disposition: str) -> None:
        self.disposition = disposition
        approved = disposition == "Approved"
        self.approved_at = time.monotonic() if approved else None
        self.authorisation_code = secrets.token_hex(4).upper() if approved else None
        self.payment_provider_reference = secrets.token_hex(8)
        self.updated_at = _now()

    def status_view(self) -> Json:
        tapped = self.disposition is not None
        return {
            "qrCodeState": "ResponseReceivedByPhone" if tapped else "QRCodeGenerated",
            "transactionId": self.transaction_id,
            "merchantTransactionReference": self.payment_reference,
            "userId": self.user_id,
            "status": "AcknowledgedByPhone" if tapped else "RequestReceived",
            "disposition": self.disposition,
            "amount": _amount_text(self.amount),
            "currency": self.currency,
            "type": "Purchase",
            "responseCode": None if not tapped else ("0" if self.disposition == "Approved" else "05"),
            "authorisationCode": self.authorisation_code,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "paymentReference": self.payment_reference,
        }

    def webhook_payload(self) -> Json:
        payload: Json = {
            "id": self.consumer_id,
            "merchantReference": self.payment_reference,
            "disposition": self.disposition,
            "paymentProviderReference": self.payment_provider_reference,
            "authorisationCode": self.authorisation_code,
            "amount": float(self.amount),  # Halo documents the webhook amount as a number
            "currency": self.currency,
            "haloReference": self.transaction_id,  # as documented: the backend transaction id
            "deviceInstallationId": self.device_installation_id,
        }
        if self.ledger_record is not None:  # the same keys and fee as the ledger shows for it
            payload["paymentProviderFields"] = self.ledger_record.provider_fields()
            payload["transactionFee"] = str(self.ledger_record.fee)
        if payload["authorisationCode"] is None:
            del payload["authorisationCode"]
        return payload


# --------------------------------------------------------------------------- the ledger (GET /transactions)

FEE_RATE = Decimal("0.029")  # what the simulator charges on money taken: 2.9% of an approved purchase
MAX_PAGE = 1000
DEFAULT_PAGE = 100


def _minor_digits(currency: str) -> int:
    digits = MINOR_UNITS.get(currency.upper())
    return 2 if digits is None else digits


def _fee(amount: Decimal, currency: str) -> Decimal:
    return (amount * FEE_RATE).quantize(Decimal(1).scaleb(-_minor_digits(currency)), ROUND_HALF_UP)


def _wire_time(moment: datetime) -> str:
    """createdAt as Halo writes it: ISO 8601, UTC, milliseconds, `Z`. Such strings sort as times do."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class LedgerRecord:
    """One record of Halo's transaction history, as the simulator keeps it."""

    id: str
    merchant_id: str
    merchant_reference: str
    transaction_type: str  # "Purchase" | "Refund"
    disposition: str
    amount: Decimal
    currency: str
    created_at: str  # _wire_time: the sort key, with `id`
    original_transaction_id: str | None = None
    fee: Decimal = Decimal(0)
    recon_reference: str = field(default_factory=lambda: secrets.token_hex(6).upper())

    @property
    def key(self) -> tuple[str, str]:
        return (self.created_at, self.id)

    def provider_fields(self) -> Json:
        """iVeri's reconciliation keys, from createdAt's UTC date and time (the acquirer's own clock)."""
        digits = self.created_at.replace("-", "").replace(":", "")  # 20261207T100000.123Z
        return {
            "reconReference": self.recon_reference,
            "acquirerDate": digits[:8],
            "acquirerTime": digits[9:15],
        }

    def view(self) -> Json:
        return {
            "id": self.id,
            "merchantReference": self.merchant_reference,
            "merchantTransactionReference": self.merchant_reference,  # the name in Halo's own example
            "disposition": self.disposition,
            "amount": _amount_text(self.amount),
            "currency": self.currency,
            "createdAt": self.created_at,
            "transactionType": self.transaction_type,
            "originalTransactionId": self.original_transaction_id,
            "transactionFee": str(self.fee),
            "paymentProviderFields": self.provider_fields(),
        }


def charged_fee(transaction_type: str, disposition: str, amount: Decimal, currency: str) -> Decimal:
    """A fee only on money taken: an approved purchase pays FEE_RATE; a decline or a refund pays nothing."""
    if transaction_type == "Purchase" and disposition == "Approved":
        return _fee(amount, currency)
    return Decimal(0).quantize(Decimal(1).scaleb(-_minor_digits(currency)))


@dataclass(frozen=True)
class LedgerQuery:
    """GET /transactions' filters, checked. `start`/`end` are _wire_time strings; `end_inclusive` False
    when `end` is the next day's midnight (an endDate given as a date means the whole of that day)."""

    start: str | None = None
    end: str | None = None
    end_inclusive: bool = True
    merchant_reference: str | None = None
    disposition: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    limit: int = DEFAULT_PAGE
    offset: int = 0

    def keeps(self, record: LedgerRecord) -> bool:
        return (
            (self.merchant_reference is None or record.merchant_reference == self.merchant_reference)
            and (self.disposition is None or record.disposition == self.disposition)
            and (self.min_amount is None or record.amount >= self.min_amount)
            and (self.max_amount is None or record.amount <= self.max_amount)
        )

    @property
    def filters_records(self) -> bool:
        return any(
            v is not None
            for v in (self.merchant_reference, self.disposition, self.min_amount, self.max_amount)
        )


class Ledger:
    """Every merchant's records, each merchant's kept sorted by (createdAt, id) as they are added.

    A page is a bisect for the date window and a slice for limit/offset, so paging through 100,000
    records of one day never sorts or scans the day again. Not thread-safe: the simulator's lock guards it.
    """

    def __init__(self) -> None:
        self._records: dict[str, list[LedgerRecord]] = {}  # merchantId -> sorted by key
        self._keys: dict[str, list[tuple[str, str]]] = {}  # the same order, keys only (for bisect)
        self._by_id: dict[str, LedgerRecord] = {}
        self._by_reference: dict[str, list[LedgerRecord]] = {}

    def clear(self) -> None:
        self._records.clear()
        self._keys.clear()
        self._by_id.clear()
        self._by_reference.clear()

    def add(self, record: LedgerRecord) -> None:
        records = self._records.setdefault(record.merchant_id, [])
        keys = self._keys.setdefault(record.merchant_id, [])
        at = bisect.bisect_right(keys, record.key)
        keys.insert(at, record.key)
        records.insert(at, record)
        self._index(record)

    def add_many(self, batch: list[LedgerRecord]) -> None:
        """One sort per merchant for the whole batch: planting 100,000 records stays cheap."""
        for merchant_id in {r.merchant_id for r in batch}:
            records = self._records.setdefault(merchant_id, [])
            records.extend(r for r in batch if r.merchant_id == merchant_id)
            records.sort(key=lambda r: r.key)
            self._keys[merchant_id] = [r.key for r in records]
        for record in batch:
            self._index(record)

    def _index(self, record: LedgerRecord) -> None:
        self._by_id[record.id] = record
        self._by_reference.setdefault(record.merchant_reference, []).append(record)

    def get(self, record_id: str) -> LedgerRecord | None:
        return self._by_id.get(record_id)

    def by_reference(self, reference: str) -> list[LedgerRecord]:
        return list(self._by_reference.get(reference, ()))

    def page(self, merchant_id: str, query: LedgerQuery) -> list[LedgerRecord]:
        records = self._records.get(merchant_id, [])
        keys = self._keys.get(merchant_id, [])
        low = 0 if query.start is None else bisect.bisect_left(keys, (query.start, ""))
        if query.end is None:
            high = len(keys)
        elif query.end_inclusive:
            high = bisect.bisect_right(keys, (query.end, "\U0010ffff"))
        else:
            high = bisect.bisect_left(keys, (query.end, ""))
        if not query.filters_records:
            start = low + query.offset
            return records[start : min(high, start + query.limit)]
        kept = (r for r in itertools.islice(records, low, high) if query.keeps(r))
        return list(itertools.islice(kept, query.offset, query.offset + query.limit))


def _query_value(request: Request, name: str) -> str | None:
    values = request.query.get(name)
    return values[-1] if values else None


def _bound(request: Request, name: str, *, end: bool) -> tuple[str | None, bool]:
    """A YYYY-MM-DD date or an ISO 8601 timestamp (zoneless: UTC) -> (_wire_time, inclusive)."""
    text = _query_value(request, name)
    if text is None:
        return None, True
    if _DATE_RE.match(text):
        try:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise _invalid(name, "is not a date") from None
        return (_wire_time(day + timedelta(days=1)), False) if end else (_wire_time(day), True)
    problem = "must be a date (YYYY-MM-DD) or an ISO 8601 timestamp"
    if "T" not in text:
        raise _invalid(name, problem)
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+"))  # an unencoded "+" arrives as a space
    except ValueError:
        raise _invalid(name, problem) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not end and moment.microsecond % 1000:  # createdAt has milliseconds: round a start up, not down
        moment += timedelta(microseconds=1000 - moment.microsecond % 1000)
    return _wire_time(moment), True


def _query_int(request: Request, name: str, default: int, minimum: int, maximum: int) -> int:
    text = _query_value(request, name)
    if text is None:
        return default
    if not text.isdigit() or not minimum <= int(text) <= maximum:
        raise _invalid(name, f"must be a whole number from {minimum} to {maximum}")
    return int(text)


def _query_amount(request: Request, name: str) -> Decimal | None:
    text = _query_value(request, name)
    if text is None:
        return None
    if not _AMOUNT_RE.match(text):
        raise _invalid(name, "must be a decimal number like 100.01")
    return Decimal(text)


def parse_ledger_query(request: Request) -> LedgerQuery:
    start, _ = _bound(request, "startDate", end=False)
    end, end_inclusive = _bound(request, "endDate", end=True)
    disposition = _query_value(request, "transactionDisposition")
    if disposition is not None:
        canonical = _CANONICAL_DISPOSITION.get(disposition.lower())
        if canonical is None:
            raise _invalid("transactionDisposition", f"must be one of {', '.join(DISPOSITIONS)}")
        disposition = canonical
    return LedgerQuery(
        start=start,
        end=end,
        end_inclusive=end_inclusive,
        merchant_reference=_query_value(request, "merchantReference"),
        disposition=disposition,
        min_amount=_query_amount(request, "minAmount"),
        max_amount=_query_amount(request, "maxAmount"),
        limit=_query_int(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE),
        offset=_query_int(request, "offset", 0, 0, 10**9),
    )


# --------------------------------------------------------------------------- request validation


def _parse_amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _invalid("amount", "must be a decimal string like '100.01' or a number")
    if isinstance(value, str) and not _AMOUNT_RE.match(value.strip()):
        raise _invalid("amount", "must be a decimal string like '100.01'")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _invalid("amount", "is not a number") from None
    if not amount.is_finite():
        raise _invalid("amount", "is not a number")
    return amount


def _exponent(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _amount_text(amount: Decimal) -> str:
    """The status view's string amount: Halo's example shows "0.01"; more decimals are kept, never rounded."""
    exponent = amount.as_tuple().exponent
    return f"{amount:.2f}" if isinstance(exponent, int) and exponent >= -2 else str(amount)


def _validate_create(body: Any) -> tuple[str, str, Decimal, str, bool]:
    """Checks a create body; returns (merchantId, paymentReference, amount, currency, image.required)."""
    if body is MISSING:
        raise HaloError(400, 103, "Invalid JSON")
    if not isinstance(body, dict):
        raise _invalid("body", "must be a JSON object")
    merchant_id = body.get("merchantId")
    if isinstance(merchant_id, bool) or not isinstance(merchant_id, str | int) or merchant_id == "":
        raise _invalid("merchantId", "is required and must be a string or an integer")
    reference = body.get("paymentReference")
    if not isinstance(reference, str) or not reference.strip():
        raise _invalid("paymentReference", "is required and must be a non-empty string")
    if "amount" not in body:
        raise _invalid("amount", "is required")
    amount = _parse_amount(body["amount"])
    timestamp = body.get("timestamp")
    if not isinstance(timestamp, str) or not timestamp.strip():
        raise _invalid("timestamp", "is required and must be a string")
    currency = body.get("currencyCode")
    if not isinstance(currency, str) or not _CURRENCY_RE.match(currency):
        raise _invalid("currencyCode", "is required and must be a 3-letter ISO 4217 code")
    if not isinstance(body.get("isConsumerApp"), bool):
        raise _invalid("isConsumerApp", "is required and must be a boolean")
    image = body["image"] if "image" in body else body.get("Image")
    if not isinstance(image, dict) or not isinstance(image.get("required"), bool):
        raise _invalid("image", 'is required and must be an object like {"required": false}')
    size = image.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int | float)):
        raise _invalid("image.size", "must be a number")
    return str(merchant_id), reference, amount, currency.upper(), image["required"]


def _call_kind(path: str) -> str:
    if path.rstrip("/").endswith("/refund"):
        return "refund"
    if re.search(r"/transactions/?$", path):
        return "history"
    return "create" if re.search(r"/consumer/(qrcode|applink)/?$", path, re.I) else "status"


def _refusal(code: int, message: str) -> Json:
    """A refund refused in the shape of Halo's refund answer, with its generic error fields as well."""
    return {
        "type": "Declined",
        "errorCode": code,
        "errorMessage": message,
        "message": f"E{code}: {message}",
        "httpStatusCode": 400,
    }


def _control_int(body: Json, key: str, default: int, minimum: int, maximum: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ControlError(400, f"{key} must be an integer from {minimum} to {maximum}")
    return value


def _control_amount(value: Any, name: str) -> Decimal:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | Decimal | str)
        or not _AMOUNT_RE.match(str(value))
    ):
        raise ControlError(400, f"{name} must be a decimal string like '10.00' or a number")
    amount = Decimal(str(value))
    if amount <= 0:
        raise ControlError(400, f"{name} must be more than zero")
    return amount


def _control_text(body: Json, key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ControlError(400, f"{key} {'is required and ' if required else ''}must be a non-empty string")
    return value


def plant_record(
    body: Any, default_merchant: str, merchants: set[str], at: int | None = None
) -> LedgerRecord:
    """A ledger record from a POST /_sim/ledger/transactions object; ControlError names a bad field."""
    where = "" if at is None else f"record {at}: "
    try:
        if not isinstance(body, dict):
            raise ControlError(400, "each record must be a JSON object")
        reference = _control_text(body, "merchantReference")
        amount = _control_amount(body.get("amount"), "amount")
        currency = body.get("currency")
        if not isinstance(currency, str) or not _CURRENCY_RE.match(currency):
            raise ControlError(400, "currency is required and must be a 3-letter ISO 4217 code")
        disposition = _CANONICAL_DISPOSITION.get(str(body.get("disposition", "")).lower())
        if disposition is None:
            raise ControlError(400, f"disposition must be one of {', '.join(DISPOSITIONS)}")
        kind = {"purchase": "Purchase", "refund": "Refund"}.get(str(body.get("transactionType", "")).lower())
        if kind is None:
            raise ControlError(400, "transactionType must be Purchase or Refund")
        original = _control_text(body, "originalTransactionId", required=False)
        merchant_id = body.get("merchantId", default_merchant)
        if merchant_id not in merchants:
            raise ControlError(
                400, f"merchantId must be a configured merchant: {', '.join(sorted(merchants))}"
            )
        created_at = _control_time(body.get("createdAt"))
    except ControlError as error:
        raise ControlError(error.status, where + error.message) from None
    return LedgerRecord(
        id=str(uuid.uuid4()),
        merchant_id=str(merchant_id),
        merchant_reference=str(reference),
        transaction_type=kind,
        disposition=disposition,
        amount=amount,
        currency=currency.upper(),
        created_at=created_at,
        original_transaction_id=original,
        fee=charged_fee(kind, disposition, amount, currency),
    )


def _control_time(value: Any) -> str:
    if value is None:
        return _now()
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and "T" in value else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ControlError(400, "createdAt must be an ISO 8601 timestamp with Z or an offset")
    return _wire_time(moment)


def _control_delay(body: Json) -> float:
    value = body.get("delaySeconds", 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
        raise ControlError(400, "delaySeconds must be a number from 0 to 3600")
    return float(value)


Route = tuple[str, re.Pattern[str], Callable[[re.Match[str], Request], Response]]


class HaloSimulator(JsonHttpServer):
    """A local stand-in for Halo's kernelserver, plus a /_sim control API."""

    thread_name = "halo-sim"
    description = "Halo simulator"
    logger = log

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4010,
        *,
        merchants: dict[str, str],
        webhook_url: str | None = None,
        halo_env: str = "dev",
        timeout_fault_seconds: float = 30.0,
        slow_fault_seconds: float = 1.5,
    ) -> None:
        super().__init__(host, port)
        self._merchants = dict(merchants)  # x-api-key -> merchantId
        self._webhook_url = webhook_url
        self._halo_env = halo_env  # names the applink URL's hosts, as Halo's environment does
        self._timeout_fault_seconds = timeout_fault_seconds
        self._slow_fault_seconds = slow_fault_seconds
        self._lock = threading.Lock()
        self._transactions: dict[str, _Transaction] = {}
        self._references: set[tuple[str, str]] = set()  # (merchantId, paymentReference)
        self._requests: deque[Json] = deque(maxlen=MAX_LOGGED_REQUESTS)
        self._refunds: dict[str, Json] = {}  # refundReference -> the refund Halo made
        self._ledger = Ledger()  # GET /transactions: taps, approved refunds, and planted records
        self._refund_window: float | None = None  # seconds after an approval; later refunds answer 212
        self._faults = FaultQueue()  # of {"mode", "count"}
        self._stopping = threading.Event()
        self._background: list[threading.Thread] = []
        self._halo_routes: list[Route] = [
            ("POST", re.compile(rf"^{_VERSION}/consumer/qrcode/?$", re.I), self._create_qrcode),
            ("POST", re.compile(rf"^{_VERSION}/consumer/applink/?$", re.I), self._create_applink),
            ("GET", re.compile(rf"^{_VERSION}/consumer/qrcode/(?P<ref>[^/]+)/?$", re.I), self._get_status),
            ("POST", re.compile(rf"^{_VERSION}/transactions/(?P<tx>[^/]+)/refund/?$"), self._refund),
            ("GET", re.compile(rf"^{_VERSION}/transactions/?$"), self._history),
        ]
        tx = r"^/_sim/transactions/(?P<ref>[^/]+)"
        self._control_routes: list[Route] = [
            ("POST", re.compile(tx + r"/tap$"), self._ctl_tap),
            ("POST", re.compile(tx + r"/webhook$"), self._ctl_webhook),
            ("POST", re.compile(tx + r"/amend$"), self._ctl_amend),
            ("POST", re.compile(r"^/_sim/ledger/transactions$"), self._ctl_plant),
            ("GET", re.compile(tx + r"$"), self._ctl_get_transaction),
            ("GET", re.compile(r"^/_sim/transactions$"), self._ctl_list_transactions),
            ("GET", re.compile(r"^/_sim/requests$"), self._ctl_get_requests),
            ("GET", re.compile(r"^/_sim/refunds$"), self._ctl_get_refunds),
            ("DELETE", re.compile(r"^/_sim/requests$"), self._ctl_clear_requests),
            ("GET", re.compile(r"^/_sim/faults$"), self._ctl_get_faults),
            ("POST", re.compile(r"^/_sim/faults$"), self._ctl_add_fault),
            ("DELETE", re.compile(r"^/_sim/faults$"), self._ctl_clear_faults),
            ("GET", re.compile(r"^/_sim/config$"), self._ctl_get_config),
            ("POST", re.compile(r"^/_sim/config$"), self._ctl_set_config),
            ("POST", re.compile(r"^/_sim/reset$"), self._ctl_reset),
        ]

    # ----------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._server is None:
            self._stopping.clear()
        super().start()

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._stopping.set()  # wakes requests held by a timeout/slow fault and delayed webhooks
        super().stop()
        deadline = time.monotonic() + STOP_JOIN_SECONDS
        with self._lock:
            background, self._background = self._background, []
        for worker in [*server.handler_threads, *background]:
            worker.join(max(0.0, deadline - time.monotonic()))

    # ----------------------------------------------------------------------- dispatch

    def handle(self, request: Request) -> Response | None:
        """Answers one request; None means close the connection without answering."""
        try:
            for method, pattern, handler in self._halo_routes:
                match = pattern.match(request.path)
                if match and request.method == method:
                    return self._handle_halo(request, match, handler)
            for method, pattern, handler in self._control_routes:
                match = pattern.match(request.path)
                if match and request.method == method:
                    try:
                        return handler(match, request)
                    except ControlError as exc:
                        return json_response(exc.status, {"error": exc.message})
            return json_response(404, {"error": f"no route for {request.method} {request.path}"})
        except Exception as exc:
            log.exception("simulator failure on %s %s", request.method, request.path)
            return json_response(500, {"error": f"simulator failure: {exc!r}"})

    def _handle_halo(
        self, request: Request, match: re.Match[str], handler: Callable[[re.Match[str], Request], Response]
    ) -> Response | None:
        parsed = request.json()
        with self._lock:
            self._requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "headers": redact.headers(request.headers),  # no merchant's x-api-key
                    "json": None if parsed is MISSING else parsed,
                }
            )
            kind = _call_kind(request.path)
            fault = (self._faults.take(lambda f: f.get("calls", kind) == kind) or {}).get("mode")
        if fault == "timeout":
            self._stopping.wait(self._timeout_fault_seconds)
            return None
        if fault == "error500":
            return json_response(500, HaloError(500, 500, "Internal Server Error").body())
        if fault == "malformed":
            return Response(200, b"<html>upstream glitch", "text/html")
        if fault == "slow":
            self._stopping.wait(self._slow_fault_seconds)
        try:
            return handler(match, request)
        except HaloError as exc:
            return json_response(exc.status, exc.body())

    def _merchant_for(self, request: Request) -> str:
        merchant_id = self._merchants.get(request.headers.get("x-api-key", ""))
        if merchant_id is None:
            raise HaloError(401, 102, "Invalid API Key")
        return merchant_id

    # ----------------------------------------------------------------------- Halo API

    def _create_qrcode(self, match: re.Match[str], request: Request) -> Response:
        return self._create(request, "qrCode")

    def _create_applink(self, match: re.Match[str], request: Request) -> Response:
        return self._create(request, "applink")

    def _create(self, request: Request, endpoint: str) -> Response:
        key_merchant = self._merchant_for(request)
        merchant_id, payment_reference, amount, currency, want_image = _validate_create(request.json())
        if merchant_id != key_merchant:
            raise HaloError(401, 100, "Unauthorized")
        reference = str(uuid.uuid4())
        if endpoint == "applink":
            env = self._halo_env
            url = (
                f"https://go.merchantportal.{env}.haloplus.io/{reference}?env=kernelserver.{env}.haloplus.io"
            )
        else:
            # The deprecated endpoint's Firebase Dynamic Links form; FDL itself shut down in August 2025.
            url = "https://halompos.page.link/" + "".join(secrets.choice(_LINK_ALPHABET) for _ in range(17))
        with self._lock:
            if (merchant_id, payment_reference) in self._references:
                raise HaloError(400, 124, "Duplicate Merchant Reference")
            self._references.add((merchant_id, payment_reference))
            self._transactions[reference] = _Transaction(
                reference, merchant_id, payment_reference, amount, currency, endpoint, url
            )
        answer: Json = {"url": url, "reference": reference}
        if want_image:
            answer["qrCode"] = segno.make(url, error="m").png_data_uri(scale=4)
        return json_response(200, answer)

    def _get_status(self, match: re.Match[str], request: Request) -> Response:
        merchant_id = self._merchant_for(request)
        with self._lock:
            tx = self._transactions.get(match["ref"])
            if tx is None or tx.merchant_id != merchant_id:
                raise HaloError(404, 122, "Transaction not found. It may have not gone online yet.")
            return json_response(200, tx.status_view())

    def _refund(self, match: re.Match[str], request: Request) -> Response:
        """POST /transactions/{transactionId}/refund {amount: number, refundReference: string}."""
        merchant_id = self._merchant_for(request)
        if request.json() is MISSING:
            raise HaloError(400, 103, "Invalid JSON")
        body = json.loads(request.body, parse_float=Decimal)  # the amount exactly as sent
        if not isinstance(body, dict):
            raise _invalid("body", "must be a JSON object")
        amount = body.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
            raise _invalid("amount", "is required and must be a number")
        reference = body.get("refundReference")
        if not isinstance(reference, str) or not reference.strip():
            raise _invalid("refundReference", "is required and must be a non-empty string")
        value = _parse_amount(str(amount))
        with self._lock:
            tx = next((t for t in self._transactions.values() if t.transaction_id == match["tx"]), None)
            if tx is None or tx.merchant_id != merchant_id:
                raise HaloError(404, 122, "Transaction Not Found")
            if reference in self._refunds:
                return json_response(400, _refusal(213, "Refund Already Processed"))
            if tx.disposition != "Approved" or tx.approved_at is None:
                raise _invalid("transactionId", "is not an approved transaction")
            # Creates accept any number of decimals (Halo is silent); a refund is of money taken, so it
            # has at most the decimals the sale's amount had (two at least: ZAR "100" is 100.00).
            places = max(2, -_exponent(tx.amount))
            if value <= 0 or -_exponent(value) > places:
                raise _invalid("amount", f"must be positive with at most {places} decimal places")
            if self._refund_window is not None and time.monotonic() - tx.approved_at > self._refund_window:
                return json_response(400, _refusal(212, "Refund Too Late"))
            if tx.refunded + value > tx.amount:
                raise _invalid("amount", f"exceeds what is left to refund ({tx.amount - tx.refunded})")
            tx.refunded += value
            halo_reference = str(uuid.uuid4())
            self._ledger.add(
                LedgerRecord(
                    id=str(uuid.uuid4()),
                    merchant_id=tx.merchant_id,
                    merchant_reference=reference,
                    transaction_type="Refund",
                    disposition="Approved",
                    amount=value,
                    currency=tx.currency,
                    created_at=_now(),
                    original_transaction_id=tx.transaction_id,
                    fee=charged_fee("Refund", "Approved", value, tx.currency),
                )
            )
            self._refunds[reference] = {
                "refundReference": reference,
                "transactionId": tx.transaction_id,
                "amount": f"{value:.2f}",
                "haloReference": halo_reference,
            }
        return json_response(
            200,
            {
                "type": "Approved",
                "authorizationCode": secrets.token_hex(3).upper(),
                "haloReference": halo_reference,
                "errorCode": None,
                "errorMessage": None,
                "isoResponseCode": "00",
            },
        )

    def _history(self, match: re.Match[str], request: Request) -> Response:
        """GET /transactions: the calling merchant's records, oldest first, as a bare JSON array (Halo's
        documented answer). `merchant` is required, as Halo's table marks it, and must be the key's own."""
        merchant_id = self._merchant_for(request)
        merchant = _query_value(request, "merchant")
        if not merchant:
            raise _invalid("merchant", "is required: your merchant id")
        if merchant != merchant_id:
            raise HaloError(400, 104, "You do not have permission to access this merchant")
        query = parse_ledger_query(request)
        with self._lock:
            page = self._ledger.page(merchant_id, query)
        return json_response(200, [record.view() for record in page])

    # ----------------------------------------------------------------------- control API

    @staticmethod
    def _control_body(request: Request) -> Json:
        if not request.body.strip():
            return {}
        body = request.json()
        if not isinstance(body, dict):
            raise ControlError(400, "body must be a JSON object")
        return body

    def _transaction(self, reference: str) -> _Transaction:
        """Looks up a transaction. Call with the lock held."""
        tx = self._transactions.get(reference)
        if tx is None:
            raise ControlError(404, f"unknown reference {reference}")
        return tx

    def _ctl_tap(self, match: re.Match[str], request: Request) -> Response:
        body = self._control_body(request)
        disposition = _CANONICAL_DISPOSITION.get(str(body.get("disposition", "")).lower())
        if disposition is None:
            raise ControlError(400, f"disposition must be one of {', '.join(DISPOSITIONS)}")
        send = body.get("webhook", True)
        if not isinstance(send, bool):
            raise ControlError(400, "webhook must be a boolean")
        times = _control_int(body, "times", 1, 1, MAX_WEBHOOK_TIMES)
        delay = _control_delay(body)
        with self._lock:
            tx = self._transaction(match["ref"])
            tx.tap(disposition)
            self._record_tap(tx)
            payload = tx.webhook_payload()
        webhooks = self._send_webhooks(match["ref"], payload, times, delay) if send else []
        return json_response(
            200, {"reference": match["ref"], "disposition": disposition, "webhooks": webhooks}
        )

    def _ctl_webhook(self, match: re.Match[str], request: Request) -> Response:
        overrides = dict(self._control_body(request))
        times = _control_int(overrides, "times", 1, 1, MAX_WEBHOOK_TIMES)
        delay = _control_delay(overrides)
        overrides.pop("times", None)
        overrides.pop("delaySeconds", None)
        with self._lock:
            payload = {**self._transaction(match["ref"]).webhook_payload(), **overrides}
        webhooks = self._send_webhooks(match["ref"], payload, times, delay)
        answer = {"reference": match["ref"], "disposition": payload.get("disposition"), "webhooks": webhooks}
        return json_response(200, answer)

    def _ctl_plant(self, match: re.Match[str], request: Request) -> Response:
        """Adds records to the ledger only: transactions halotap never made (see devstack/README.md)."""
        try:
            body = json.loads(request.body, parse_float=Decimal)  # amounts exactly as sent
        except ValueError:
            raise ControlError(400, "body must be JSON: an object, or an array of objects") from None
        with self._lock:
            default_merchant = next(iter(self._merchants.values()))
            known = set(self._merchants.values())
        if isinstance(body, list):
            if not body or len(body) > MAX_PLANT:
                raise ControlError(400, f"an array must hold 1 to {MAX_PLANT} records")
            records = [plant_record(item, default_merchant, known, at=i) for i, item in enumerate(body)]
            with self._lock:
                self._ledger.add_many(records)
            return json_response(200, {"ids": [r.id for r in records]})
        if not isinstance(body, dict):
            raise ControlError(400, "body must be a JSON object or an array of objects")
        if "count" not in body:
            record = plant_record(body, default_merchant, known)
            with self._lock:
                self._ledger.add(record)
            return json_response(200, {"id": record.id})
        count = _control_int(body, "count", 1, 1, MAX_PLANT)
        template = plant_record({k: v for k, v in body.items() if k != "count"}, default_merchant, known)
        records = [
            dataclasses.replace(
                template,
                id=str(uuid.uuid4()),
                merchant_reference=f"{template.merchant_reference}-{i}",
                recon_reference=secrets.token_hex(6).upper(),
            )
            for i in range(count)
        ]
        with self._lock:
            self._ledger.add_many(records)
        return json_response(200, {"count": count})

    def _ctl_amend(self, match: re.Match[str], request: Request) -> Response:
        """Changes the amount the LEDGER shows; the status endpoint and the webhook keep the original, and
        the fee stays what was charged: a ledger that disagrees with what halotap was told."""
        try:
            body = json.loads(request.body, parse_float=Decimal)
        except ValueError:
            raise ControlError(400, 'body must be a JSON object like {"amount": "10.00"}') from None
        if not isinstance(body, dict) or "amount" not in body:
            raise ControlError(400, 'amount is required: {"amount": "10.00"}')
        amount = _control_amount(body["amount"], "amount")
        reference = match["ref"]
        with self._lock:
            record = self._ledger.get(reference)
            matches = [record] if record is not None else self._ledger.by_reference(reference)
            tx = self._transactions.get(reference)
            if not matches and tx is not None and tx.ledger_record is not None:
                matches = [tx.ledger_record]
            if not matches:
                raise ControlError(
                    404, f"no ledger record for {reference} (a transaction is there once tapped)"
                )
            if len(matches) > 1:
                raise ControlError(
                    409, f"{reference} names {len(matches)} ledger records; amend one by its id"
                )
            matches[0].amount = amount
            return json_response(200, matches[0].view())

    def _ctl_get_transaction(self, match: re.Match[str], request: Request) -> Response:
        with self._lock:
            return json_response(200, self._transaction_view(self._transaction(match["ref"])))

    def _ctl_list_transactions(self, match: re.Match[str], request: Request) -> Response:
        with self._lock:
            return json_response(200, [self._transaction_view(tx) for tx in self._transactions.values()])

    def _record_tap(self, tx: _Transaction) -> None:
        """The tap's record in the ledger: added on the first tap, its disposition and fee kept up to date
        on another (Halo keeps one record per transaction). Call with the lock held."""
        fee = charged_fee("Purchase", tx.disposition or "", tx.amount, tx.currency)
        if tx.ledger_record is not None:
            tx.ledger_record.disposition = tx.disposition or ""
            tx.ledger_record.fee = fee
            return
        tx.ledger_record = LedgerRecord(
            id=tx.transaction_id,
            merchant_id=tx.merchant_id,
            merchant_reference=tx.payment_reference,
            transaction_type="Purchase",
            disposition=tx.disposition or "",
            amount=tx.amount,
            currency=tx.currency,
            created_at=tx.updated_at,
            fee=fee,
        )
        self._ledger.add(tx.ledger_record)

    @staticmethod
    def _transaction_view(tx: _Transaction) -> Json:
        return {
            **tx.status_view(),
            "reference": tx.reference,
            "merchantId": tx.merchant_id,
            "endpoint": tx.endpoint,
            "url": tx.url,
            "webhookUrl": tx.webhook_url,
            "webhookDeliveries": list(tx.webhook_deliveries),
            "webhooksPending": tx.webhooks_pending,
        }

    def _ctl_get_requests(self, match: re.Match[str], request: Request) -> Response:
        with self._lock:
            return json_response(200, list(self._requests))

    def _ctl_clear_requests(self, match: re.Match[str], request: Request) -> Response:
        with self._lock:
            self._requests.clear()
        return json_response(200, [])

    def _ctl_get_faults(self, match: re.Match[str], request: Request) -> Response:
        with self._lock:
            return json_response(200, {"pending": [dict(f) for f in self._faults]})

    def _ctl_add_fault(self, match: re.Match[str], request: Request) -> Response:
        body = self._control_body(request)
        if body.get("mode") not in FAULT_MODES:
            raise ControlError(400, f"mode must be one of {', '.join(FAULT_MODES)}")
        count = _control_int(body, "count", 1, 1, 1_000_000)
        calls = body.get("calls")
        if calls is not None and calls not in CALL_KINDS:
            raise ControlError(
                400, f"calls must be one of {', '.join(CALL_KINDS)}, or left out for every call"
            )
        with self._lock:
            self._faults.append({"mode": body["mode"], "count": count, **({"calls": calls} if calls else {})})
            return json_response(200, {"pending": [dict(f) for f in self._faults]})

    def _ctl_clear_faults(self, match: re.Match[str], request: Request) -> Response:
        with self._lock:
            self._faults.clear()
        return json_response(200, {"pending": []})

    def _ctl_get_config(self, match: re.Match[str], request: Request) -> Response:
        with self._lock:
            return json_response(200, self._config_view())

    def _ctl_set_config(self, match: re.Match[str], request: Request) -> Response:
        """{"webhookUrl": url | null} and/or {"refundWindowSeconds": N | null}; a key left out is left alone."""
        body = self._control_body(request)
        url = body.get("webhookUrl", MISSING)
        if (
            url is not MISSING
            and url is not None
            and (not isinstance(url, str) or not url.startswith(("http://", "https://")))
        ):
            raise ControlError(400, "webhookUrl must be an http(s) URL or null")
        window = body.get("refundWindowSeconds", MISSING)
        if (
            window is not MISSING
            and window is not None
            and (isinstance(window, bool) or not isinstance(window, int | float) or window < 0)
        ):
            raise ControlError(400, "refundWindowSeconds must be a number of seconds (0 or more) or null")
        with self._lock:
            if url is not MISSING:
                self._webhook_url = url
            if window is not MISSING:
                self._refund_window = None if window is None else float(window)
            return json_response(200, self._config_view())

    def _config_view(self) -> Json:
        """Call with the lock held."""
        return {
            "webhookUrl": self._webhook_url,
            "refundWindowSeconds": self._refund_window,
            "merchantIds": sorted(set(self._merchants.values())),
        }

    def _ctl_get_refunds(self, match: re.Match[str], request: Request) -> Response:
        with self._lock:
            return json_response(200, list(self._refunds.values()))

    def _ctl_reset(self, match: re.Match[str], request: Request) -> Response:
        with self._lock:
            self._transactions.clear()
            self._references.clear()
            self._requests.clear()
            self._faults.clear()
            self._refunds.clear()
            self._ledger.clear()
            self._refund_window = None
        return json_response(200, {"reset": True})

    # ----------------------------------------------------------------------- webhooks

    def _send_webhooks(self, reference: str, payload: Json, times: int, delay: float) -> list[Json]:
        """Sends now and returns the outcomes, or sends later from a thread and returns [].

        Until its outcome is recorded in `webhookDeliveries`, each send counts in the transaction's
        `webhooksPending` (counted before this returns), so a test can tell "nothing was sent" from
        "not sent yet" by looking instead of waiting: pending 0 and no delivery means none will come.
        """
        with self._lock:
            tx = self._transactions.get(reference)
            if tx is not None:
                tx.webhooks_pending += 1
        if delay <= 0:
            return self._deliver(reference, payload, times)

        def later() -> None:
            if self._stopping.wait(delay):
                self._record_deliveries(reference, None, payload, [])  # stopped first: never sent
            else:
                self._deliver(reference, payload, times)

        worker = threading.Thread(target=later, name=f"halo-sim-webhook-{reference}", daemon=True)
        with self._lock:
            self._background = [t for t in self._background if t.is_alive()]
            self._background.append(worker)
        worker.start()
        return []

    def _deliver(self, reference: str, payload: Json, times: int) -> list[Json]:
        with self._lock:
            url = self._webhook_url
        results: list[Json] = []
        try:
            with httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS, trust_env=False) as client:
                for _ in range(times):
                    if url is None:
                        results.append({"status": None, "error": "no webhook URL configured"})
                        continue
                    try:
                        answer = client.post(url, json=payload)
                        results.append({"status": answer.status_code, "error": None})
                    except (httpx.HTTPError, httpx.InvalidURL) as exc:
                        results.append({"status": None, "error": f"{type(exc).__name__}: {exc}"})
            log.info("webhook for %s to %s: %s", reference, redact.webhook_token(url or "-"), results)
        finally:  # even if a send blew up: a count left pending would stall a waiting test
            self._record_deliveries(reference, url, payload, results)
        return results

    def _record_deliveries(self, reference: str, url: str | None, payload: Json, results: list[Json]) -> None:
        """Records one send's outcomes (none when it was cancelled) and ends its pending count."""
        with self._lock:
            tx = self._transactions.get(reference)
            if tx is not None:
                if results:
                    tx.webhook_url = url
                tx.webhook_deliveries.extend({"payload": payload, **result} for result in results)
                tx.webhooks_pending = max(0, tx.webhooks_pending - 1)


# --------------------------------------------------------------------------- command line


def _parse_merchant(text: str) -> tuple[str, str]:
    key, sep, merchant_id = text.partition("=")
    if not sep or not key or not merchant_id:
        raise argparse.ArgumentTypeError(f"expected KEY=MERCHANT_ID, got {text!r}")
    return key, merchant_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.halo_sim", description="Halo Dot backend simulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument(
        "--merchant",
        action="append",
        type=_parse_merchant,
        required=True,
        help="KEY=MERCHANT_ID (repeatable)",
    )
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--timeout-fault-seconds", type=float, default=30.0)
    parser.add_argument("--slow-fault-seconds", type=float, default=1.5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sim = HaloSimulator(
        args.host,
        args.port,
        merchants=dict(args.merchant),
        webhook_url=args.webhook_url,
        timeout_fault_seconds=args.timeout_fault_seconds,
        slow_fault_seconds=args.slow_fault_seconds,
    )
    sim.serve_until_interrupted()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
