"""Each operation as a request to send, shared by the sync and the async client."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    json: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def segment(value: str) -> str:
    """A path parameter, escaped so that an id can never reach another route."""
    return quote(value, safe="")


def idempotency_key(given: str | None) -> dict[str, str]:
    """The caller's key, or a fresh one: each retry of this call then sends the same key."""
    return {"Idempotency-Key": given or str(uuid.uuid4())}


def without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def query(**values: str | int | Iterable[str] | None) -> tuple[tuple[str, str], ...]:
    """camelCase query parameters; an iterable repeats its name (status=open&status=approved)."""
    found: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, str | int):
            found.append((name, str(value)))
        else:
            found += [(name, str(item)) for item in value]
    return tuple(found)


def create_checkout(
    *,
    merchant_id: str,
    reference: str,
    amount: str,
    currency: str,
    return_url: str | None,
    expires_in_seconds: int | None,
    qr_code: bool | None,
    is_consumer_app: bool | None,
    metadata: dict[str, str] | None,
    notification_url: str | None,
    fallback_url: str | None,
    locale: str | None,
    max_attempts: int | None,
    idempotency_key_value: str | None,
) -> Call:
    body = without_none(
        {
            "merchantId": merchant_id,
            "reference": reference,
            "amount": amount,
            "currency": currency,
            "returnUrl": return_url,
            "expiresInSeconds": expires_in_seconds,
            "qrCode": qr_code,
            "isConsumerApp": is_consumer_app,
            "metadata": metadata,
            "notificationUrl": notification_url,
            "fallbackUrl": fallback_url,
            "locale": locale,
            "maxAttempts": max_attempts,
        }
    )
    return Call("POST", "/v1/checkouts", json=body, headers=idempotency_key(idempotency_key_value))


def create_refund(
    checkout_id: str,
    *,
    reference: str,
    amount: str | None,
    reason: str | None,
    metadata: dict[str, str] | None,
    idempotency_key_value: str | None,
) -> Call:
    body = without_none({"reference": reference, "amount": amount, "reason": reason, "metadata": metadata})
    return Call(
        "POST",
        f"/v1/checkouts/{segment(checkout_id)}/refunds",
        json=body,
        headers=idempotency_key(idempotency_key_value),
    )


def create_attempt(checkout_id: str, idempotency_key_value: str | None) -> Call:
    """A new attempt (a new Halo deep link) after the current one failed; retried with the same key."""
    path = f"/v1/checkouts/{segment(checkout_id)}/attempts"
    return Call("POST", path, headers=idempotency_key(idempotency_key_value))


def list_checkouts(
    merchant_id: str,
    *,
    status: Iterable[str] | None,
    created_from: str | None,
    created_to: str | None,
    limit: int | None,
    cursor: str | None,
) -> Call:
    params = query(
        merchantId=merchant_id,
        status=status,
        createdFrom=created_from,
        createdTo=created_to,
        limit=limit,
        cursor=cursor,
    )
    return Call("GET", "/v1/checkouts", params=params)


def list_events(*, after: str | None, limit: int | None, types: Iterable[str] | None) -> Call:
    return Call("GET", "/v1/events", params=query(after=after, limit=limit, type=types))


def ledger(merchant_id: str, date: str, *, run: bool) -> Call:
    path = f"/v1/merchants/{segment(merchant_id)}/ledger/{segment(date)}"
    return Call("POST", path + "/run") if run else Call("GET", path, headers={"Accept": "application/json"})
