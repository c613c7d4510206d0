"""Edges a new user finds first: ambiguous JSON, pattern errors, a failed create, and the headers that guide a retry."""

from __future__ import annotations

import json

import httpx

from functions.create_checkout import handler as create_handler
from halotap.adapters.apigateway import ApiRequest, problem
from halotap.domain.errors import IdempotencyInProgress, Unauthorized
from tests.fakes import FakeLambdaContext, api_event

BODY = {"merchantId": "demo-merchant", "reference": "edge-1", "amount": "10.00", "currency": "ZAR"}


def create(services, body):
    answer = create_handler.handler(
        api_event("POST", "/v1/checkouts", body=body), FakeLambdaContext(), services=services
    )
    return answer["statusCode"], json.loads(answer["body"]), answer["headers"]


def test_a_duplicate_json_key_is_400_not_the_last_one_winning(services, halo):
    text = (
        '{"merchantId":"demo-merchant","reference":"dup","currency":"ZAR","amount":"10.00","amount":"20.00"}'
    )
    status, body, _ = create(services, text)
    assert (status, body["code"]) == (400, "invalid_request")
    assert body["errors"] == [{"field": "amount", "message": "is given more than once"}]
    assert halo.creates == []


def test_a_pattern_error_says_what_to_send(services):
    status, body, _ = create(services, {**BODY, "amount": "ten"})
    assert status == 400
    assert body["errors"] == [{"field": "amount", "message": 'must be a decimal string such as "149.99"'}]
    assert "^" not in body["detail"]


def test_metadata_limits_are_enforced(services):
    status, body, _ = create(services, {**BODY, "metadata": {"k" * 41: "v"}})
    assert (status, body["errors"][0]["field"]) == (400, f"metadata.{'k' * 41}.[key]")
    status, body, _ = create(services, {**BODY, "metadata": {"k": "v" * 501}})
    assert (status, body["errors"][0]["field"]) == (400, "metadata.k")
    status, body, _ = create(services, {**BODY, "metadata": {"k" * 40: "v" * 500}})
    assert (status, body["metadata"]) == (201, {"k" * 40: "v" * 500})


def test_a_failed_create_names_the_checkout_it_left_failed(services, halo):
    halo.faults.append(httpx.Response(400, json={"message": "no"}))
    status, body, _ = create(services, BODY)
    assert status == 502
    assert body["checkoutId"].startswith("chk_")
    assert services.store.get(body["checkoutId"]).status.value == "failed"


def test_409_in_progress_carries_retry_after_and_401_names_bearer():
    request = ApiRequest.from_event(api_event("POST", "/v1/checkouts"))
    answer = problem(IdempotencyInProgress("in flight"), request)
    assert (answer["statusCode"], answer["headers"]["retry-after"]) == (409, "1")
    answer = problem(Unauthorized("no key"), request)
    assert answer["headers"]["www-authenticate"].startswith("Bearer")
    assert json.loads(answer["body"])["requestId"] == request.request_id
