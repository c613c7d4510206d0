"""The Halo API: what halotap calls, answered as Halo documents it (errors in Halo's shape).

Create a deep link (`/consumer/qrCode`, `/consumer/applink`), read its status (`/consumer/QRCode/{ref}`),
refund a payment (`/transactions/{id}/refund`) and read the transaction history (`/transactions`), each
also under an optional version segment (`/1.0.12/...`). Faults are applied before these run (server.py).
"""

from __future__ import annotations

import json
import re
import secrets
import string
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import segno

from devstack.halo_sim.ledger import DEFAULT_PAGE, MAX_PAGE, LedgerQuery, LedgerRecord, charged_fee
from devstack.halo_sim.state import SimState, Transaction
from devstack.halo_sim.wire import (
    AMOUNT_RE,
    CANONICAL_DISPOSITION,
    CURRENCY_RE,
    DATE_RE,
    DISPOSITIONS,
    HaloError,
    Json,
    exponent,
    invalid,
    now,
    parse_amount,
    wire_time,
)
from devstack.http_server import MISSING, Request, Response, json_response

_LINK_ALPHABET = string.ascii_letters + string.digits
VERSION = r"(?:/\d+(?:\.\d+)*)?"  # older docs put "/1.0.12" before "/consumer"

Handler = Callable[[re.Match[str], Request], Response]
Route = tuple[str, re.Pattern[str], Handler]


class HaloApi:
    """Halo's kernelserver endpoints over the simulator's state. A handler raises HaloError to refuse."""

    def __init__(self, state: SimState) -> None:
        self._state = state
        self.routes: list[Route] = [
            ("POST", re.compile(rf"^{VERSION}/consumer/qrcode/?$", re.I), self._create_qrcode),
            ("POST", re.compile(rf"^{VERSION}/consumer/applink/?$", re.I), self._create_applink),
            ("GET", re.compile(rf"^{VERSION}/consumer/qrcode/(?P<ref>[^/]+)/?$", re.I), self._get_status),
            ("POST", re.compile(rf"^{VERSION}/transactions/(?P<tx>[^/]+)/refund/?$"), self._refund),
            ("GET", re.compile(rf"^{VERSION}/transactions/?$"), self._history),
        ]

    def _merchant_for(self, request: Request) -> str:
        merchant_id = self._state.merchants.get(request.headers.get("x-api-key", ""))
        if merchant_id is None:
            raise HaloError(401, 102, "Invalid API Key")
        return merchant_id

    def _create_qrcode(self, match: re.Match[str], request: Request) -> Response:
        return self._create(request, "qrCode")

    def _create_applink(self, match: re.Match[str], request: Request) -> Response:
        return self._create(request, "applink")

    def _create(self, request: Request, endpoint: str) -> Response:
        key_merchant = self._merchant_for(request)
        merchant_id, payment_reference, amount, currency, want_image = validate_create(request.json())
        if merchant_id != key_merchant:
            raise HaloError(401, 100, "Unauthorized")
        reference = str(uuid.uuid4())
        if endpoint == "applink":
            env = self._state.halo_env
            url = (
                f"https://go.merchantportal.{env}.haloplus.io/{reference}?env=kernelserver.{env}.haloplus.io"
            )
        else:
            # The deprecated endpoint's Firebase Dynamic Links form; FDL itself shut down in August 2025.
            url = "https://halompos.page.link/" + "".join(secrets.choice(_LINK_ALPHABET) for _ in range(17))
        with self._state.lock:
            if (merchant_id, payment_reference) in self._state.references:
                raise HaloError(400, 124, "Duplicate Merchant Reference")
            self._state.references.add((merchant_id, payment_reference))
            self._state.transactions[reference] = Transaction(
                reference, merchant_id, payment_reference, amount, currency, endpoint, url
            )
            status = self._state.link_status
        answer: Json = {"url": url, "reference": reference}
        if want_image:
            answer["qrCode"] = segno.make(url, error="m").png_data_uri(scale=4)
        return json_response(status, answer)

    def _get_status(self, match: re.Match[str], request: Request) -> Response:
        merchant_id = self._merchant_for(request)
        with self._state.lock:
            tx = self._state.transactions.get(match["ref"])
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
            raise invalid("body", "must be a JSON object")
        amount = body.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
            raise invalid("amount", "is required and must be a number")
        reference = body.get("refundReference")
        if not isinstance(reference, str) or not reference.strip():
            raise invalid("refundReference", "is required and must be a non-empty string")
        value = parse_amount(str(amount))
        with self._state.lock:
            tx = next((t for t in self._state.transactions.values() if t.transaction_id == match["tx"]), None)
            if tx is None or tx.merchant_id != merchant_id:
                raise HaloError(404, 122, "Transaction Not Found")
            if reference in self._state.refunds:
                return json_response(400, _refusal(213, "Refund Already Processed"))
            if tx.disposition != "Approved" or tx.approved_at is None:
                raise invalid("transactionId", "is not an approved transaction")
            # Creates accept any number of decimals (Halo is silent); a refund is of money taken, so it
            # has at most the decimals the sale's amount had (two at least: ZAR "100" is 100.00).
            places = max(2, -exponent(tx.amount))
            if value <= 0 or -exponent(value) > places:
                raise invalid("amount", f"must be positive with at most {places} decimal places")
            if (
                self._state.refund_window is not None
                and time.monotonic() - tx.approved_at > self._state.refund_window
            ):
                return json_response(400, _refusal(212, "Refund Too Late"))
            if tx.refunded + value > tx.amount:
                raise invalid("amount", f"exceeds what is left to refund ({tx.amount - tx.refunded})")
            tx.refunded += value
            halo_reference = str(uuid.uuid4())
            self._state.ledger.add(
                LedgerRecord(
                    id=str(uuid.uuid4()),
                    merchant_id=tx.merchant_id,
                    merchant_reference=reference,
                    transaction_type="Refund",
                    disposition="Approved",
                    amount=value,
                    currency=tx.currency,
                    created_at=now(),
                    original_transaction_id=tx.transaction_id,
                    fee=charged_fee("Refund", "Approved", value, tx.currency),
                )
            )
            self._state.refunds[reference] = {
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
            raise invalid("merchant", "is required: your merchant id")
        if merchant != merchant_id:
            raise HaloError(400, 104, "You do not have permission to access this merchant")
        query = parse_ledger_query(request)
        with self._state.lock:
            page = self._state.ledger.page(merchant_id, query)
        return json_response(200, [record.view() for record in page])


# --------------------------------------------------------------------------- request validation


def validate_create(body: Any) -> tuple[str, str, Decimal, str, bool]:
    """Checks a create body; returns (merchantId, paymentReference, amount, currency, image.required)."""
    if body is MISSING:
        raise HaloError(400, 103, "Invalid JSON")
    if not isinstance(body, dict):
        raise invalid("body", "must be a JSON object")
    merchant_id = body.get("merchantId")
    if isinstance(merchant_id, bool) or not isinstance(merchant_id, str | int) or merchant_id == "":
        raise invalid("merchantId", "is required and must be a string or an integer")
    reference = body.get("paymentReference")
    if not isinstance(reference, str) or not reference.strip():
        raise invalid("paymentReference", "is required and must be a non-empty string")
    if "amount" not in body:
        raise invalid("amount", "is required")
    amount = parse_amount(body["amount"])
    timestamp = body.get("timestamp")
    if not isinstance(timestamp, str) or parse_create_timestamp(timestamp) is None:
        raise invalid(
            "timestamp",
            "is required: ISO 8601, or like 'Thu Aug 25 09:43:59 SAST 2022' or 'Thu Aug 25 2022 09:43:59 GMT+0200'",
        )
    currency = body.get("currencyCode")
    if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
        raise invalid("currencyCode", "is required and must be a 3-letter ISO 4217 code")
    if not isinstance(body.get("isConsumerApp"), bool):
        raise invalid("isConsumerApp", "is required and must be a boolean")
    image = body["image"] if "image" in body else body.get("Image")
    if not isinstance(image, dict) or not isinstance(image.get("required"), bool):
        raise invalid("image", 'is required and must be an object like {"required": false}')
    size = image.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int | float)):
        raise invalid("image.size", "must be a number")
    return str(merchant_id), reference, amount, currency.upper(), image["required"]


# Halo documents an "ISO Standard Timestamp" but shows Java's Date.toString() ("Thu Aug 25 09:43:59 SAST
# 2022"), and Halo's own app sends JavaScript's ("Thu Aug 25 2022 09:43:59 GMT+0200"): all three are taken.
_JAVA_DATE = re.compile(
    r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2}) "
    r"(?P<time>\d{2}:\d{2}:\d{2}) (?P<zone>[A-Z]{2,5}) (?P<year>\d{4})$"
)
_JS_DATE = re.compile(
    r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2}) (?P<year>\d{4}) "
    r"(?P<time>\d{2}:\d{2}:\d{2}) GMT(?P<offset>[+-]\d{4})(?: \(.*\))?$"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_create_timestamp(text: str) -> datetime | None:
    """The create body's timestamp in any of Halo's three formats, or None. Java's zone name is not
    resolved (a zoneless datetime comes back): the simulator only checks the timestamp, never uses it."""
    if text[:4].isdigit() and "T" in text:  # a date alone is not a timestamp
        try:
            return datetime.fromisoformat(text.strip())
        except ValueError:
            return None
    match = _JAVA_DATE.match(text) or _JS_DATE.match(text)
    if match is None or match["month"] not in _MONTHS:
        return None
    offset = match.groupdict().get("offset") or ""
    try:
        moment = datetime.strptime(
            f"{match['year']}-{_MONTHS.index(match['month']) + 1}-{match['day']} {match['time']}{offset}",
            "%Y-%m-%d %H:%M:%S%z" if offset else "%Y-%m-%d %H:%M:%S",
        )
    except ValueError:
        return None
    return moment


def call_kind(path: str) -> str:
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


def _query_value(request: Request, name: str) -> str | None:
    values = request.query.get(name)
    return values[-1] if values else None


def _bound(request: Request, name: str, *, end: bool) -> tuple[str | None, bool]:
    """A YYYY-MM-DD date or an ISO 8601 timestamp (zoneless: UTC) -> (wire_time, inclusive)."""
    text = _query_value(request, name)
    if text is None:
        return None, True
    if DATE_RE.match(text):
        try:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise invalid(name, "is not a date") from None
        return (wire_time(day + timedelta(days=1)), False) if end else (wire_time(day), True)
    problem = "must be a date (YYYY-MM-DD) or an ISO 8601 timestamp"
    if "T" not in text:
        raise invalid(name, problem)
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+"))  # an unencoded "+" arrives as a space
    except ValueError:
        raise invalid(name, problem) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not end and moment.microsecond % 1000:  # createdAt has milliseconds: round a start up, not down
        moment += timedelta(microseconds=1000 - moment.microsecond % 1000)
    return wire_time(moment), True


def _query_int(request: Request, name: str, default: int, minimum: int, maximum: int) -> int:
    text = _query_value(request, name)
    if text is None:
        return default
    if not text.isdigit() or not minimum <= int(text) <= maximum:
        raise invalid(name, f"must be a whole number from {minimum} to {maximum}")
    return int(text)


def _query_amount(request: Request, name: str) -> Decimal | None:
    text = _query_value(request, name)
    if text is None:
        return None
    if not AMOUNT_RE.match(text):
        raise invalid(name, "must be a decimal number like 100.01")
    return Decimal(text)


def parse_ledger_query(request: Request) -> LedgerQuery:
    start, _ = _bound(request, "startDate", end=False)
    end, end_inclusive = _bound(request, "endDate", end=True)
    disposition = _query_value(request, "transactionDisposition")
    if disposition is not None:
        canonical = CANONICAL_DISPOSITION.get(disposition.lower())
        if canonical is None:
            raise invalid("transactionDisposition", f"must be one of {', '.join(DISPOSITIONS)}")
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
