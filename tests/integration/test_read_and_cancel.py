"""GET and cancel, with the client's merchant scope enforced as 404."""

from __future__ import annotations

import json

import pytest

from functions.cancel_checkout import handler as cancel_handler
from functions.create_checkout import handler as create_handler
from functions.get_checkout import handler as get_handler
from halotap.adapters import aws
from tests.fakes import CallCounter, FakeLambdaContext, api_event

BODY = {"merchantId": "demo-merchant", "reference": "order-9", "amount": "10.00", "currency": "ZAR"}


@pytest.fixture
def checkout(services, lambda_context):
    answer = create_handler.handler(
        api_event("POST", "/v1/checkouts", body=BODY), lambda_context, services=services
    )
    return json.loads(answer["body"])


def get(services, checkout_id, merchants="demo-merchant"):
    event = api_event(
        "GET",
        f"/v1/checkouts/{checkout_id}",
        resource="/v1/checkouts/{id}",
        path_params={"id": checkout_id},
        merchants=merchants,
    )
    answer = get_handler.handler(event, FakeLambdaContext(), services=services)
    return answer["statusCode"], json.loads(answer["body"])


def cancel(services, checkout_id, merchants="demo-merchant"):
    event = api_event(
        "POST",
        f"/v1/checkouts/{checkout_id}/cancel",
        resource="/v1/checkouts/{id}/cancel",
        path_params={"id": checkout_id},
        merchants=merchants,
    )
    answer = cancel_handler.handler(event, FakeLambdaContext(), services=services)
    return answer["statusCode"], json.loads(answer["body"])


def test_reading_a_checkout_is_exactly_one_get_item(services, checkout):
    counter = CallCounter(aws.dynamodb())
    get(services, checkout["id"])
    assert counter.calls == ["GetItem"]


def test_cancel_moves_open_to_cancelled_once(services, checkout):
    status, body = cancel(services, checkout["id"])
    assert (status, body["status"]) == (200, "cancelled")
    status, problem = cancel(services, checkout["id"])
    assert (status, problem["code"], problem["currentStatus"]) == (
        409,
        "checkout_not_cancellable",
        "cancelled",
    )
    history = get(services, checkout["id"])[1]["history"]
    assert [e.get("to") for e in history].count("cancelled") == 1
