"""The control API (`/_sim/*`): what a test calls to play the shopper's phone, Halo's back office and its faults.

Tap a card, send (duplicate, late or contradictory) webhooks, plant and amend ledger records, queue
faults, change settings, and read what the simulator saw. Errors are `{"error": message}`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from devstack.halo_sim.halo_api import Route
from devstack.halo_sim.ledger import LedgerRecord, charged_fee
from devstack.halo_sim.state import CALL_KINDS, FAULT_CALLS, FAULT_MODES, LINK_STATUSES, SimState, Transaction
from devstack.halo_sim.webhooks import WebhookSender
from devstack.halo_sim.wire import (
    AMOUNT_RE,
    CANONICAL_DISPOSITION,
    CURRENCY_RE,
    DISPOSITIONS,
    ControlError,
    Json,
    now,
    wire_time,
)
from devstack.http_server import MISSING, Request, Response, json_response

MAX_WEBHOOK_TIMES = 100
MAX_PLANT = 200_000  # records one POST /_sim/ledger/transactions may add


class ControlApi:
    """The /_sim endpoints over the simulator's state. A handler raises ControlError to refuse."""

    def __init__(self, state: SimState, webhooks: WebhookSender) -> None:
        self._state, self._webhooks = state, webhooks
        tx = r"^/_sim/transactions/(?P<ref>[^/]+)"
        self.routes: list[Route] = [
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

    @staticmethod
    def _control_body(request: Request) -> Json:
        if not request.body.strip():
            return {}
        body = request.json()
        if not isinstance(body, dict):
            raise ControlError(400, "body must be a JSON object")
        return body

    def _ctl_tap(self, match: re.Match[str], request: Request) -> Response:
        body = self._control_body(request)
        disposition = CANONICAL_DISPOSITION.get(str(body.get("disposition", "")).lower())
        if disposition is None:
            raise ControlError(400, f"disposition must be one of {', '.join(DISPOSITIONS)}")
        send = body.get("webhook", True)
        if not isinstance(send, bool):
            raise ControlError(400, "webhook must be a boolean")
        times = control_int(body, "times", 1, 1, MAX_WEBHOOK_TIMES)
        delay = control_delay(body)
        with self._state.lock:
            tx = self._state.transaction(match["ref"])
            tx.tap(disposition)
            self._state.record_tap(tx)
            payload = tx.webhook_payload()
        webhooks = self._webhooks.send(match["ref"], payload, times, delay) if send else []
        return json_response(
            200, {"reference": match["ref"], "disposition": disposition, "webhooks": webhooks}
        )

    def _ctl_webhook(self, match: re.Match[str], request: Request) -> Response:
        overrides = dict(self._control_body(request))
        times = control_int(overrides, "times", 1, 1, MAX_WEBHOOK_TIMES)
        delay = control_delay(overrides)
        overrides.pop("times", None)
        overrides.pop("delaySeconds", None)
        with self._state.lock:
            payload = {**self._state.transaction(match["ref"]).webhook_payload(), **overrides}
        webhooks = self._webhooks.send(match["ref"], payload, times, delay)
        answer = {"reference": match["ref"], "disposition": payload.get("disposition"), "webhooks": webhooks}
        return json_response(200, answer)

    def _ctl_plant(self, match: re.Match[str], request: Request) -> Response:
        """Adds records to the ledger only: transactions halotap never made (see devstack/README.md)."""
        try:
            body = json.loads(request.body, parse_float=Decimal)  # amounts exactly as sent
        except ValueError:
            raise ControlError(400, "body must be JSON: an object, or an array of objects") from None
        with self._state.lock:
            default_merchant = next(iter(self._state.merchants.values()))
            known = set(self._state.merchants.values())
        if isinstance(body, list):
            if not body or len(body) > MAX_PLANT:
                raise ControlError(400, f"an array must hold 1 to {MAX_PLANT} records")
            records = [plant_record(item, default_merchant, known, at=i) for i, item in enumerate(body)]
            with self._state.lock:
                self._state.ledger.add_many(records)
            return json_response(200, {"ids": [r.id for r in records]})
        if not isinstance(body, dict):
            raise ControlError(400, "body must be a JSON object or an array of objects")
        if "count" not in body:
            record = plant_record(body, default_merchant, known)
            with self._state.lock:
                self._state.ledger.add(record)
            return json_response(200, {"id": record.id})
        count = control_int(body, "count", 1, 1, MAX_PLANT)
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
        with self._state.lock:
            self._state.ledger.add_many(records)
        return json_response(200, {"count": count})

    def _ctl_amend(self, match: re.Match[str], request: Request) -> Response:
        """Changes the amount (or the createdAt, so the day) the LEDGER shows; the status endpoint and the
        webhook keep the original, and the fee stays what was charged: a ledger that disagrees with what
        halotap was told."""
        try:
            body = json.loads(request.body, parse_float=Decimal)
        except ValueError:
            raise ControlError(400, 'body must be a JSON object like {"amount": "10.00"}') from None
        if not isinstance(body, dict) or not {"amount", "createdAt"} & set(body):
            raise ControlError(400, 'amount or createdAt is required: {"amount": "10.00"}')
        amount = _control_amount(body["amount"], "amount") if "amount" in body else None
        created_at = _control_time(body["createdAt"]) if "createdAt" in body else None
        reference = match["ref"]
        with self._state.lock:
            record = self._state.ledger.get(reference)
            matches = [record] if record is not None else self._state.ledger.by_reference(reference)
            tx = self._state.transactions.get(reference)
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
            if amount is not None:
                matches[0].amount = amount
            if created_at is not None:
                self._state.ledger.move(matches[0], created_at)
            return json_response(200, matches[0].view())

    def _ctl_get_transaction(self, match: re.Match[str], request: Request) -> Response:
        with self._state.lock:
            return json_response(200, self._transaction_view(self._state.transaction(match["ref"])))

    def _ctl_list_transactions(self, match: re.Match[str], request: Request) -> Response:
        with self._state.lock:
            return json_response(
                200, [self._transaction_view(tx) for tx in self._state.transactions.values()]
            )

    @staticmethod
    def _transaction_view(tx: Transaction) -> Json:
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
        with self._state.lock:
            return json_response(200, list(self._state.requests))

    def _ctl_clear_requests(self, match: re.Match[str], request: Request) -> Response:
        with self._state.lock:
            self._state.requests.clear()
        return json_response(200, [])

    def _ctl_get_faults(self, match: re.Match[str], request: Request) -> Response:
        with self._state.lock:
            return json_response(200, {"pending": [dict(f) for f in self._state.faults]})

    def _ctl_add_fault(self, match: re.Match[str], request: Request) -> Response:
        body = self._control_body(request)
        if body.get("mode") not in FAULT_MODES:
            raise ControlError(400, f"mode must be one of {', '.join(FAULT_MODES)}")
        count = control_int(body, "count", 1, 1, 1_000_000)
        calls = body.get("calls")
        if calls is not None and calls not in CALL_KINDS:
            raise ControlError(
                400, f"calls must be one of {', '.join(CALL_KINDS)}, or left out for every call"
            )
        only = FAULT_CALLS.get(body["mode"])
        if only is not None and calls != only:
            raise ControlError(400, f'calls must be "{only}" for mode {body["mode"]}')
        with self._state.lock:
            self._state.faults.append(
                {"mode": body["mode"], "count": count, **({"calls": calls} if calls else {})}
            )
            return json_response(200, {"pending": [dict(f) for f in self._state.faults]})

    def _ctl_clear_faults(self, match: re.Match[str], request: Request) -> Response:
        with self._state.lock:
            self._state.faults.clear()
        return json_response(200, {"pending": []})

    def _ctl_get_config(self, match: re.Match[str], request: Request) -> Response:
        with self._state.lock:
            return json_response(200, self._state.config_view())

    def _ctl_set_config(self, match: re.Match[str], request: Request) -> Response:
        """{"webhookUrl": url | null}, {"refundWindowSeconds": N | null}, {"linkSuccessStatus": 200 | 201};
        a key left out is left alone."""
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
        link_status = body.get("linkSuccessStatus", MISSING)
        if link_status is not MISSING and (isinstance(link_status, bool) or link_status not in LINK_STATUSES):
            raise ControlError(400, "linkSuccessStatus must be 200 or 201")
        with self._state.lock:
            if link_status is not MISSING:
                self._state.link_status = link_status
            if url is not MISSING:
                self._state.webhook_url = url
            if window is not MISSING:
                self._state.refund_window = None if window is None else float(window)
            return json_response(200, self._state.config_view())

    def _ctl_get_refunds(self, match: re.Match[str], request: Request) -> Response:
        with self._state.lock:
            return json_response(200, list(self._state.refunds.values()))

    def _ctl_reset(self, match: re.Match[str], request: Request) -> Response:
        with self._state.lock:
            self._state.reset()
        return json_response(200, {"reset": True})


# --------------------------------------------------------------------------- control input


def control_int(body: Json, key: str, default: int, minimum: int, maximum: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ControlError(400, f"{key} must be an integer from {minimum} to {maximum}")
    return value


def _control_amount(value: Any, name: str) -> Decimal:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | Decimal | str)
        or not AMOUNT_RE.match(str(value))
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
        if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
            raise ControlError(400, "currency is required and must be a 3-letter ISO 4217 code")
        disposition = CANONICAL_DISPOSITION.get(str(body.get("disposition", "")).lower())
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
        return now()
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and "T" in value else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ControlError(400, "createdAt must be an ISO 8601 timestamp with Z or an offset")
    return wire_time(moment)


def control_delay(body: Json) -> float:
    value = body.get("delaySeconds", 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
        raise ControlError(400, "delaySeconds must be a number from 0 to 3600")
    return float(value)
