"""GET and cancel, with the client's merchant scope enforced as 404."""

from __future__ import annotations

import json

import pytest

from functions.create_checkout import handler as create_handler
from halotap.adapters import aws
from tests.fakes import CallCounter, api_event
from tests.usecases.test_read_and_cancel import BODY, cancel, get


@pytest.fixture
def checkout(services, lambda_context):
    answer = create_handler.handler(
        api_event("POST", "/v1/checkouts", body=BODY), lambda_context, services=services
    )
    return json.loads(answer["body"])


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
