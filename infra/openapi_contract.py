"""What makes the OpenAPI documents fit for code generators and fuzzers (infra/openapi.py applies it):
servers, readable titles, an example for every body, the Standard Webhooks headers on every webhook,
and request schemas as strict as the server's own checks.

The server's checks live in halotap.domain (requests.py, money.py, currencies.py, adapters/idempotency.py);
the patterns here are derived from the same constants, so a fuzzer that follows the document sends what the
server accepts, and tests/e2e/test_openapi_fuzz.py measures that.
"""

from __future__ import annotations

from typing import Any

from halotap.adapters.idempotency import KEY_PATTERN
from halotap.domain.currencies import MINOR_UNITS
from halotap.domain.requests import MAX_URL
from infra import openapi_endpoints, openapi_examples

REF = "#/components/schemas/"

SERVERS = [
    {"url": "http://127.0.0.1:3000", "description": "The local devstack (`make local`)"},
    {
        "url": "https://{apiDomain}",
        "description": "A deployment: the stack's API Gateway URL (output ApiUrl, with its stage) or custom domain",
        "variables": {"apiDomain": {"default": "api.example.com"}},
    },
]

# Every currency the server can charge: ISO 4217 codes that have a minor unit (domain/money.minor_digits).
CURRENCIES = sorted(code for code, digits in MINOR_UNITS.items() if digits is not None)


def amount_pattern() -> str:
    """The strictest single pattern that every currency's valid amounts still match: a positive decimal
    with no leading zero and a number of decimals some currency uses. Which number is right depends on
    the currency, which no pattern can see."""
    places = sorted({digits for digits in MINOR_UNITS.values() if digits is not None and digits > 0})
    low, high = places[0], places[-1]
    assert places == list(range(low, high + 1)), places  # one {low,high} range says them all
    # Zero point something, with at least one non-zero digit: spelled by the first non-zero's place.
    below_one = "|".join(
        f"0{{{zeros}}}[1-9][0-9]{{{max(low - zeros - 1, 0)},{high - zeros - 1}}}" for zeros in range(high)
    )
    whole = "[1-9][0-9]{0,14}"
    return f"^({whole}(\\.[0-9]{{{low},{high}}})?|0\\.({below_one}))$"


AMOUNT_DESCRIPTION = (
    'A positive decimal string with exactly the currency\'s ISO 4217 minor digits: "100.01" ZAR, "100" JPY, '
    '"1.500" BHD. The pattern admits every currency\'s form (0, 2, 3 or 4 decimals); the server also '
    "checks that the count matches this currency, and answers 400 when it does not."
)
# An absolute https URL with a host, as the server's check (domain/requests._https_url) requires.
HTTPS_URL_PATTERN = r"^https://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?([/?#][!-~]*)?$"
HTTP_URL_PATTERN = r"^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?([/?#][!-~]*)?$"

IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "1 to 255 printable ASCII characters. A retry with the same key and body replays the "
    "first answer; the SDKs send a random one when you give none.",
    "schema": {"type": "string", "pattern": KEY_PATTERN.pattern},
    "example": "order-1042-create",
}


def _url(schema: dict[str, Any], pattern: str) -> None:
    """A nullable URL field (pydantic writes anyOf [string, null]): format and pattern on the string."""
    string = {"type": "string", "format": "uri", "pattern": pattern, "maxLength": MAX_URL}
    schema.pop("anyOf", None)
    schema.pop("maxLength", None)
    schema["anyOf"] = [string, {"type": "null"}]


def make_strict(schemas: dict[str, Any]) -> None:
    create = schemas["CreateCheckoutRequest"]["properties"]
    schemas["Currency"] = {
        "type": "string",
        "enum": CURRENCIES,
        "description": "An ISO 4217 alpha-3 code with a minor unit: the currencies halotap can charge.",
    }
    create["currency"] = {
        "$ref": REF + "Currency",
        "description": "The merchant must also take it (else 400 currency_not_supported).",
    }
    create["amount"] = {"type": "string", "pattern": amount_pattern(), "description": AMOUNT_DESCRIPTION}
    _url(create["returnUrl"], HTTPS_URL_PATTERN)
    _url(create["fallbackUrl"], HTTPS_URL_PATTERN)
    _url(create["notificationUrl"], HTTP_URL_PATTERN)
    refund = schemas["CreateRefundRequest"]["properties"]
    refund["amount"] = {
        "anyOf": [{"type": "string", "pattern": amount_pattern()}, {"type": "null"}],
        "default": None,
        "description": AMOUNT_DESCRIPTION + " Default: what is left to refund.",
    }


def readable_titles(schemas: dict[str, Any]) -> None:
    """Each component titled by its name; no other titles (pydantic's `Merchantid`, `Returnurl`), which
    generators would turn into type names."""
    for name, schema in schemas.items():
        _drop_titles(schema)
        schema["title"] = name


def _drop_titles(schema: Any) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("title"), str):
        del schema["title"]
    for key in ("properties", "$defs", "patternProperties"):
        for sub in (schema.get(key) or {}).values():
            _drop_titles(sub)
    for key in ("items", "additionalProperties", "not", "contains"):
        _drop_titles(schema.get(key))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in schema.get(key) or ():
            _drop_titles(sub)


WEBHOOK_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "The event's id: the same on every retry and resend, so deduplicate on it",
        "schema": {"type": "string"},
        "example": openapi_examples.EVENT["id"],
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "Unix seconds when this attempt was signed; refuse one far from your clock",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "example": "1795780841",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "Space-separated `v1,<base64 HMAC-SHA256>` signatures of `{id}.{timestamp}.{body}` "
        "(Standard Webhooks); verify with a standardwebhooks library and your whsec_ secret",
        "schema": {"type": "string", "pattern": "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$"},
        "example": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
    },
]


def _component(media: dict[str, Any]) -> str:
    schema = media.get("schema", {})
    ref = schema.get("$ref") or next((s["$ref"] for s in schema.get("anyOf", ()) if "$ref" in s), "")
    return str(ref).removeprefix(REF)


def _example(
    method: str, path: str, status: str, *, media_type: str, media: dict[str, Any], title: str
) -> Any:
    specific = (
        method,
        path,
        status if media_type.endswith("json") or media_type == "text/html" else f"{status}/{media_type}",
    )
    if specific in openapi_examples.BY_OPERATION:
        return openapi_examples.BY_OPERATION[specific]
    name = _component(media)
    if name == "Problem":
        return openapi_examples.problem(method, path, int(status), title)
    return openapi_examples.BY_SCHEMA[name]  # KeyError: a body with no example


def add_examples(paths: dict[str, Any]) -> None:
    """An example on every request body and every response body."""
    for path, item in paths.items():
        for method, operation in item.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                media["example"] = _example(
                    method.upper(), path, "request", media_type=media_type, media=media, title=""
                )
            for status, response in operation["responses"].items():
                title = response["description"].split(";")[0]
                for media_type, media in response.get("content", {}).items():
                    media["example"] = _example(
                        method.upper(), path, status, media_type=media_type, media=media, title=title
                    )


def webhook_examples(webhooks: dict[str, Any]) -> None:
    """The Standard Webhooks headers and an example body on every webhook."""
    UPDATED = openapi_examples.UPDATED_AT
    examples = {
        "checkoutEvent": openapi_examples.EVENT,
        "refundEvent": {
            "type": "refund.succeeded",
            "timestamp": openapi_examples.REFUND["updatedAt"],
            "data": openapi_examples.REFUND,
        },
        "ledgerEvent": {
            "type": "ledger.completed",
            "timestamp": openapi_examples.LEDGER_SUMMARY["generatedAt"],
            "data": openapi_examples.LEDGER_SUMMARY,
        },
        "endpointEvent": openapi_endpoints.WEBHOOK_EXAMPLE,
        "attemptEvent": {
            "type": "checkout.attempt_failed",
            "timestamp": UPDATED,
            "data": openapi_examples.ATTEMPT_FAILED,
        },
        "ping": {
            "type": "ping",
            "timestamp": openapi_examples.CREATED_AT,
            "data": {"clientId": "demo-psp"},
        },
    }
    for name, item in webhooks.items():
        post = item["post"]
        post["parameters"] = WEBHOOK_HEADERS
        body = {key: value for key, value in examples[name].items() if key != "id"}
        post["requestBody"]["content"]["application/json"]["example"] = body
