"""The OpenAPI 3.1 document of the PSP-facing API, generated from the code itself.

Paths and security come from infra/manifest.py (the same routes API Gateway and the devstack serve);
bodies come from the pydantic models the handlers validate with; errors from halotap.domain.errors. The
committed copy is docs/openapi.json, and tests/unit/test_openapi.py fails when it drifts.
Run `python -m infra.openapi` to rewrite it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from halotap.domain import errors
from halotap.domain.models import (
    Checkout,
    CheckoutCreated,
    CreateCheckoutRequest,
    CreateRefundRequest,
    Refund,
)
from halotap.domain.states import CheckoutStatus
from infra import manifest

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
REF = "#/components/schemas/"


def _schema(model: type[Any], mode: str = "validation") -> dict[str, Any]:
    schema: dict[str, Any] = model.model_json_schema(by_alias=True, mode=mode, ref_template=REF + "{model}")
    return schema


def _problem_codes() -> list[str]:
    found = {cls.code for cls in _subclasses(errors.HalotapError)} | {
        r.code for r in manifest.GATEWAY_RESPONSES
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
    return _without(_schema(Refund, mode="serialization"), ("requestedAmount", "attempts", "nextAttemptAt"))


def _checkout_view() -> dict[str, Any]:
    """The checkout as GET returns it: the stored model less its internal bookkeeping."""
    schema = _without(
        _schema(Checkout, mode="serialization"),
        (
            "version",
            "clientId",
            "dueAt",
            "checks",
            "refundReferences",
            "reservedMinor",
            "refundedMinor",
            "refundCount",
        ),
    )
    schema["properties"]["amountRefunded"] = {
        "type": "string",
        "description": "The sum of the succeeded refunds, a decimal string like amount.",
    }
    schema["properties"]["refunds"] = {"type": "array", "items": {"$ref": REF + "Refund"}}
    schema.setdefault("required", [])
    schema["required"] += ["amountRefunded", "refunds"]
    schema["properties"]["notifications"] = {
        "type": "array",
        "items": {
            "allOf": [{"$ref": REF + "NotificationState"}],
            "properties": {"eventId": {"type": "string"}},
        },
    }
    return schema


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
        "200": {
            "description": "The checkout with this reference",
            "content": {"application/json": {"schema": {"$ref": REF + "CheckoutView"}}},
        },
        "400": _problem("merchantId and reference are both required"),
        "404": _problem("No such checkout for this API key"),
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
        "200": _html("The checkout page: merchant, amount, status and, while open, the QR code"),
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
                        "required": ["status", "returnUrl"],
                        "properties": {
                            "status": {"type": "string", "enum": [s.value for s in CheckoutStatus]},
                            "returnUrl": {"type": ["string", "null"], "format": "uri"},
                        },
                    }
                }
            },
        },
        "404": _problem("No such checkout"),
    },
    ("POST", "/v1/halo/webhooks/{token}"): {
        "200": {"description": "Queued for processing"},
        "400": _problem("Not JSON, or no merchantReference/id and disposition"),
        "401": _problem("Unknown token"),
        "503": _problem("Could not be queued; Halo should retry"),
    },
}


def _operation(route: manifest.Route, function: manifest.Function) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{function.name}_{route.method.lower()}"
        if len(function.routes) > 1
        else function.name,
        "summary": function.description,
        "responses": RESPONSES.get((route.method, route.path), {"200": {"description": "OK"}}),
    }
    parameters = [
        {"name": name.strip("{}"), "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.path.split("/")
        if name.startswith("{")
    ]
    if (route.method, route.path) == ("GET", "/v1/checkouts"):
        parameters += [
            {"name": "merchantId", "in": "query", "required": True, "schema": {"type": "string"}},
            {"name": "reference", "in": "query", "required": True, "schema": {"type": "string"}},
        ]
    if (route.method, route.path) == ("POST", "/v1/checkouts/{id}/refunds"):
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF + "CreateRefundRequest"}}},
        }
    if (route.method, route.path) == ("POST", "/v1/checkouts"):
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
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


def document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for name, schema in (
        ("CreateCheckoutRequest", _schema(CreateCheckoutRequest)),
        ("CheckoutCreated", _schema(CheckoutCreated, mode="serialization")),
        ("CheckoutView", _checkout_view()),
        ("CreateRefundRequest", _schema(CreateRefundRequest)),
        ("Refund", _refund_view()),
    ):
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
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
    paths: dict[str, Any] = {}
    for function in manifest.FUNCTIONS:
        for route in function.routes:
            paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, function)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "halotap",
            "version": "1",
            "description": "Halo Dot Tap on Own Device checkouts for PSPs. Errors are RFC 9457 problem+json.",
        },
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Your halotap API key"}
            },
            "schemas": dict(sorted(schemas.items())),
        },
        "paths": dict(sorted(paths.items())),
        "webhooks": {
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
                ["refund.failed", "refund.succeeded"],
                "Refund",
            ),
        },
    }


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render())
    sys.stdout.write(f"wrote {OUTPUT}\n")
