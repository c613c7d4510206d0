"""Refunds through Halo, on moto with the production wiring: the API, Halo's answers, retries, notifications."""

from __future__ import annotations

import json

import httpx
import pytest

from functions.reconcile import handler as reconcile_handler
from halotap.adapters import aws
from halotap.domain.parties import Caller
from halotap.domain.views import checkout_view
from halotap.settings import settings
from tests.fakes import FakeClock, FakeLambdaContext
from tests.usecases.test_refunds import approve, get, open_checkout, refund
from tests.wiring import build_services


@pytest.fixture
def approved(services, halo):
    return approve(services, halo, open_checkout(services))


def queued_types(checkout_id: str) -> list[str]:
    sqs = aws.sqs()
    url = sqs.get_queue_url(QueueName="halotap-local-notifications")["QueueUrl"]
    types = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return types
        for message in messages:
            body = json.loads(message["Body"])
            if body["checkoutId"] == checkout_id:
                types.append(body["type"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_a_full_refund_succeeds_and_sends_halo_the_amount_as_a_number(services, halo, approved):
    answer, body = refund(services, approved.id, {"reference": "rf-1"})
    assert answer["statusCode"] == 201
    assert answer["headers"]["location"] == f"/v1/checkouts/{approved.id}/refunds/{body['id']}"
    assert body["id"].startswith("rfd_")
    assert body["status"] == "succeeded"
    assert body["amount"] == "100.00"
    assert body["checkoutId"] == approved.id
    assert body["haloReference"]
    sent = [r for r in halo.requests if r.url.path.endswith("/refund")]
    assert len(sent) == 1
    assert sent[0].url.path == f"/transactions/{approved.halo_transaction_id}/refund"
    assert sent[0].headers["x-api-key"]
    assert sent[0].content == f'{{"amount": 100.00, "refundReference": "{body["id"]}"}}'.encode()
    _, view = get(services, approved.id)
    assert view["amountRefunded"] == "100.00"
    assert [r["id"] for r in view["refunds"]] == [body["id"]]
    assert get(services, approved.id, body["id"]) == (200, body)


def test_an_idempotency_key_replays_the_first_answer(services, halo, approved):
    headers = {"Idempotency-Key": "key-1"}
    first, created = refund(services, approved.id, {"reference": "rf", "amount": "10.00"}, headers=headers)
    again, replayed = refund(services, approved.id, {"reference": "rf", "amount": "10.00"}, headers=headers)
    assert (first["statusCode"], again["statusCode"], again["headers"]["idempotent-replayed"]) == (
        201,
        201,
        "true",
    )
    assert replayed == created
    other, problem = refund(services, approved.id, {"reference": "rf2", "amount": "10.00"}, headers=headers)
    assert (other["statusCode"], problem["code"]) == (422, "idempotency_key_reused")


def test_halo_212_fails_the_refund_as_too_late_and_frees_its_amount(services, halo, approved):
    halo.refund_answers.append(
        (400, {"type": "Declined", "errorCode": 212, "errorMessage": "Refund Too Late"})
    )
    answer, body = refund(services, approved.id, {"reference": "rf"})
    assert answer["statusCode"] == 201
    assert body["status"] == "failed"
    assert body["failure"] == {"code": "refund_too_late", "message": "Refund Too Late"}
    view = get(services, approved.id)[1]
    assert view["amountRefunded"] == "0.00"
    assert queued_types(approved.id)[-1] == "refund.failed"
    # The failed refund holds nothing back: the whole amount can still be refunded.
    assert refund(services, approved.id, {"reference": "rf-2"})[1]["status"] == "succeeded"


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ReadTimeout("no answer"),
        httpx.Response(500, json={"errorCode": 500}),
        httpx.Response(502, text="<html>"),
        httpx.Response(200, text="<html>garbled"),
        httpx.Response(200, json={"unexpected": True}),
    ],
    ids=["timeout", "error500", "error502", "malformed", "no-type-nor-error"],
)
def test_an_unknown_answer_leaves_the_refund_pending_until_reconciliation_gets_halos_answer(
    moto_env, halo, fault
):
    clock = FakeClock()
    services = build_services(halo, clock=clock)
    approved = approve(services, halo, open_checkout(services))
    queued_types(approved.id)
    halo.faults.append(fault)
    answer, body = refund(services, approved.id, {"reference": "rf"})
    assert (answer["statusCode"], body["status"]) == (201, "pending")
    assert get(services, approved.id)[1]["amountRefunded"] == "0.00"
    # While it is pending, its amount is held: nothing more than the rest can be refunded.
    assert (
        refund(services, approved.id, {"reference": "more", "amount": "0.01"})[1]["code"]
        == "refund_exceeds_amount"
    )
    clock.advance(60)
    reconcile_handler.handler({}, FakeLambdaContext(), services=services)
    assert get(services, approved.id, body["id"])[1]["status"] == "succeeded"
    assert get(services, approved.id)[1]["amountRefunded"] == "100.00"
    assert list(halo.refunded) == [body["id"]]  # one refund at Halo, under one refundReference
    assert queued_types(approved.id) == ["refund.succeeded"]
    clock.advance(3600)
    reconcile_handler.handler({}, FakeLambdaContext(), services=services)
    assert queued_types(approved.id) == []  # settled: never sent again, never notified twice


def test_213_to_a_retry_of_a_refund_whose_answer_was_lost_means_it_succeeded(moto_env, halo):
    clock = FakeClock()
    services = build_services(halo, clock=clock)
    approved = approve(services, halo, open_checkout(services))
    halo.lose_refund_answers = 1  # Halo refunds, and its answer never arrives
    _, body = refund(services, approved.id, {"reference": "rf"})
    assert body["status"] == "pending"
    clock.advance(60)
    reconcile_handler.handler({}, FakeLambdaContext(), services=services)
    assert halo.refund_requests[-1]["refundReference"] == body["id"]  # the same refundReference again
    settled = get(services, approved.id, body["id"])[1]
    assert settled["status"] == "succeeded"
    assert get(services, approved.id)[1]["amountRefunded"] == "100.00"


def test_a_refund_pending_for_more_than_15_minutes_is_reported_by_reconciliation(moto_env, halo):
    clock = FakeClock()
    services = build_services(halo, clock=clock)
    approved = approve(services, halo, open_checkout(services))
    halo.faults.append(httpx.ReadTimeout("no answer"))
    refund(services, approved.id, {"reference": "rf"})
    halo.faults.extend(httpx.Response(503) for _ in range(20))
    clock.advance(60)
    assert services.reconciler.run().refunds_overdue == 0
    clock.advance(16 * 60)
    report = services.reconciler.run()
    assert report.refunds_retried == 1
    assert report.refunds_overdue == 1


def test_a_settled_refund_is_notified_once_with_the_refund_as_data(services, halo, approved):
    queued_types(approved.id)
    _, body = refund(services, approved.id, {"reference": "rf", "amount": "25.00"})
    sqs = aws.sqs()
    url = sqs.get_queue_url(QueueName="halotap-local-notifications")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    event = json.loads(json.loads(messages[0]["Body"])["body"])
    assert event["type"] == "refund.succeeded"
    assert event["data"] == body
    assert event["data"]["checkoutId"] == approved.id


def test_an_approval_after_a_cancel_is_refunded_in_full_for_a_client_that_asks(services, halo):
    caller = Caller("demo-psp-autorefund", frozenset({"demo-merchant"}))
    created = open_checkout(services, caller=caller)
    services.checkouts.cancel(caller, created.id)
    approved = approve(services, halo, created)
    assert approved.status.value == "approved"
    view = checkout_view(services.checkouts.get(caller, created.id))
    assert view["amountRefunded"] == view["amount"] == "100.00"
    assert [(r["reference"], r["status"]) for r in view["refunds"]] == [("late-approval", "succeeded")]
    assert queued_types(created.id) == ["checkout.cancelled", "checkout.approved", "refund.succeeded"]


def test_a_checkout_stored_before_refunds_existed_can_be_refunded(services, halo, approved):
    aws.dynamodb().update_item(
        TableName=services.config.checkouts_table,
        Key={"pk": {"S": f"checkout#{approved.id}"}},
        UpdateExpression="REMOVE refunds, refundReferences",
    )
    answer, body = refund(services, approved.id, {"reference": "rf"})
    assert (answer["statusCode"], body["status"]) == (201, "succeeded")


def test_a_refund_whose_first_call_died_is_not_retried_while_that_call_may_be_in_flight(
    moto_env, halo, monkeypatch
):
    monkeypatch.setenv("HALOTAP_RECONCILE_BACKOFF", "2,4,8")  # the devstack's: shorter than the window
    settings.cache_clear()
    clock = FakeClock()
    services = build_services(halo, clock=clock)
    approved = approve(services, halo, open_checkout(services))
    halo.faults.append(RuntimeError("the Lambda died while Halo was being asked"))
    answer, _ = refund(services, approved.id, {"reference": "rf"})
    assert answer["statusCode"] == 500
    [reserved] = services.store.get(approved.id).refunds.values()
    window = services.refunds.first_call_window.total_seconds()
    assert window == 3 + 10 + 5  # Halo's connect and read timeouts, and a margin to record the answer
    clock.advance(window - 1)
    assert services.reconciler.run().refunds_retried == 0
    clock.advance(2)
    assert services.reconciler.run().refunds_retried == 1
    assert get(services, approved.id, reserved.id)[1]["status"] == "succeeded"
    assert list(halo.refunded) == [reserved.id]


def test_an_approval_after_expiry_is_refunded_in_full_for_a_client_that_asks(moto_env, halo):
    clock = FakeClock()
    services = build_services(halo, clock=clock)
    caller = Caller("demo-psp-autorefund", frozenset({"demo-merchant"}))
    created = open_checkout(services, caller=caller)
    clock.advance(1800 + 120 + 1)  # past expiresAt and the grace for taps in flight
    services.reconciler.run()
    assert services.store.get(created.id).status.value == "expired"
    approved = approve(services, halo, created)
    assert (approved.status.value, approved.replaced_status.value) == ("approved", "expired")
    assert checkout_view(approved)["amountRefunded"] == "100.00"
    assert queued_types(created.id) == ["checkout.expired", "checkout.approved", "refund.succeeded"]


def test_a_late_approval_of_a_checkout_stored_before_refunds_existed_is_refunded(services, halo):
    caller = Caller("demo-psp-autorefund", frozenset({"demo-merchant"}))
    created = open_checkout(services, caller=caller)
    services.checkouts.cancel(caller, created.id)
    aws.dynamodb().update_item(
        TableName=services.config.checkouts_table,
        Key={"pk": {"S": f"checkout#{created.id}"}},
        UpdateExpression="REMOVE refunds, refundReferences",
    )
    approved = approve(services, halo, created)
    assert (approved.status.value, checkout_view(approved)["amountRefunded"]) == ("approved", "100.00")
