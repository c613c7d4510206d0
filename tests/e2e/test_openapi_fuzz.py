"""Fuzz the API from its own OpenAPI document: whatever the input, never a 5xx, and every error is problem+json."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from infra.openapi import OUTPUT

pytestmark = pytest.mark.e2e

SCHEMA = schemathesis.openapi.from_path(str(OUTPUT))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
PROBLEM = {"application/problem+json": {}}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_no_input_makes_a_server_error(operation, devstack):
    headers = {"Authorization": f"Bearer {devstack.api_key}"}

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
