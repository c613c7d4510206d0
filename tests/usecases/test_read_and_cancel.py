"""GET and cancel, with the client's merchant scope enforced as 404."""

from __future__ import annotations

import json

import pytest

from functions.cancel_checkout import handler as cancel_handler
from functions.create_checkout import handler as create_handler
from functions.get_checkout import handler as get_handler
from tests.fakes import FakeLambdaContext, api_event

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


def test_get_returns_the_checkout_with_its_outcome_and_history(services, checkout):
    status, body = get(services, checkout["id"])
    assert status == 200
    assert body["status"] == "open"
    assert body["outcome"] is None
    assert [entry["type"] for entry in body["history"]] == ["created", "status_changed"]
    assert "version" not in body
    assert "clientId" not in body


def test_a_checkout_of_a_merchant_outside_scope_is_404_not_403(services, checkout):
    # Indistinguishable from a checkout that does not exist, apart from the id echoed in the detail.
    assert get(services, "chk_doesnotexist")[0] == 404
    status, problem = get(services, checkout["id"], merchants="someone-else")
    assert (status, problem["code"]) == (404, "checkout_not_found")
    assert cancel(services, checkout["id"], merchants="someone-else")[0] == 404
    assert get(services, checkout["id"])[1]["status"] == "open"


def test_a_star_scope_sees_every_merchant(services, checkout):
    assert get(services, checkout["id"], merchants="*")[0] == 200


def test_find_by_the_psps_reference(services, checkout):
    event = api_event("GET", "/v1/checkouts", query={"merchantId": "demo-merchant", "reference": "order-9"})
    answer = get_handler.handler(event, FakeLambdaContext(), services=services)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["id"] == checkout["id"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"merchantId": "demo-merchant", "reference": "nope"}, 404),
        ({"merchantId": "other", "reference": "order-9"}, 404),
        ({"reference": "order-9"}, 400),
        (None, 400),
    ],
)
def test_find_needs_both_keys_and_respects_scope(services, checkout, query, status):
    answer = get_handler.handler(
        api_event("GET", "/v1/checkouts", query=query), FakeLambdaContext(), services=services
    )
    assert answer["statusCode"] == status
