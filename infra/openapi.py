"""The OpenAPI 3.1 document of the PSP-facing API, generated from the code itself.

Paths and security come from infra/manifest.py (the same routes API Gateway and the devstack serve);
bodies come from the pydantic-core schemas the handlers validate with (domain/requests.py) and the
records they answer with (domain/models.py, described by pydantic); errors from halotap.domain.errors. The
committed copies are docs/openapi.json (the PSP's contract) and docs/openapi-internal.json (the routes the
manifest marks internal), and tests/unit/test_openapi.py fails when either drifts. Run
`python -m infra.openapi` to rewrite them. Each route's responses and parameters are in
infra/openapi_routes.py; servers, titles, examples and the strict request schemas in infra/openapi_contract.py.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any, Literal

from halotap.domain import errors
from halotap.domain.listing import KNOWN_EVENT_TYPES
from halotap.domain.models import (
    Attempt,
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
from halotap.domain.views import INTERNAL_FIELDS, REFUND_INTERNAL_FIELDS, CheckoutCreated
from infra import (
    manifest,
    openapi_api_keys,
    openapi_attempts,
    openapi_contract,
    openapi_endpoints,
    openapi_ledger,
)
from infra.openapi_contract import IDEMPOTENCY_KEY_PARAMETER
from infra.openapi_parts import problem
from infra.openapi_routes import (
    EVENT_PARAMETERS,
    HALO_WEBHOOK_BODY,
    LIST_PARAMETERS,
    RESPONSES,
)

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
        Attempt,
        Outcome,
        NotificationState,
        Failure,
        RefundFailure,
        Refund,
        Checkout,
        CheckoutCreated,
    ):
        extra: Literal["allow", "forbid"] = "allow" if cls is HistoryEntry else "forbid"
        cls.__pydantic_config__ = ConfigDict(alias_generator=wire_name, extra=extra)  # type: ignore[union-attr]


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
    openapi_attempts.patch_view(schema)
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


def operation_id(route: manifest.Route) -> str:
    """The route's readable id, declared beside it in the manifest."""
    return route.operation_id


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
        parameters += LIST_PARAMETERS
    if (route.method, route.path) == ("GET", "/v1/events"):
        parameters += EVENT_PARAMETERS
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
    if (route.method, route.path) in openapi_endpoints.REQUESTS:
        schema = {"$ref": REF + openapi_endpoints.REQUESTS[(route.method, route.path)]}
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if (route.method, route.path) == openapi_api_keys.CREATE:
        operation["requestBody"] = openapi_api_keys.REQUEST_BODY
    if parameters:
        operation["parameters"] = parameters
    if route.authorized:
        operation["responses"] = {
            **operation["responses"],
            "401": problem("Missing or unknown API key"),
            "429": openapi_api_keys.RATE_LIMITED,
        }
    else:
        operation["security"] = []
    return operation


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
    schemas.update(openapi_endpoints.SCHEMAS)
    schemas.update(openapi_api_keys.SCHEMAS)
    schemas.update(openapi_attempts.SCHEMAS)
    schemas["AttemptFailedData"] = openapi_attempts.failed_data(schemas["CheckoutView"])
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
        "endpointEvent": openapi_endpoints.webhook(_webhook),
        "attemptEvent": openapi_attempts.webhook(_webhook),
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
