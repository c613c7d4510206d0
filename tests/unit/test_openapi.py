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
