"""Quiet races: a lost race that is expected and settled later logs one INFO line, with no traceback;
an unexpected failure in the same place keeps its WARNING or ERROR and its traceback."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest

from halotap.adapters.sqs_batch import process_batch
from halotap.app.checkouts import CheckoutService
from halotap.domain.errors import ConcurrentUpdate, DependencyUnavailable
from halotap.domain.ids import event_id
from halotap.domain.models import Checkout, NotificationState
from halotap.domain.states import CheckoutStatus
from tests.fakes import sqs_event

CHECKOUT_ID = "chk_quietrace0001"
APPROVED = event_id(CHECKOUT_ID, 3)


@dataclass
class Recorded:
    body: str


class Feed:
    def record(self, event: Any) -> Any:
        return event  # the feed answers with the event as recorded: here, as given


class Sent:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def send(self, message: str) -> None:
        self.messages.append(message)


class StoreThatLoses:
    """The conditional write that marks the notifications queued fails with `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def save(self, before: Checkout, after: Checkout, history: Any = ()) -> Checkout:
        raise self.error


def approved_with_a_pending_notification() -> Checkout:
    return Checkout(
        id=CHECKOUT_ID,
        client_id="demo-psp",
        merchant_id="demo-merchant",
        reference="order-race-1",
        amount="25.00",
        currency="ZAR",
        status=CheckoutStatus.APPROVED,
        expires_at="2026-01-05T10:30:00.000Z",
        created_at="2026-01-05T10:00:00.000Z",
        updated_at="2026-01-05T10:01:00.000Z",
        notifications={
            APPROVED: NotificationState(
                type="checkout.approved", status="pending", created_at="2026-01-05T10:01:00.000Z"
            )
        },
        version=3,
    )


def publish_with(error: Exception) -> Sent:
    sent = Sent()
    service = CheckoutService(
        store=StoreThatLoses(error),  # type: ignore[arg-type]
        halo=None,  # type: ignore[arg-type]
        secret_store=None,  # type: ignore[arg-type]
        notifications=sent,  # type: ignore[arg-type]
        url_guard=lambda _url: None,
        events=Feed(),  # type: ignore[arg-type]
    )
    service.publish(approved_with_a_pending_notification())
    return sent


def records_of(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == logger]


def test_a_lost_race_to_mark_notifications_queued_is_one_info_line_with_the_checkout_and_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    sent = publish_with(ConcurrentUpdate(f"checkout {CHECKOUT_ID} changed since version 3"))

    assert len(sent.messages) == 1  # the notification went out before the race was lost
    (line,) = records_of(caplog, "halotap.app.checkouts")
    assert line.levelno == logging.INFO
    assert line.exc_info is None
    assert line.checkoutId == CHECKOUT_ID  # type: ignore[attr-defined]
    assert "reconciliation settles them on its next run" in line.getMessage()


def test_an_unexpected_failure_while_publishing_keeps_its_warning_and_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    publish_with(DependencyUnavailable("DynamoDB throttled"))

    (line,) = records_of(caplog, "halotap.app.checkouts")
    assert line.levelno == logging.WARNING
    assert line.exc_info is not None


class NoQueue:
    def postpone(self, receipt_handle: str, seconds: int) -> None:
        raise AssertionError("nothing is postponed here")


def test_a_record_that_lost_its_race_is_one_info_line_and_comes_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    event = sqs_event("{}")

    def lose(_record: Any) -> None:
        raise ConcurrentUpdate(f"checkout {CHECKOUT_ID} is changing too fast; the event will be retried")

    answer = process_batch(event, None, lose, NoQueue())  # type: ignore[arg-type]

    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    (line,) = records_of(caplog, "halotap.adapters.sqs_batch")
    assert line.levelno == logging.INFO
    assert line.exc_info is None
    assert CHECKOUT_ID in line.reason  # type: ignore[attr-defined]


def test_a_record_that_failed_unexpectedly_keeps_its_error_and_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    def fail(_record: Any) -> None:
        raise KeyError("a bug")

    process_batch(sqs_event("{}"), None, fail, NoQueue())  # type: ignore[arg-type]

    (line,) = records_of(caplog, "halotap.adapters.sqs_batch")
    assert line.levelno == logging.ERROR
    assert line.exc_info is not None
