"""API keys' part of the OpenAPI document (infra/openapi.py and openapi_routes.py merge it): three routes,
their schemas and examples, and the 429 every authorized operation may answer."""

from __future__ import annotations

from typing import Any

from halotap.domain.api_keys import MAX_ACTIVE_KEYS, MAX_LABEL_LENGTH
from halotap.domain.rate_limit import DEFAULT_BURST, DEFAULT_RATE
from infra.openapi_parts import REF
from infra.openapi_parts import json_of as _json
from infra.openapi_parts import problem as _problem

LIST, CREATE, REVOKE = ("GET", "/v1/api-keys"), ("POST", "/v1/api-keys"), ("DELETE", "/v1/api-keys/{id}")


RATE_LIMITED: dict[str, Any] = {
    **_problem(
        f"rate_limited: over this client's rate limit ({DEFAULT_RATE} requests/s, bursts of {DEFAULT_BURST}, "
        "unless the operator set another); wait Retry-After seconds"
    ),
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before retrying",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}

_NULLABLE_TEXT = {"type": ["string", "null"]}
API_KEY: dict[str, Any] = {
    "title": "ApiKey",
    "type": "object",
    "required": ["id", "prefix", "label", "createdAt", "lastUsedAt", "source"],
    "properties": {
        "id": {"type": "string", "pattern": "^key_[0-9a-f]{16}$"},
        "prefix": {**_NULLABLE_TEXT, "description": "The key's first characters; null for an operator key"},
        "label": _NULLABLE_TEXT,
        "createdAt": {"type": ["string", "null"], "format": "date-time"},
        "lastUsedAt": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "Kept to five minutes: the last use may be up to five minutes later than this",
        },
        "source": {
            "type": "string",
            "enum": ["api", "operator"],
            "description": "api: made with POST /v1/api-keys; operator: configured by halotap's operator",
        },
    },
}
SCHEMAS: dict[str, Any] = {
    "ApiKey": API_KEY,
    "ApiKeyList": {
        "title": "ApiKeyList",
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": {"$ref": REF + "ApiKey"}}},
    },
    "ApiKeyCreated": {
        **API_KEY,
        "title": "ApiKeyCreated",
        "required": [*API_KEY["required"], "key"],
        "properties": {
            **API_KEY["properties"],
            "key": {"type": "string", "description": "The key itself. Shown this once: store it now"},
        },
    },
    "ApiKeyRevoked": {
        **API_KEY,
        "title": "ApiKeyRevoked",
        "required": [*API_KEY["required"], "status"],
        "properties": {**API_KEY["properties"], "status": {"type": "string", "enum": ["revoked"]}},
    },
    "CreateApiKeyRequest": {
        "title": "CreateApiKeyRequest",
        "type": "object",
        "additionalProperties": False,
        "properties": {"label": {"type": "string", "maxLength": MAX_LABEL_LENGTH}},
    },
}

REQUEST_BODY = {
    "required": False,
    "content": {"application/json": {"schema": {"$ref": REF + "CreateApiKeyRequest"}}},
}

RESPONSES: dict[tuple[str, str], dict[str, Any]] = {
    LIST: {"200": _json("The client's active keys, never the keys themselves", "ApiKeyList")},
    CREATE: {
        "201": _json("The new key; `key` is shown this once", "ApiKeyCreated"),
        "400": _problem("label is not a string of at most 100 printable characters, or another field"),
        "409": _problem(f"key_limit_reached: the client has {MAX_ACTIVE_KEYS} active keys; revoke one first"),
        "415": _problem("A body without Content-Type: application/json"),
    },
    REVOKE: {
        "200": _json("Revoked: refused everywhere within 60 seconds", "ApiKeyRevoked"),
        "404": _problem("api_key_not_found: no active key of this client has this id"),
        "409": _problem("last_key: the client's only active key; create another first"),
    },
}

_KEY = {
    "id": "key_3f9c2a7b1d8e4f60",
    "prefix": "htk_Xq3v9Z",
    "label": "production",
    "createdAt": "2026-12-07T09:30:00.000Z",
    "lastUsedAt": "2026-12-07T10:05:00.000Z",
    "source": "api",
}
EXAMPLES: dict[str, Any] = {
    "ApiKey": _KEY,
    "ApiKeyList": {"data": [_KEY]},
    "ApiKeyCreated": {**_KEY, "lastUsedAt": None, "key": "htk_Xq3v9Z-example-not-a-real-key-0123456789ab"},
    "ApiKeyRevoked": {**_KEY, "status": "revoked"},
    "CreateApiKeyRequest": {"label": "production"},
}
PROBLEM_CODES = {
    (LIST[0], LIST[1], 404): "api_key_not_found",
    (REVOKE[0], REVOKE[1], 404): "api_key_not_found",
    (CREATE[0], CREATE[1], 409): "key_limit_reached",
    (REVOKE[0], REVOKE[1], 409): "last_key",
}
