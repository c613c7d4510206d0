"""Fuzz the API from its own OpenAPI document: whatever the input, never a 5xx, and every error is problem+json."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infra.openapi import OUTPUT, OUTPUT_INTERNAL
from tests.e2e.test_api_keys import new_client

pytestmark = pytest.mark.e2e

OPERATIONS = [
    result.ok()
    for path in (OUTPUT, OUTPUT_INTERNAL)
    for result in schemathesis.openapi.from_path(str(path)).get_all_operations()
]
PROBLEM = {"application/problem+json": {}}


def _key(operation, devstack) -> str:
    """The demo client's key; for the API-key operations, a new client's, so that fuzzing fills its five
    keys (and a create can still succeed), not the demo client's."""
    return new_client(devstack) if operation.path.startswith("/v1/api-keys") else devstack.api_key


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_no_input_makes_a_server_error(operation, devstack):
    headers = {"Authorization": f"Bearer {_key(operation, devstack)}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case):
        response = case.call(
            base_url=devstack.api_url, headers={**(case.headers or {}), **headers}, timeout=30
        )
        assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text)
        if response.status_code >= 400:
            content_type = response.headers.get("content-type")
            content_type = content_type[0] if isinstance(content_type, list) else content_type
            # problem+json, unless the operation documents another type for this status (the shopper's HTML page)
            documented = operation.definition.raw["responses"].get(str(response.status_code), {})
            assert content_type.split(";")[0] in documented.get("content", PROBLEM), response.text
            if content_type != "application/problem+json":
                return
            assert response.json()["code"]

    call()


def _with_real_values(document: dict) -> dict:
    """The contract, narrowed only by what no schema can state: the devstack's one merchant and the one
    currency it takes, the ZAR form of an amount (the document's pattern admits every currency's form), and
    no notificationUrl (a public host the SSRF guard would resolve). Everything else is the document's."""
    patched = copy.deepcopy(document)
    create = patched["components"]["schemas"]["CreateCheckoutRequest"]["properties"]
    create["merchantId"] = {"type": "string", "enum": ["demo-merchant"]}
    create["currency"] = {"type": "string", "enum": ["ZAR"]}
    create["amount"] = {"type": "string", "pattern": r"^[1-9][0-9]{0,3}\.[0-9]{2}$"}
    create["notificationUrl"] = {"enum": [None]}
    for parameter in patched["paths"]["/v1/checkouts"]["get"]["parameters"]:
        if parameter["name"] == "merchantId":
            parameter["schema"] = {"type": "string", "enum": ["demo-merchant"]}
    return patched


REAL = schemathesis.openapi.from_dict(_with_real_values(json.loads(OUTPUT.read_text())))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SUCCEEDS = {
    "createCheckout": "201",
    "listCheckouts": "200",
    "listEvents": "200",
    "pingWebhookEndpoint": "200",
    "listApiKeys": "200",
    "createApiKey": "201",
}


@pytest.mark.parametrize(
    "operation", [r.ok() for r in REAL.get_all_operations()], ids=lambda op: f"{op.method.upper()} {op.path}"
)
def test_every_answer_conforms_to_its_documented_response(operation, devstack):
    """Positive mode, response schemas checked: every status is documented and every body matches it."""
    headers = {"Authorization": f"Bearer {_key(operation, devstack)}"}
    statuses: list[str] = []
    operation_id = operation.definition.raw["operationId"]

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case):
        if operation_id == "createCheckout":
            _unique(case)
        response = case.call(
            base_url=devstack.api_url, headers={**(case.headers or {}), **headers}, timeout=30
        )
        statuses.append(str(response.status_code))
        case.validate_response(response, checks=CHECKS)

    call()
    expected = SUCCEEDS.get(operation_id)
    assert expected is None or expected in statuses, statuses
    if operation_id == "createCheckout":
        # The contract is as strict as the server: what it generates is mostly accepted.
        assert statuses.count("201") >= len(statuses) / 2, sorted(statuses)


def _unique(case) -> None:
    """A reference and an Idempotency-Key are unique per request, which no schema states: hypothesis
    repeats its small examples ("0", "A"), and a repeat is rightly a 409 or a 422."""
    tag = uuid.uuid4().hex[:12]
    if isinstance(case.body, dict) and isinstance(case.body.get("reference"), str):
        case.body["reference"] = (tag + case.body["reference"])[:64]
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = (tag + case.headers["Idempotency-Key"])[:255]
