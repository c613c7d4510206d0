"""Lambda's SQS batches: one record at a time, each failure reported alone, and "retry later" honoured.

A use case that wants a record back after a pause raises `RetryLater(seconds)`; the record's visibility
is set to that pause and the record is reported as failed, so SQS hands it back then (and, once its
receive count passes the queue's maxReceiveCount, parks it in the DLQ). Every other failure is reported
as failed too, and comes back after the queue's visibility timeout.

This is Lambda's partial batch response (`batchItemFailures`) written out, not Powertools'
BatchProcessor: that one imports asyncio and every Powertools event class, about a quarter of an
`import boto3` at each consumer's cold start, for the dozen lines below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from halotap.adapters.queues import SqsQueue
from halotap.domain.errors import ConcurrentUpdate, DependencyUnavailable, RetryLater

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueRecord:
    """One SQS message as Lambda's event source mapping hands it over."""

    message_id: str
    body: str
    receipt_handle: str
    receive_count: int  # 1 on the first delivery

    @classmethod
    def from_event(cls, record: dict[str, Any]) -> QueueRecord:
        attributes = record.get("attributes") or {}
        return cls(
            message_id=record["messageId"],
            body=record.get("body") or "",
            receipt_handle=record.get("receiptHandle") or "",
            receive_count=int(attributes.get("ApproximateReceiveCount") or 1),
        )


def receive_count(record: QueueRecord) -> int:
    return record.receive_count


def process_batch(
    event: dict[str, Any],
    context: Any,
    handle: Callable[[QueueRecord], Any],
    queue: SqsQueue,
) -> dict[str, list[dict[str, str]]]:
    """Every record reports its own failure, even when all fail: SQS then retries each on its own schedule."""
    failures = []
    for raw in event.get("Records") or []:
        record = QueueRecord.from_event(raw)
        try:
            handle(record)
        except RetryLater as later:
            _postpone(queue, record, later.seconds)
            failures.append({"itemIdentifier": record.message_id})
        except ConcurrentUpdate as lost:
            # Lost every retry of a race with other writers of the checkout: expected under load, and SQS's
            # redelivery is the next retry. One line, no traceback; the reason names the checkout.
            logger.info(
                "lost a race for the checkout; SQS will deliver the record again",
                extra={"messageId": record.message_id, "reason": str(lost)},
            )
            failures.append({"itemIdentifier": record.message_id})
        except Exception:
            logger.exception(
                "a record failed; SQS will deliver it again", extra={"messageId": record.message_id}
            )
            failures.append({"itemIdentifier": record.message_id})
    return {"batchItemFailures": failures}


def _postpone(queue: SqsQueue, record: QueueRecord, seconds: int) -> None:
    try:
        queue.postpone(record.receipt_handle, seconds)
    except DependencyUnavailable:
        # The record still fails and comes back, only after the queue's own visibility timeout.
        logger.warning("could not postpone a record", extra={"messageId": record.message_id}, exc_info=True)
