"""The OpenAPI 3.1 document of the PSP-facing API, generated from the code itself.

Paths and security come from infra/manifest.py (the same routes API Gateway and the devstack serve);
bodies come from the pydantic-core schemas the handlers validate with (domain/requests.py) and the
records they answer with (domain/models.py, described by pydantic); errors from halotap.domain.errors. The
committed copy is docs/openapi.json, and tests/unit/test_openapi.py fails when it drifts.
Run `python -m infra.openapi` to rewrite it.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from halotap.domain import errors
from halotap.domain.cursors import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from halotap.domain.listing import KNOWN_EVENT_TYPES
from halotap.domain.models import (
    Checkout,
    Failure,
    HistoryEntry,
    NotificationState,
    Outcome,
    Refund,
    RefundFailure,
    wire_name,
)
from halotap.domain.notifications import REFUND_EVENT_TYPES
from halotap.domain.requests import Body, CreateCheckoutRequest, CreateRefundRequest
from halotap.domain.states import CheckoutStatus
from halotap.domain.views import INTERNAL_FIELDS, REFUND_INTERNAL_FIELDS, CheckoutCreated
from halotap.page.messages import REASONS
from infra import manifest, openapi_contract, openapi_ledger
from infra.openapi_contract import IDEMPOTENCY_KEY_PARAMETER

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
# Halo's webhook intake and the shopper's hosted page (manifest Route.internal): not a PSP's calls.
OUTPUT_INTERNAL = OUTPUT.with_name("openapi-internal.json")
REF = "#/components/schemas/"


def _request_schema(body: type[Body]) -> dict[str, Any]:
    """The JSON schema of a request body, from the very pydantic-core schema that validates it."""
    from pydantic.json_schema import GenerateJsonSchema

    generator = GenerateJsonSchema(by_alias=True, ref_template=REF + "{model}")
    schema: dict[str, Any] = generator.generate(body.SCHEMA, mode="validation")
    return schema


@cache
def _describe_records() -> None:
    """Tell pydantic, once, how the stored records (plain dataclasses, domain/models.py) look on the wire:
    named as `Record.to_dict` names them; closed, but for history entries, which older releases may have
    written with more keys."""
    from pydantic import ConfigDict

    for cls in (
        HistoryEntry,
        Outcome,
        NotificationState,
        Failure,
        RefundFailure,
        Refund,
        Checkout,
        CheckoutCreated,
    ):
        extra = "allow" if cls is HistoryEntry else "forbid"
        cls.__pydantic_config__ = ConfigDict(alias_generator=wire_name, extra=extra)  # type: ignore[attr-defined]


def _stored_schema(record: type[Any]) -> dict[str, Any]:
    """The JSON schema of a stored record, as it is serialized."""
    from pydantic import TypeAdapter

    _describe_records()
    schema: dict[str, Any] = TypeAdapter(record).json_schema(
        by_alias=True, mode="serialization", ref_template=REF + "{model}"
    )
    return schema


def _problem_codes() -> list[str]:
    found = {cls.code for cls in _subclasses(errors.HalotapError)} | {
        r.code for r in (*manifest.GATEWAY_RESPONSES, manifest.METHOD_NOT_ALLOWED)
    }
    return sorted(found)


def _subclasses(cls: type[Any]) -> list[type[Any]]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _subclasses(child))]


def _without(schema: dict[str, Any], internal: tuple[str, ...]) -> dict[str, Any]:
    for name in internal:
        schema["properties"].pop(name, None)
        if name in schema.get("required", []):
            schema["required"].remove(name)
    return schema


def _refund_view() -> dict[str, Any]:
    """A refund as the API returns it: the stored model less its retry bookkeeping."""
    return _without(_stored_schema(Refund), tuple(wire_name(name) for name in REFUND_INTERNAL_FIELDS))


def _checkout_view() -> dict[str, Any]:
    """The checkout as GET returns it: the stored model less its internal bookkeeping."""
    schema = _stored_schema(Checkout)
    for internal in (wire_name(name) for name in INTERNAL_FIELDS):
        schema["properties"].pop(internal, None)
        if internal in schema.get("required", []):
            schema["required"].remove(internal)
    # One flat schema per entry: an allOf of a closed schema (additionalProperties: false) plus eventId
    # would reject every entry, eventId included.
    schema["properties"]["notifications"] = {"type": "array", "items": {"$ref": REF + "NotificationView"}}
    schema["properties"]["payUrl"] = {
        "type": "string",
        "format": "uri",
        "description": "While open: halotap's hosted checkout page (QR code on a desktop, button on a phone).",
    }
    schema["properties"]["qrCode"] = {
        "type": "string",
        "description": "While open, if the create asked for one: a QR code image of the deep link (data URI).",
    }
    schema["properties"]["amountRefunded"] = {
        "type": "string",
        "description": "The sum of the succeeded refunds, a decimal string like amount.",
    }
    schema["properties"]["refunds"] = {"type": "array", "items": {"$ref": REF + "Refund"}}
    schema["properties"]["fallbackUrl"]["description"] = (
        'As the create gave it: the hosted page\'s "Pay another way" link, with checkoutId added.'
    )
    schema["properties"]["locale"]["description"] = "As the create gave it: the hosted page's language."
    schema.setdefault("required", [])
    schema["required"] += ["amountRefunded", "refunds"]
    return schema


def _notification_view() -> dict[str, Any]:
    schema = _stored_schema(NotificationState)
    schema["title"] = "NotificationView"
    schema["properties"] = {
        "eventId": {"type": "string", "description": "The webhook-id"},
        **schema["properties"],
    }
    schema["required"] = ["eventId", *schema.get("required", [])]
    return schema


def _event() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "type", "timestamp", "data"],
        "properties": {
            "id": {"type": "string", "description": "The webhook-id the notification carried"},
            "type": {
                "type": "string",
                "enum": list(KNOWN_EVENT_TYPES),
            },
            "timestamp": {"type": "string", "format": "date-time"},
            "data": {
                "type": "object",
                "description": "The checkout, or the refund, as the notification carried it",
            },
        },
    }


def _list(item: str, description: str, *, nullable_cursor: bool) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data", "nextCursor"],
        "additionalProperties": False,
        "properties": {
            "data": {"type": "array", "items": {"$ref": REF + item}},
            "nextCursor": {
                "type": ["string", "null"] if nullable_cursor else "string",
                "description": description,
            },
        },
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF + "Problem"}}},
    }


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


RESPONSES = {
    ("POST", "/v1/checkouts"): {
        "201": {
            "description": "Created, and open",
            "content": {"application/json": {"schema": {"$ref": REF + "CheckoutCreated"}}},
        },
        "400": _problem("Malformed request; `errors` names each field"),
        "404": _problem("Merchant not available to this API key"),
        "409": _problem("Reference already used (`checkoutId`), or the Idempotency-Key is in flight"),
        "413": _problem("The body is over 64 KB"),
        "415": _problem("The body is not sent as application/json (or has no Content-Type)"),
        "422": _problem("Idempotency-Key reused with another body"),
        "502": _problem(
            "Halo failed: halo_unavailable, halo_rejected, halo_bad_response or halo_auth_failed"
        ),
        "504": _problem("Halo did not answer in time"),
    },
    ("GET", "/v1/checkouts/{id}"): {
        "200": {
            "description": "The checkout",
            "content": {"application/json": {"schema": {"$ref": REF + "CheckoutView"}}},
        },
        "404": _problem("No such checkout for this API key"),
    },
    ("GET", "/v1/checkouts"): {
        "200": _json(
            "With reference: the checkout with this reference. Without: a page of the merchant's checkouts",
            {"anyOf": [{"$ref": REF + "CheckoutView"}, {"$ref": REF + "CheckoutList"}]},
        ),
        "400": _problem("merchantId missing, a filter malformed, or invalid_cursor"),
        "404": _problem("No such checkout, or a merchant not available to this API key"),
    },
    ("GET", "/v1/events"): {
        "200": _json("The events after the cursor, oldest first", {"$ref": REF + "EventList"}),
        "400": _problem("A malformed filter, or invalid_cursor"),
    },
    ("GET", "/v1/events/{id}"): {
        "200": _json("The event", {"$ref": REF + "Event"}),
        "404": _problem("No such event for this API key"),
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
        "404": _problem("No such event for this API key"),
    },
    ("POST", "/v1/webhook-endpoint/ping"): {
        "200": _json("How the signed ping to your notification URL went", {"$ref": REF + "PingResult"}),
        "400": _problem("No notification URL or signing secret is configured"),
    },
    ("POST", "/v1/checkouts/{id}/cancel"): {
        "200": {
            "description": "Cancelled",
            "content": {"application/json": {"schema": {"$ref": REF + "CheckoutView"}}},
        },
        "404": _problem("No such checkout for this API key"),
        "409": _problem("Not open; `currentStatus` says what it is"),
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
        "400": _problem("Malformed request; `errors` names each field"),
        "404": _problem("No such checkout for this API key"),
        "409": _problem(
            "checkout_not_refundable (`currentStatus`), refund_exceeds_amount (`amountRefundable`), "
            "refund_reference_used (`refundId`), refund_limit_reached, or the Idempotency-Key is in flight"
        ),
        "415": _problem("The body is not sent as application/json (or has no Content-Type)"),
        "422": _problem("Idempotency-Key reused with another body"),
    },
    ("GET", "/v1/checkouts/{id}/refunds/{refundId}"): {
        "200": {
            "description": "The refund",
            "content": {"application/json": {"schema": {"$ref": REF + "Refund"}}},
        },
        "404": _problem("No such checkout for this API key, or no such refund"),
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
        "404": _problem("No such checkout"),
    },
    ("POST", "/v1/halo/webhooks/{token}"): {  # Halo's call, documented for completeness
        "200": {"description": "Queued for processing"},
        "400": _problem(
            "Not JSON, no merchantReference/id and disposition, a field of the wrong type or over 128 "
            "characters, a non-finite amount, nesting over 32 deep, or text that is not valid Unicode"
        ),
        "401": _problem("Unknown token"),
        "413": _problem("The body is over 64 KB"),
        "503": _problem("Could not be queued; Halo should retry"),
    },
}


RESPONSES.update(openapi_ledger.RESPONSES)


# Readable, unique ids, which generated clients turn into method names.
OPERATION_IDS = {
    ("POST", "/v1/checkouts"): "createCheckout",
    ("GET", "/v1/checkouts/{id}"): "getCheckout",
    ("GET", "/v1/checkouts"): "listCheckouts",
    ("POST", "/v1/checkouts/{id}/cancel"): "cancelCheckout",
    ("POST", "/v1/checkouts/{id}/refunds"): "createRefund",
    ("GET", "/v1/checkouts/{id}/refunds/{refundId}"): "getRefund",
    ("GET", "/pay/{id}"): "getCheckoutPage",
    ("GET", "/pay/{id}/status"): "getCheckoutPageStatus",
    ("POST", "/v1/halo/webhooks/{token}"): "receiveHaloWebhook",
    ("GET", "/v1/events"): "listEvents",
    ("GET", "/v1/events/{id}"): "getEvent",
    ("POST", "/v1/events/{id}/resend"): "resendEvent",
    ("POST", "/v1/webhook-endpoint/ping"): "pingWebhookEndpoint",
    **openapi_ledger.OPERATION_IDS,
}


def operation_id(route: manifest.Route) -> str:
    """The readable id, or one spelled from the method and path: unique either way, as a path is."""
    spelled = "_".join(part.strip("{}") for part in route.path.split("/") if part)
    return OPERATION_IDS.get((route.method, route.path), f"{route.method.lower()}_{spelled}")


_LIST_PARAMETERS = [
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
_EVENT_PARAMETERS = [
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


def _operation(route: manifest.Route, function: manifest.Function) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id(route),
        "summary": function.description,
        "responses": RESPONSES.get((route.method, route.path), {"200": {"description": "OK"}}),
    }
    parameters = [
        {"name": name.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.path.split("/")
        if name.startswith("{")
    ]
    if (route.method, route.path) == ("GET", "/v1/checkouts"):
        parameters += _LIST_PARAMETERS
    if (route.method, route.path) == ("GET", "/v1/events"):
        parameters += _EVENT_PARAMETERS
    if (route.method, route.path) == ("POST", "/v1/halo/webhooks/{token}"):
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": HALO_WEBHOOK_BODY}},
        }
    if (route.method, route.path) == ("POST", "/v1/checkouts/{id}/refunds"):
        parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF + "CreateRefundRequest"}}},
        }
    if (route.method, route.path) == ("POST", "/v1/checkouts"):
        parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF + "CreateCheckoutRequest"}}},
        }
    if parameters:
        operation["parameters"] = parameters
    if route.authorized:
        operation["responses"] = {**operation["responses"], "401": _problem("Missing or unknown API key")}
    else:
        operation["security"] = []
    return operation


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


def _webhook(summary: str, types: list[str], data: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": f"{summary} (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature)",
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["type", "timestamp", "data"],
                            "properties": {
                                "type": {"type": "string", "enum": types},
                                "timestamp": {"type": "string", "format": "date-time"},
                                "data": {"$ref": REF + data},
                            },
                        }
                    }
                }
            },
            "responses": {"2XX": {"description": "Delivered"}, "410": {"description": "Stop sending"}},
        }
    }


def document(*, internal: bool = False) -> dict[str, Any]:
    """The PSP's contract; with `internal`, the document of the routes the manifest marks internal."""
    schemas: dict[str, Any] = {}
    for name, schema in (
        ("CreateCheckoutRequest", _request_schema(CreateCheckoutRequest)),
        ("CheckoutCreated", _stored_schema(CheckoutCreated)),
        ("CheckoutView", _checkout_view()),
        ("NotificationView", _notification_view()),
        ("CreateRefundRequest", _request_schema(CreateRefundRequest)),
        ("Refund", _refund_view()),
    ):
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    schemas["Outcome"]["properties"]["errorCode"]["description"] = (
        "Halo's SDK error code, when its webhook or status gave one: 300 NFC disabled, 303 Android too "
        "old, 314 rooted device, 317 cancelled, 318 card tap timeout, 65 single tap and PIN. The hosted "
        "page tells the shopper what to do about these."
    )
    schemas["CheckoutList"] = _list(
        "CheckoutView", "The next page's cursor; null on the last page", nullable_cursor=True
    )
    schemas.update(openapi_ledger.SCHEMAS)
    schemas["Event"] = _event()
    schemas["EventList"] = _list("Event", "Poll from here later; always present", nullable_cursor=False)
    schemas["PingResult"] = {
        "type": "object",
        "required": ["delivered", "status", "latencyMs", "error"],
        "properties": {
            "delivered": {"type": "boolean"},
            "status": {"type": ["integer", "null"], "description": "Your endpoint's HTTP status"},
            "latencyMs": {"type": "integer"},
            "error": {"type": ["string", "null"]},
        },
    }
    schemas["Problem"] = {
        "type": "object",
        "required": ["type", "title", "status", "code"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string", "enum": _problem_codes()},
            "instance": {"type": "string"},
            "requestId": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }
    openapi_contract.make_strict(schemas)
    schemas = dict(sorted(schemas.items()))
    openapi_contract.readable_titles(schemas)
    paths: dict[str, Any] = {}
    for function in manifest.FUNCTIONS:
        for route in function.routes:
            if route.internal is internal:
                paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, function)
    openapi_contract.add_examples(paths)
    head: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "halotap internal routes" if internal else "halotap",
            "version": "1",
            "description": INTERNAL_DESCRIPTION
            if internal
            else "Halo Dot Tap on Own Device checkouts for PSPs. Errors are RFC 9457 problem+json.",
        },
        "servers": openapi_contract.SERVERS,
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Your halotap API key"}
            },
            "schemas": schemas,
        },
        "paths": dict(sorted(paths.items())),
    }
    if internal:
        return head
    webhooks: dict[str, Any] = {
        "checkoutEvent": _webhook(
            "A checkout's status changed",
            sorted(
                {
                    "checkout.approved",
                    "checkout.declined",
                    "checkout.failed",
                    "checkout.cancelled",
                    "checkout.expired",
                    "checkout.voided",
                }
            ),
            "CheckoutView",
        ),
        "refundEvent": _webhook(
            "A refund succeeded or failed; `data` is the refund",
            sorted(REFUND_EVENT_TYPES),
            "Refund",
        ),
        "ledgerEvent": openapi_ledger.webhook(_webhook),
        "ping": {
            "post": {
                "summary": "Sent once, at once, by POST /v1/webhook-endpoint/ping (signed like every "
                "notification; not an event, never retried)",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["type", "timestamp", "data"],
                                "properties": {
                                    "type": {"const": "ping"},
                                    "timestamp": {"type": "string", "format": "date-time"},
                                    "data": {
                                        "type": "object",
                                        "properties": {"clientId": {"type": "string"}},
                                    },
                                },
                            }
                        }
                    }
                },
                "responses": {"2XX": {"description": "Your endpoint is reachable and verified it"}},
            }
        },
    }
    openapi_contract.webhook_examples(webhooks)
    return {**head, "webhooks": webhooks}


INTERNAL_DESCRIPTION = (
    "Routes halotap serves that are not a PSP's calls: Halo's webhook intake (authenticated by the path "
    "token) and the shopper's hosted checkout page. The PSP's contract is docs/openapi.json."
)


def render(*, internal: bool = False) -> str:
    return json.dumps(document(internal=internal), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render())
    OUTPUT_INTERNAL.write_text(render(internal=True))
    sys.stdout.write(f"wrote {OUTPUT} and {OUTPUT_INTERNAL}\n")
