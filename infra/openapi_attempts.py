"""Attempts' part of the OpenAPI document (infra/openapi.py merges it): the new-attempt routes, the
attempt as the checkout shows it, and the `checkout.attempt_failed` webhook (issue 19)."""

from __future__ import annotations

import copy
from typing import Any

from halotap.domain.attempts import STATUSES
from halotap.domain.notifications import ATTEMPT_FAILED
from halotap.page.messages import REASONS
from infra.openapi_parts import REF
from infra.openapi_parts import problem as _problem

CREATE = ("POST", "/v1/checkouts/{id}/attempts")
TRY_AGAIN = ("POST", "/pay/{id}/attempts")


ATTEMPT: dict[str, Any] = {
    "type": "object",
    "description": "One Halo transaction of the checkout, oldest first. The checkout's deepLink and "
    "haloReference are its current (last) attempt's.",
    "required": ["id", "haloReference", "deepLink", "status", "disposition", "createdAt"],
    "additionalProperties": False,
    "properties": {
        "id": {
            "type": "string",
            "description": "The paymentReference halotap gave Halo: the checkout id for the first attempt, "
            "`<checkoutId>.<n>` for the n-th",
        },
        "haloReference": {"type": ["string", "null"], "description": "null while Halo is asked for the link"},
        "deepLink": {"type": ["string", "null"], "format": "uri"},
        "status": {
            "type": "string",
            "enum": list(STATUSES),
            "description": "`refunded`: a second approval of the checkout, refunded in full (duplicate_payment)",
        },
        "disposition": {"type": ["string", "null"], "description": "Halo's disposition, once confirmed"},
        "errorCode": {"type": "integer", "description": "Halo's SDK error code, when it gave one"},
        "createdAt": {"type": "string", "format": "date-time"},
    },
}


def failed_data(checkout_view: dict[str, Any]) -> dict[str, Any]:
    """checkout.attempt_failed's data: the checkout (still open), the attempt that failed and how many may
    follow it. One flat schema: the view is closed (additionalProperties: false), so no allOf can extend it."""
    schema = copy.deepcopy(checkout_view)
    schema["description"] = "The checkout (still open), the attempt that failed and how many may follow it"
    schema["properties"]["attempt"] = {"$ref": REF + "Attempt"}
    schema["properties"]["attemptsLeft"] = {"type": "integer", "minimum": 1}
    schema["required"] = [*schema.get("required", []), "attempt", "attemptsLeft"]
    return schema


PAGE_STATUS: dict[str, Any] = {
    "type": "object",
    "required": ["status", "returnUrl", "reason", "attemptsLeft"],
    "properties": {
        "status": {
            "type": "string",
            "description": "The checkout's status, or `retry` (a failed attempt, another allowed) or "
            "`creating` (the next attempt's link is on its way)",
        },
        "returnUrl": {"type": ["string", "null"], "format": "uri"},
        "reason": {
            "type": ["string", "null"],
            "enum": [*REASONS.values(), None],
            "description": "What the page advises after a failed tap, from Halo's errorCode",
        },
        "attemptsLeft": {"type": "integer", "description": "In the retry state: attempts that may follow"},
    },
}

RESPONSES: dict[tuple[str, str], dict[str, Any]] = {
    CREATE: {
        "201": {
            "description": "The checkout, whose `attempts` ends with the new attempt and its deep link",
            "content": {"application/json": {"schema": {"$ref": REF + "CheckoutView"}}},
        },
        "404": _problem("No such checkout for this API key"),
        "409": _problem(
            "attempt_not_allowed (not open, `currentStatus`; or the current attempt has no failure "
            "confirmed by Halo), attempts_exhausted (`maxAttempts`), or the Idempotency-Key is in flight"
        ),
        "502": _problem(
            "Halo failed: halo_unavailable, halo_rejected, halo_bad_response or halo_auth_failed"
        ),
        "504": _problem("Halo did not answer in time"),
    },
    TRY_AGAIN: {
        "200": {
            "description": "With Accept: application/json (the page's script): the page's status, as GET "
            "/pay/{id}/status answers",
            "content": {"application/json": {"schema": PAGE_STATUS}},
        },
        "303": {"description": "A plain form post (no script): back to the page"},
        "404": _problem("No such checkout"),
        "409": {
            "description": "No new attempt may be made now (the page is stale): the page's status",
            "content": {"application/json": {"schema": PAGE_STATUS}},
        },
        "502": _problem("Halo failed"),
        "504": _problem("Halo did not answer in time"),
    },
}
SCHEMAS = {"Attempt": ATTEMPT}


def patch_view(schema: dict[str, Any]) -> None:
    """The checkout view's `attempts` are the attempt views (the stored records less their bookkeeping)."""
    schema["properties"]["attempts"] = {"type": "array", "items": {"$ref": REF + "Attempt"}}
    schema["properties"]["maxAttempts"] = {
        "type": "integer",
        "minimum": 1,
        "maximum": 5,
        "description": "As the create gave it (default 1): how many attempts the shopper may make",
    }
    schema.setdefault("required", [])
    schema["required"] += [name for name in ("attempts", "maxAttempts") if name not in schema["required"]]


def webhook(make: Any) -> dict[str, Any]:
    built: dict[str, Any] = make(
        "An attempt failed and another is allowed: the checkout stays open",
        [ATTEMPT_FAILED],
        "AttemptFailedData",
    )
    return built
