"""Webhook endpoints' part of the OpenAPI document (infra/openapi.py merges it): the /v1/webhook-endpoints
routes, the delivery log, their schemas and examples, and the `endpoint.disabled` webhook."""

from __future__ import annotations

from typing import Any

from halotap.domain.deliveries import MAX_ATTEMPTS_PER_ENDPOINT
from halotap.domain.endpoints import MAX_DESCRIPTION_CHARS, MAX_ENDPOINTS, MAX_URL_CHARS
from halotap.domain.notifications import ALL_EVENT_TYPES, ENDPOINT_EVENT_TYPES
from infra.openapi_parts import REF
from infra.openapi_parts import json_of as _json
from infra.openapi_parts import problem as _problem

COLLECTION = "/v1/webhook-endpoints"
ONE = "/v1/webhook-endpoints/{id}"
ENDPOINT_ID = "we_3k7tq2m9x4bz6c8r1v5n0h2j4f"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - the documentation's example, not a secret
AT = "2026-11-27T12:00:00.000Z"


_EVENTS = {
    "type": "array",
    "minItems": 1,
    "description": 'The event types this endpoint gets, or ["*"] for every type',
    "items": {"type": "string", "enum": ["*", *ALL_EVENT_TYPES]},
}
_URL = {"type": "string", "format": "uri", "maxLength": MAX_URL_CHARS, "description": "https (SSRF-checked)"}
_DESCRIPTION = {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION_CHARS}

ENDPOINT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "url", "enabledEvents", "status"],
    "properties": {
        "id": {"type": "string", "description": "we_...; we_default is the URL halotap's operator set up"},
        "url": {"type": "string"},
        "enabledEvents": _EVENTS,
        "status": {"type": "string", "enum": ["enabled", "disabled"]},
        "description": _DESCRIPTION,
        "createdAt": {"type": ["string", "null"], "format": "date-time"},
        "failingSince": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "The first failed attempt since the last success; disabled after 5 days of it",
        },
        "disabledAt": {"type": ["string", "null"], "format": "date-time"},
        "secret": {"type": "string", "description": "Only when created or rotated: shown once"},
    },
}
SCHEMAS: dict[str, Any] = {
    "WebhookEndpoint": ENDPOINT,
    "WebhookEndpointList": {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": {"$ref": REF + "WebhookEndpoint"}}},
    },
    "CreateWebhookEndpointRequest": {
        "type": "object",
        "required": ["url", "enabledEvents"],
        "additionalProperties": False,
        "properties": {"url": _URL, "enabledEvents": _EVENTS, "description": _DESCRIPTION},
    },
    "UpdateWebhookEndpointRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "url": _URL,
            "enabledEvents": _EVENTS,
            "description": _DESCRIPTION,
            "status": {"type": "string", "enum": ["enabled", "disabled"]},
        },
    },
    "RecoverWebhookEndpointRequest": {
        "type": "object",
        "required": ["since"],
        "additionalProperties": False,
        "properties": {
            "since": {"type": "string", "format": "date-time", "description": "At most 30 days ago"}
        },
    },
    "DeliveryAttemptList": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "array",
                "description": f"Oldest first; the newest {MAX_ATTEMPTS_PER_ENDPOINT} attempts at each endpoint",
                "items": {
                    "type": "object",
                    "required": ["endpointId", "attempt", "at", "status", "latencyMs", "error"],
                    "properties": {
                        "endpointId": {
                            "type": ["string", "null"],
                            "description": "null: the checkout's own notificationUrl",
                        },
                        "attempt": {"type": "integer", "minimum": 1},
                        "at": {"type": "string", "format": "date-time"},
                        "status": {"type": ["integer", "null"], "description": "Your endpoint's HTTP status"},
                        "latencyMs": {"type": "integer"},
                        "error": {"type": ["string", "null"]},
                    },
                },
            }
        },
    },
    "EndpointDisabled": {
        "type": "object",
        "properties": {
            "endpointId": {"type": "string"},
            "url": {"type": "string"},
            "failingSince": {"type": "string", "format": "date-time"},
            "disabledAt": {"type": "string", "format": "date-time"},
        },
    },
}

_NOT_FOUND = _problem("endpoint_not_found: no such endpoint for this API key")
RESPONSES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", COLLECTION): {
        "201": _json("Created; `secret` is shown this once", "WebhookEndpoint"),
        "400": _problem("A bad field: a URL the SSRF guard refuses, an unknown event type"),
        "409": _problem(f"endpoint_limit_reached: a client has at most {MAX_ENDPOINTS} endpoints"),
    },
    ("GET", COLLECTION): {"200": _json("Every endpoint, we_default first", "WebhookEndpointList")},
    ("GET", ONE): {"200": _json("The endpoint (never its secret)", "WebhookEndpoint"), "404": _NOT_FOUND},
    ("PATCH", ONE): {
        "200": _json("The endpoint as changed", "WebhookEndpoint"),
        "400": _problem("A bad field"),
        "404": _NOT_FOUND,
    },
    ("DELETE", ONE): {
        "200": {
            "description": "Deleted; nothing more is sent to it",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "404": _NOT_FOUND,
    },
    ("POST", ONE + "/rotate-secret"): {
        "200": _json("The new `secret`; the old one signs beside it for 24 hours", "WebhookEndpoint"),
        "404": _NOT_FOUND,
    },
    ("POST", ONE + "/ping"): {"200": _json("How the ping went", "PingResult"), "404": _NOT_FOUND},
    ("POST", ONE + "/recover"): {
        "202": {
            "description": "Enabled again; `queued` missed events are on their way, each under its webhook-id",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "400": _problem("since is not an RFC 3339 date-time of the last 30 days"),
        "404": _NOT_FOUND,
    },
    ("GET", "/v1/events/{id}/deliveries"): {
        "200": _json("Every attempt at the event", "DeliveryAttemptList"),
        "404": _problem("event_not_found: no such event, or past its 30 days"),
    },
}
REQUESTS: dict[tuple[str, str], str] = {
    ("POST", COLLECTION): "CreateWebhookEndpointRequest",
    ("PATCH", ONE): "UpdateWebhookEndpointRequest",
    ("POST", ONE + "/recover"): "RecoverWebhookEndpointRequest",
}

_ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": ENDPOINT_ID,
    "url": "https://psp.example.com/halotap/webhooks",
    "enabledEvents": ["checkout.approved", "refund.succeeded"],
    "status": "enabled",
    "description": "production",
    "createdAt": AT,
    "failingSince": None,
    "disabledAt": None,
}
EXAMPLES_BY_SCHEMA: dict[str, Any] = {
    "WebhookEndpoint": _ENDPOINT_EXAMPLE,
    "WebhookEndpointList": {"data": [_ENDPOINT_EXAMPLE]},
    "CreateWebhookEndpointRequest": {
        "url": "https://psp.example.com/halotap/webhooks",
        "enabledEvents": ["checkout.approved", "refund.succeeded"],
        "description": "production",
    },
    "UpdateWebhookEndpointRequest": {"enabledEvents": ["*"]},
    "RecoverWebhookEndpointRequest": {"since": AT},
    "DeliveryAttemptList": {
        "data": [
            {
                "endpointId": ENDPOINT_ID,
                "attempt": 1,
                "at": AT,
                "status": 503,
                "latencyMs": 112,
                "error": "HTTP 503",
            },
            {
                "endpointId": ENDPOINT_ID,
                "attempt": 2,
                "at": "2026-11-27T12:00:05.000Z",
                "status": 204,
                "latencyMs": 61,
                "error": None,
            },
        ]
    },
}
EXAMPLES_BY_OPERATION: dict[tuple[str, str, str], Any] = {
    ("POST", COLLECTION, "201"): {**_ENDPOINT_EXAMPLE, "secret": SECRET},
    ("POST", ONE + "/rotate-secret", "200"): {**_ENDPOINT_EXAMPLE, "secret": SECRET},
    ("DELETE", ONE, "200"): {"id": ENDPOINT_ID, "deleted": True},
    ("POST", ONE + "/recover", "202"): {"id": ENDPOINT_ID, "queued": 12},
}
WEBHOOK_EXAMPLE: dict[str, Any] = {
    "type": "endpoint.disabled",
    "timestamp": AT,
    "data": {
        "endpointId": ENDPOINT_ID,
        "url": "https://psp.example.com/halotap/webhooks",
        "failingSince": "2026-11-22T11:58:00.000Z",
        "disabledAt": AT,
    },
}


def webhook(make: Any) -> dict[str, Any]:
    built: dict[str, Any] = make(
        "One of the client's endpoints failed every delivery for 5 days and was disabled; sent to the others",
        list(ENDPOINT_EVENT_TYPES),
        "EndpointDisabled",
    )
    return built
