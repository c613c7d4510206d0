"""The committed OpenAPI documents are what the code generates: a route or model change must update them.

docs/openapi.json is the PSP's contract; docs/openapi-internal.json holds the routes the manifest marks
internal (Halo's webhook intake, the shopper's hosted page).
"""

import json
import re

import pytest

from infra import manifest
from infra.openapi import OUTPUT, OUTPUT_INTERNAL, document, render


def test_the_committed_openapi_documents_have_not_drifted():
    assert OUTPUT.read_text() == render(), "run `python -m infra.openapi` and commit docs/openapi.json"
    assert OUTPUT_INTERNAL.read_text() == render(internal=True), "run `python -m infra.openapi` and commit"


def test_every_manifest_route_is_in_exactly_one_document_and_public_routes_need_no_key():
    psp, internal = document()["paths"], document(internal=True)["paths"]
    for function in manifest.FUNCTIONS:
        for route in function.routes:
            mine, other = (internal, psp) if route.internal else (psp, internal)
            operation = mine[route.path][route.method.lower()]
            assert route.method.lower() not in other.get(route.path, {})
            assert (operation.get("security") == []) is (not route.authorized)


def test_the_psp_contract_holds_no_halo_intake_and_no_hosted_page():
    paths = document()["paths"]
    assert [path for path in paths if path.startswith("/pay") or "/halo/" in path] == []
    assert set(document(internal=True)["paths"]) == {
        "/pay/{id}",
        "/pay/{id}/status",
        "/pay/{id}/attempts",
        "/v1/halo/webhooks/{token}",
    }


def test_every_problem_code_the_code_can_return_is_listed():
    codes = document()["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
    assert {
        "invalid_request",
        "halo_timeout",
        "reference_already_used",
        "route_not_found",
        "unsupported_media_type",
    } <= set(codes)


def test_the_create_body_schema_is_the_validators():
    schema = document()["components"]["schemas"]["CreateCheckoutRequest"]
    assert schema["required"] == ["merchantId", "reference", "currency", "amount"]
    assert schema["additionalProperties"] is False
    assert json.dumps(schema).count("expiresInSeconds") == 1


@pytest.mark.parametrize("path", [OUTPUT, OUTPUT_INTERNAL], ids=lambda p: p.name)
def test_the_document_is_valid_openapi(path):
    from openapi_spec_validator import validate

    validate(json.loads(path.read_text()))


def test_the_contract_names_the_devstack_and_a_deployed_server():
    servers = document()["servers"]
    assert servers[0]["url"] == "http://127.0.0.1:3000"
    assert servers[1]["url"] == "https://{apiDomain}"
    assert "apiDomain" in servers[1]["variables"]


def _titles(schema, found):
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "title" and isinstance(value, str):
                found.append(value)
            elif key == "properties":
                for sub in value.values():
                    _titles(sub, found)
            else:
                _titles(value, found)
    elif isinstance(schema, list):
        for sub in schema:
            _titles(sub, found)
    return found


def test_schemas_are_titled_by_their_component_names_only():
    schemas = document()["components"]["schemas"]
    assert _titles(schemas, []) == sorted(schemas)  # no pydantic auto-title (Merchantid, Returnurl) left
    assert all(schema["title"] == name for name, schema in schemas.items())


def _media(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{method} {path} request {media_type}", media
            for status, response in operation["responses"].items():
                for media_type, media in response.get("content", {}).items():
                    yield f"{method} {path} {status} {media_type}", media
    for name, item in doc.get("webhooks", {}).items():
        yield f"webhook {name}", item["post"]["requestBody"]["content"]["application/json"]


@pytest.mark.parametrize("internal", [False, True], ids=["psp", "internal"])
def test_every_request_and_response_body_has_an_example_that_conforms_to_its_schema(internal):
    from jsonschema import Draft202012Validator, FormatChecker

    doc = document(internal=internal)
    checked = 0
    for where, media in _media(doc):
        assert "example" in media, where
        schema = {**media["schema"], "components": doc["components"]}
        errors = [
            e.message
            for e in Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(
                media["example"]
            )
        ]
        assert errors == [], where
        checked += 1
    assert checked >= 10  # not vacuous


def test_every_webhook_documents_the_standard_webhooks_headers():
    for name, item in document()["webhooks"].items():
        headers = {p["name"]: p for p in item["post"]["parameters"] if p["in"] == "header"}
        assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(headers), name
        assert all(headers[h]["required"] for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))


def _create_validator():
    from jsonschema import Draft202012Validator, FormatChecker

    doc = document()
    schema = {"$ref": "#/components/schemas/CreateCheckoutRequest", "components": doc["components"]}
    return Draft202012Validator(schema, format_checker=FormatChecker())


BASE = {"merchantId": "demo-merchant", "reference": "order-1", "currency": "ZAR", "amount": "10.00"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "0"),
        ("amount", "0.00"),
        ("amount", "1.5"),
        ("amount", "01.00"),
        ("currency", "AAA"),
        ("currency", "XAU"),  # ISO 4217, but without a minor unit: the server cannot charge it
        ("returnUrl", "http://shop.example/return"),
        ("returnUrl", "https://"),
        ("returnUrl", "not a url"),
        ("fallbackUrl", "ftp://shop.example/pay"),
        ("notificationUrl", "mailto:ops@shop.example"),
    ],
)
def test_the_contract_refuses_what_the_server_refuses(field, value):
    from pydantic_core import ValidationError

    from halotap.domain.requests import CreateCheckoutRequest

    body = {**BASE, field: value}
    assert list(_create_validator().iter_errors(body)) != [], (field, value)
    with pytest.raises(ValidationError):
        CreateCheckoutRequest.validate(body)


@pytest.mark.parametrize(
    ("currency", "amount"),
    [
        ("ZAR", "149.99"),
        ("ZAR", "0.01"),
        ("JPY", "100"),
        ("BHD", "1.500"),
        ("BHD", "0.001"),
        ("CLF", "0.0001"),
    ],
)
def test_the_contract_accepts_every_currencys_form_of_amount(currency, amount):
    from halotap.domain.requests import CreateCheckoutRequest

    body = {**BASE, "currency": currency, "amount": amount, "returnUrl": "https://shop.example/r?x=1"}
    CreateCheckoutRequest.validate(body)  # the server takes it ...
    assert [e.message for e in _create_validator().iter_errors(body)] == []  # ... and so does the contract


def test_every_currency_the_contract_lists_is_one_the_server_can_charge():
    from halotap.domain.money import MoneyError, minor_digits

    schema = document()["components"]["schemas"]["Currency"]
    assert "ZAR" in schema["enum"]
    for code in schema["enum"]:
        try:
            minor_digits(code)
        except MoneyError as error:
            pytest.fail(f"{code}: {error}")


def test_the_idempotency_key_is_documented_as_the_printable_ascii_the_server_takes():
    [parameter] = [
        p
        for p in document()["paths"]["/v1/checkouts"]["post"]["parameters"]
        if p["name"] == "Idempotency-Key"
    ]
    pattern = re.compile(parameter["schema"]["pattern"])
    assert pattern.match("order-1042:create")
    assert not pattern.match("tab\there")
    assert not pattern.match("")
    assert not pattern.match("x" * 256)


def test_every_operation_id_is_unique():
    ids = [op["operationId"] for path in document()["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)), ids


def _conforms(value, schema_name):
    from jsonschema import Draft202012Validator

    doc = document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]}
    errors = [error.message for error in Draft202012Validator(schema).iter_errors(value)]
    assert errors == []


def test_a_checkout_with_notifications_conforms_to_its_documented_view():
    from halotap.domain.models import Checkout, NotificationState
    from halotap.domain.views import checkout_view

    checkout = Checkout(
        id="chk_1",
        client_id="psp",
        merchant_id="m",
        reference="r",
        amount="1.00",
        currency="ZAR",
        status="open",
        deep_link="https://halompos.page.link/x",
        expires_at="2026-11-27T12:30:00.000Z",
        created_at="2026-11-27T12:00:00.000Z",
        updated_at="2026-11-27T12:00:00.000Z",
        wants_qr_code=True,
        notifications={
            "evt_chk_1_2": NotificationState(
                type="checkout.approved",
                status="delivered",
                attempts=2,
                created_at="2026-11-27T12:00:00.000Z",
            )
        },
    )
    view = checkout_view(checkout, "https://api.example/pay/chk_1")
    assert view["notifications"][0]["eventId"] == "evt_chk_1_2"
    _conforms(view, "CheckoutView")
    _conforms({"data": [view], "nextCursor": None}, "CheckoutList")
