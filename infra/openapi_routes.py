"""Each route's part of the OpenAPI documents (infra/openapi.py assembles them): its responses, the
list routes' query parameters, and the body Halo's webhook POSTs."""

from __future__ import annotations

from typing import Any

from halotap.domain.cursors import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from halotap.domain.listing import KNOWN_EVENT_TYPES
from halotap.domain.states import CheckoutStatus
from halotap.page.messages import REASONS
from infra import openapi_api_keys, openapi_attempts, openapi_endpoints, openapi_ledger
from infra.openapi_parts import REF, problem


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


RESPONSES = {
    ("POST", "/v1/checkouts"): {
        "201": {
            "description": "Created, and open",
            "content": {"application/json": {"schema": {"$ref": REF + "CheckoutCreated"}}},
        },
        "400": problem("Malformed request; `errors` names each field"),
        "404": problem("Merchant not available to this API key"),
        "409": problem("Reference already used (`checkoutId`), or the Idempotency-Key is in flight"),
        "413": problem("The body is over 64 KB"),
        "415": problem("The body is not sent as application/json (or has no Content-Type)"),
        "422": problem("Idempotency-Key reused with another body"),
        "502": problem("Halo failed: halo_unavailable, halo_rejected, halo_bad_response or halo_auth_failed"),
        "504": problem("Halo did not answer in time"),
    },
    ("GET", "/v1/checkouts/{id}"): {
        "200": {
            "description": "The checkout",
            "content": {"application/json": {"schema": {"$ref": REF + "CheckoutView"}}},
        },
        "404": problem("No such checkout for this API key"),
    },
    ("GET", "/v1/checkouts"): {
        "200": _json(
            "With reference: the checkout with this reference. Without: a page of the merchant's checkouts",
            {"anyOf": [{"$ref": REF + "CheckoutView"}, {"$ref": REF + "CheckoutList"}]},
        ),
        "400": problem("merchantId missing, a filter malformed, or invalid_cursor"),
        "404": problem("No such checkout, or a merchant not available to this API key"),
    },
    ("GET", "/v1/events"): {
        "200": _json("The events after the cursor, oldest first", {"$ref": REF + "EventList"}),
        "400": problem("A malformed filter, or invalid_cursor"),
    },
    ("GET", "/v1/events/{id}"): {
        "200": _json("The event", {"$ref": REF + "Event"}),
        "404": problem("No such event for this API key"),
    },
    ("POST", "/v1/events/{id}/resend"): {
        "202": _json(
            "Queued for delivery again, with the same webhook-id",
            {
                "type": "object",
                "required": ["id", "status"],
                "properties": {"id": {"type": "string"}, "status": {"const": "queued"}},
            },
        ),
        "404": problem("No such event for this API key"),
    },
    ("POST", "/v1/webhook-endpoint/ping"): {
        "200": _json("How the signed ping to your notification URL went", {"$ref": REF + "PingResult"}),
        "400": problem("No notification URL or signing secret is configured"),
    },
    ("POST", "/v1/checkouts/{id}/cancel"): {
        "200": {
            "description": "Cancelled",
            "content": {"application/json": {"schema": {"$ref": REF + "CheckoutView"}}},
        },
        "404": problem("No such checkout for this API key"),
        "409": problem("Not open; `currentStatus` says what it is"),
    },
    ("POST", "/v1/checkouts/{id}/refunds"): {
        "201": {
            "description": "Created: succeeded, failed, or pending while Halo's answer is unknown",
            "headers": {"Location": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": REF + "Refund"}}},
        },
        "200": {
            "description": "The same reference and body again: the first refund (Idempotent-Replayed: true)",
            "content": {"application/json": {"schema": {"$ref": REF + "Refund"}}},
        },
        "400": problem("Malformed request; `errors` names each field"),
        "404": problem("No such checkout for this API key"),
        "409": problem(
            "checkout_not_refundable (`currentStatus`), refund_exceeds_amount (`amountRefundable`), "
            "refund_reference_used (`refundId`), refund_limit_reached, or the Idempotency-Key is in flight"
        ),
        "415": problem("The body is not sent as application/json (or has no Content-Type)"),
        "422": problem("Idempotency-Key reused with another body"),
    },
    ("GET", "/v1/checkouts/{id}/refunds/{refundId}"): {
        "200": {
            "description": "The refund",
            "content": {"application/json": {"schema": {"$ref": REF + "Refund"}}},
        },
        "404": problem("No such checkout for this API key, or no such refund"),
    },
    # The shopper's hosted checkout page: HTML, even for errors, because a person reads it.
    ("GET", "/pay/{id}"): {
        "200": _html(
            "The checkout page, in the checkout's locale or the browser's Accept-Language (en, af, de, es, "
            "fr, pt, zu): merchant, amount, status, advice after a failed tap and, while open, the ways to "
            "pay that suit the device (User-Agent and client hints)"
        ),
        "404": _html("Unknown or malformed checkout id: 'This payment link is not valid'"),
        "503": _html("The checkout could not be read; the page asks the shopper to refresh"),
    },
    ("GET", "/pay/{id}/status"): {
        "200": {
            "description": "What the checkout page polls",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["status", "returnUrl", "reason"],
                        "properties": {
                            "status": {"type": "string", "enum": [s.value for s in CheckoutStatus]},
                            "returnUrl": {"type": ["string", "null"], "format": "uri"},
                            "reason": {
                                "type": ["string", "null"],
                                "enum": [*REASONS.values(), None],
                                "description": "What the page advises after a failed tap, from Halo's errorCode",
                            },
                        },
                    }
                }
            },
        },
        "404": problem("No such checkout"),
    },
    ("POST", "/v1/halo/webhooks/{token}"): {  # Halo's call, documented for completeness
        "200": {"description": "Queued for processing"},
        "400": problem(
            "Not JSON, no merchantReference/id and disposition, a field of the wrong type or over 128 "
            "characters, a non-finite amount, nesting over 32 deep, or text that is not valid Unicode"
        ),
        "401": problem("Unknown token"),
        "413": problem("The body is over 64 KB"),
        "503": problem("Could not be queued; Halo should retry"),
    },
}


RESPONSES.update(openapi_ledger.RESPONSES)
RESPONSES.update(openapi_endpoints.RESPONSES)
RESPONSES.update(openapi_api_keys.RESPONSES)
RESPONSES.update(openapi_attempts.RESPONSES)
RESPONSES[("GET", "/pay/{id}/status")]["200"]["content"]["application/json"]["schema"] = (
    openapi_attempts.PAGE_STATUS
)


# Readable, unique ids, which generated clients turn into method names.
LIST_PARAMETERS = [
    {"name": "merchantId", "in": "query", "required": True, "schema": {"type": "string"}},
    {
        "name": "reference",
        "in": "query",
        "required": False,
        "description": "Find the one checkout with this reference (the answer is that checkout, or 404)",
        "schema": {"type": "string"},
    },
    {
        "name": "status",
        "in": "query",
        "required": False,
        "description": "Repeat to list several statuses. An unknown status is 400, naming the ones there are",
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string", "enum": [s.value for s in CheckoutStatus]}},
    },
    {
        "name": "createdFrom",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "createdTo",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "date-time"},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The previous page's nextCursor, with the same filters",
        "schema": {"type": "string"},
    },
]
EVENT_PARAMETERS = [
    {
        "name": "after",
        "in": "query",
        "required": False,
        "description": "The previous answer's nextCursor; without it, from the oldest event kept (30 days)",
        "schema": {"type": "string"},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
    },
    {
        "name": "type",
        "in": "query",
        "required": False,
        "description": "Repeat to list several types. An unknown type is 400, naming the ones there are",
        "style": "form",
        "explode": True,
        "schema": {
            "type": "array",
            "items": {
                "type": "string",
                "enum": list(KNOWN_EVENT_TYPES),
            },
        },
    },
]


# What Halo POSTs (see halotap.domain.halo): the checkout is found by merchantReference (halotap's
# checkout id), else by id; the disposition is confirmed with Halo's status endpoint before it counts.
HALO_WEBHOOK_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["disposition"],
    "anyOf": [{"required": ["merchantReference"]}, {"required": ["id"]}],
    "properties": {
        "merchantReference": {"type": "string", "description": "halotap's checkout id (paymentReference)"},
        "id": {"type": "string", "description": "Halo's reference for the transaction"},
        "haloReference": {"type": "string"},
        "disposition": {
            "type": "string",
            "description": "Approved, Declined, DeclinedOffline, UnableToGoOnline, Indeterminate or Voided, "
            "in any case",
        },
        "amount": {"type": ["string", "number"]},
        "currency": {"type": "string"},
        "authorisationCode": {"type": "string"},
        "authorizationCode": {"type": "string"},
        "responseCode": {"type": "string"},
        "transactionId": {"type": "string"},
    },
}
