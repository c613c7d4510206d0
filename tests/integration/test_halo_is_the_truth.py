"""Verify by fetch: a webhook's outcome is applied only as Halo's status endpoint confirms it."""

from __future__ import annotations

import pytest

from functions.apply_halo_event import handler as apply_handler
from halotap.adapters import aws
from halotap.domain import timing
from halotap.domain.requests import CreateCheckoutRequest
from halotap.settings import settings
from tests.fakes import CallCounter, FakeLambdaContext, sqs_event
from tests.usecases.test_halo_is_the_truth import CALLER, apply, webhook


@pytest.fixture
def checkout(services):
    request = CreateCheckoutRequest.validate(
        {"merchantId": "demo-merchant", "reference": "r-1", "amount": "25.50", "currency": "ZAR"}
    )
    return services.checkouts.create(CALLER, request)


def received_from_the_queue(body):
    """An SQS event for `body` as Lambda gets it from halo-events: a real receipt handle SQS will honour.

    Received with VisibilityTimeout=0, so the message stays visible until the handler hides it.
    """
    sqs, url = aws.sqs(), settings().halo_events_queue_url
    sqs.send_message(QueueUrl=url, MessageBody=body)
    [message] = sqs.receive_message(
        QueueUrl=url, AttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=0
    )["Messages"]
    event = sqs_event(message["Body"])
    record = event["Records"][0]
    record["receiptHandle"] = message["ReceiptHandle"]
    record["attributes"]["ApproximateReceiveCount"] = message["Attributes"]["ApproximateReceiveCount"]
    return event


def visible_on_the_queue():
    answer = aws.sqs().receive_message(QueueUrl=settings().halo_events_queue_url, VisibilityTimeout=0)
    return answer.get("Messages", [])


def test_a_webhook_before_halo_shows_an_outcome_is_retried_later_through_the_queue(services, halo, checkout):
    event = received_from_the_queue(webhook(checkout))
    assert event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1"
    counter = CallCounter(aws.sqs())
    result = apply_handler.handler(event, FakeLambdaContext(), services=services)
    assert result["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
    assert counter.calls == ["ChangeMessageVisibility"]
    # SQS took the pause: the message is hidden for the confirm backoff instead of coming straight back.
    assert visible_on_the_queue() == []
    assert services.store.get(checkout.id).status == "open"


def test_after_bounded_retries_the_webhook_is_left_to_reconciliation(services, halo, checkout):
    counter = CallCounter(aws.sqs())
    _, result = apply(services, webhook(checkout), receive_count=timing.CONFIRM_ATTEMPTS)
    assert result["batchItemFailures"] == []
    assert counter.calls == []  # not postponed again: the queue is done with it
    stored = services.store.get(checkout.id)
    assert stored.status == "open"
    assert stored.due_at is not None  # reconciliation will ask Halo again


def test_the_deployed_wiring_confirms_with_halo_and_queues_notifications(moto_env):
    from halotap.app.confirm import ConfirmWithHalo
    from halotap.wiring import default_services

    wired = default_services()
    assert isinstance(wired.outcomes.confirmer, ConfirmWithHalo)
    assert wired.outcomes.checkouts is wired.checkouts
    assert wired.checkouts.notifications is not None
