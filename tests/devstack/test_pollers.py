"""The queue poller settles a batch the way Lambda's SQS event-source mapping does."""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.config import DevConfig, resource_name
from devstack.pollers import POLLERS_PER_QUEUE, QueuePoller, records_to_delete
from devstack.provision import create_queue
from infra import manifest
from tests.fakes import wait_until

SPEC = manifest.function("apply_halo_event")
BARRIER_SECONDS = 30.0  # generous: only a failing run waits it out
BATCH = [{"MessageId": "m1", "ReceiptHandle": "h1"}, {"MessageId": "m2", "ReceiptHandle": "h2"}]


@pytest.mark.parametrize("result", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}])
def test_no_reported_failures_is_complete_success(result):
    assert records_to_delete(BATCH, result) == BATCH


def test_reported_failures_stay_on_the_queue():
    assert records_to_delete(BATCH, {"batchItemFailures": [{"itemIdentifier": "m2"}]}) == BATCH[:1]


@pytest.mark.parametrize(
    "result",
    [
        "ok",
        {"batchItemFailures": [{"itemIdentifier": "other"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{}]},
    ],
)
def test_an_unreadable_answer_keeps_the_whole_batch(result):
    assert records_to_delete(BATCH, result) == []


class Consumer:
    def __init__(self, answer: Any) -> None:
        self.answer, self.events = answer, []

    def __call__(self, spec: manifest.Function, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def queue(monkeypatch):
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        spec = manifest.queue(SPEC.queue or "")
        monkeypatch.setenv(
            spec.env,
            create_queue(
                sqs, spec, visibility_cap_seconds=DevConfig(visibility_cap_seconds=0).visibility_cap_seconds
            ),
        )
        yield sqs, os.environ[spec.env]


@pytest.fixture
def held_queue(monkeypatch):
    """The consumer's queue with the devstack's visibility cap: a record in hand is not handed out again."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        spec = manifest.queue(SPEC.queue or "")
        monkeypatch.setenv(
            spec.env, create_queue(sqs, spec, visibility_cap_seconds=DevConfig().visibility_cap_seconds)
        )
        yield sqs, os.environ[spec.env]


def _poller(consumer: Consumer) -> QueuePoller:
    poller = QueuePoller(SPEC, invoke=consumer, wait_seconds=0)
    poller.connect()
    return poller


def _count(sqs, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )
    return sum(int(v) for v in attributes["Attributes"].values())


def test_a_batch_becomes_a_lambda_sqs_event_and_handled_records_are_deleted(queue):
    sqs, url = queue
    sqs.send_message(
        QueueUrl=url,
        MessageBody='{"payload": "{}"}',
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "halo"}},
    )
    consumer = Consumer(None)
    assert _poller(consumer).poll_once() == 1
    record = consumer.events[0]["Records"][0]
    assert record["body"] == '{"payload": "{}"}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":" + resource_name("halo-events"))
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"]["stringValue"] == "halo"
    assert _count(sqs, url) == 0


def test_a_failing_record_is_retried_then_lands_in_the_dlq(queue):
    sqs, url = queue
    message_id = sqs.send_message(QueueUrl=url, MessageBody="poison")["MessageId"]
    consumer = Consumer({"batchItemFailures": [{"itemIdentifier": message_id}]})
    poller = _poller(consumer)
    for _ in range(manifest.HALO_EVENTS.max_receive_count + 1):
        poller.poll_once()
    assert len(consumer.events) == manifest.HALO_EVENTS.max_receive_count
    dlq = sqs.get_queue_url(QueueName=resource_name("halo-events-dlq"))["QueueUrl"]
    moved = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert [m["Body"] for m in moved] == ["poison"]


def test_a_handler_that_raises_leaves_the_batch_on_the_queue(queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    _poller(Consumer(RuntimeError("boom"))).poll_once()
    assert _count(sqs, url) == 1


def test_a_second_batch_is_handled_while_the_first_is_still_in_hand(held_queue):
    """POLLERS_PER_QUEUE workers: one slow batch does not hold up the queue (Lambda runs batches at once)."""
    sqs, url = held_queue
    both_in_hand = threading.Barrier(2)
    handled: list[str] = []

    def consumer(spec: manifest.Function, event: dict[str, Any]) -> Any:
        both_in_hand.wait(BARRIER_SECONDS)  # broken (so raising) unless another batch arrives meanwhile
        handled.extend(record["body"] for record in event["Records"])
        return None

    poller = QueuePoller(SPEC, invoke=consumer, wait_seconds=1)
    poller.start()
    try:
        sqs.send_message(QueueUrl=url, MessageBody="first")
        wait_until(lambda: both_in_hand.n_waiting == 1, timeout=BARRIER_SECONDS)  # first batch in hand
        sqs.send_message(QueueUrl=url, MessageBody="second")
        wait_until(lambda: len(handled) == 2, timeout=BARRIER_SECONDS)
    finally:
        poller.stop()

    assert poller.workers == POLLERS_PER_QUEUE
    assert sorted(handled) == ["first", "second"]
