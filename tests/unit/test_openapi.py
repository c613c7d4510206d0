"""The committed OpenAPI document is what the code generates: a route or model change must update it."""

import json

from infra import manifest
from infra.openapi import OUTPUT, document, render


def test_the_committed_openapi_document_has_not_drifted():
    assert OUTPUT.read_text() == render(), "run `python -m infra.openapi` and commit docs/openapi.json"


def test_every_manifest_route_is_documented_and_public_routes_need_no_key():
    paths = document()["paths"]
    for function in manifest.FUNCTIONS:
        for route in function.routes:
            operation = paths[route.path][route.method.lower()]
            assert (operation.get("security") == []) is (not route.authorized)


def test_every_problem_code_the_code_can_return_is_listed():
    codes = document()["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
    assert {"invalid_request", "halo_timeout", "reference_already_used", "route_not_found"} <= set(codes)


def test_the_create_body_schema_is_the_validators():
    schema = document()["components"]["schemas"]["CreateCheckoutRequest"]
    assert schema["required"] == ["merchantId", "reference", "currency", "amount"]
    assert schema["additionalProperties"] is False
    assert json.dumps(schema).count("expiresInSeconds") == 1


def test_the_document_is_valid_openapi():
    from openapi_spec_validator import validate

    validate(json.loads(OUTPUT.read_text()))


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
