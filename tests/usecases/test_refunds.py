"""Refunds through Halo, on the in-memory ports with the production wiring: the API, Halo's answers, retries."""

from __future__ import annotations

import json

import pytest

from functions.create_refund import handler as refund_handler
from functions.get_checkout import handler as get_handler
from halotap.domain.halo import ReportedOutcome
from halotap.domain.parties import Caller
from halotap.domain.requests import CreateCheckoutRequest
from halotap.domain.states import Disposition
from tests.fakes import FakeLambdaContext, api_event

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))


def open_checkout(services, amount="100.00", caller=CALLER):
    request = CreateCheckoutRequest.validate(
        {"merchantId": "demo-merchant", "reference": f"order-{amount}", "amount": amount, "currency": "ZAR"}
    )
    return services.checkouts.create(caller, request)


def approve(services, halo, created):
    halo.tap(created.halo_reference, "Approved")
    checkout = services.store.get(created.id)
    reported = ReportedOutcome(Disposition.APPROVED, merchant_reference=created.id)
    services.outcomes.apply(checkout, reported, "halo_webhook")  # confirmed with Halo's status
    return services.store.get(created.id)


@pytest.fixture
def approved(services, halo):
    return approve(services, halo, open_checkout(services))


def refund(services, checkout_id, body, *, merchants="demo-merchant", headers=None):
    event = api_event(
        "POST",
        f"/v1/checkouts/{checkout_id}/refunds",
        resource="/v1/checkouts/{id}/refunds",
        path_params={"id": checkout_id},
        body=body,
        merchants=merchants,
        headers=headers,
    )
    answer = refund_handler.handler(event, FakeLambdaContext(), services=services)
    return answer, json.loads(answer["body"])


def get(services, checkout_id, refund_id=None):
    path = f"/v1/checkouts/{checkout_id}" + (f"/refunds/{refund_id}" if refund_id else "")
    params = {"id": checkout_id, **({"refundId": refund_id} if refund_id else {})}
    event = api_event("GET", path, path_params=params)
    answer = get_handler.handler(event, FakeLambdaContext(), services=services)
    return answer["statusCode"], json.loads(answer["body"])


def test_the_approval_stores_halos_transaction_id_and_exposes_it(services, halo, approved):
    status_id = next(
        t["transactionId"] for t in halo.transactions.values() if t["paymentReference"] == approved.id
    )
    _, body = get(services, approved.id)
    assert body["haloTransactionId"] == status_id
    assert body["haloReference"] == approved.halo_reference != status_id  # the create call's reference
    assert body["amountRefunded"] == "0.00"
    assert body["refunds"] == []


def test_partial_refunds_down_to_zero_then_the_next_is_refused(services, halo, approved):
    for amount in ("30.00", "30.00"):
        answer, body = refund(
            services, approved.id, {"reference": f"rf-{amount}-{len(halo.refunded)}", "amount": amount}
        )
        assert (answer["statusCode"], body["status"]) == (201, "succeeded")
    answer, body = refund(services, approved.id, {"reference": "rest"})  # no amount: what is left
    assert (answer["statusCode"], body["amount"]) == (201, "40.00")
    answer, problem = refund(services, approved.id, {"reference": "one-more", "amount": "0.01"})
    assert answer["statusCode"] == 409
    assert (problem["code"], problem["amountRefundable"]) == ("refund_exceeds_amount", "0.00")
    assert get(services, approved.id)[1]["amountRefunded"] == "100.00"
    assert len(halo.refunded) == 3


def test_a_refund_larger_than_what_is_left_is_refused_with_what_is_left(services, approved):
    refund(services, approved.id, {"reference": "a", "amount": "60.00"})
    answer, problem = refund(services, approved.id, {"reference": "b", "amount": "50.00"})
    assert (answer["statusCode"], problem["code"], problem["amountRefundable"]) == (
        409,
        "refund_exceeds_amount",
        "40.00",
    )


def test_only_an_approved_checkout_can_be_refunded(services):
    created = open_checkout(services)
    answer, problem = refund(services, created.id, {"reference": "rf"})
    assert (answer["statusCode"], problem["code"], problem["currentStatus"]) == (
        409,
        "checkout_not_refundable",
        "open",
    )


def test_a_checkout_outside_the_callers_merchants_is_not_found(services, approved):
    answer, problem = refund(services, approved.id, {"reference": "rf"}, merchants="other-merchant")
    assert (answer["statusCode"], problem["code"]) == (404, "checkout_not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reference": "rf", "amount": "10.5"}, "amount"),
        ({"reference": "rf", "amount": 10}, "amount"),
        ({"reference": "bad ref"}, "reference"),
        ({"reference": "rf", "reason": "x" * 501}, "reason"),
        ({"reference": "rf", "surprise": 1}, "surprise"),
    ],
)
def test_a_bad_refund_request_is_a_400_naming_the_field(services, approved, body, field):
    answer, problem = refund(services, approved.id, body)
    assert answer["statusCode"] == 400
    assert field in problem["detail"]


def test_the_same_reference_and_body_replays_the_refund_and_another_body_is_409(services, halo, approved):
    first, created = refund(services, approved.id, {"reference": "rf", "amount": "10.00", "reason": "broken"})
    again, replayed = refund(
        services, approved.id, {"reference": "rf", "amount": "10.00", "reason": "broken"}
    )
    assert (first["statusCode"], again["statusCode"]) == (201, 200)
    assert again["headers"]["idempotent-replayed"] == "true"
    assert replayed == created
    other, problem = refund(services, approved.id, {"reference": "rf", "amount": "11.00"})
    assert (other["statusCode"], problem["code"], problem["refundId"]) == (
        409,
        "refund_reference_used",
        created["id"],
    )
    assert len(halo.refund_requests) == 1


def test_any_other_definite_refusal_fails_with_halos_code_and_message(services, halo, approved):
    halo.refund_answers.append(
        (200, {"type": "Declined", "errorCode": 209, "errorMessage": "Declined by provider"})
    )
    _, body = refund(services, approved.id, {"reference": "rf"})
    assert (body["status"], body["failure"]) == (
        "failed",
        {"code": "halo_209", "message": "Declined by provider"},
    )


def test_213_to_a_first_call_means_halo_has_the_refund_and_its_amount_stays_taken(services, halo, approved):
    # An earlier call whose answer was lost made it: halotap alone sends this refundReference.
    halo.refund_answers.append((400, {"errorCode": 213, "errorMessage": "Refund Already Processed"}))
    _, body = refund(services, approved.id, {"reference": "rf"})
    assert (body["status"], body.get("failure")) == ("succeeded", None)
    stored = services.store.get(approved.id)
    assert (stored.refunded_minor, stored.reserved_minor) == (10000, 10000)
    # Nothing is left to give back: a second refund of the same money is refused before Halo is asked.
    status, again = refund(services, approved.id, {"reference": "rf-2"})
    assert (status["statusCode"], again["code"]) == (409, "refund_exceeds_amount")
    assert len(halo.refund_requests) == 1


def test_an_approval_after_a_cancel_is_kept_for_a_client_with_the_default(services, halo):
    created = open_checkout(services)
    services.checkouts.cancel(CALLER, created.id)
    approved = approve(services, halo, created)
    assert (approved.status.value, approved.refunds, halo.refund_requests) == ("approved", {}, [])
