"""Lambda's SQS batches: one record at a time, each failure reported alone, and "retry later" honoured.

A use case that wants a record back after a pause raises `RetryLater(seconds)`; the record's visibility
is set to that pause and the record is reported as failed, so SQS hands it back then (and, once its
receive count passes the queue's maxReceiveCount, parks it in the DLQ). Every other failure is reported
as failed too, and comes back after the queue's visibility timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from halotap.adapters.queues import SqsQueue
from halotap.domain.errors import DependencyUnavailable, RetryLater

logger = logging.getLogger(__name__)


def receive_count(record: SQSRecord) -> int:
    return int(record.attributes.approximate_receive_count or 1)


def process_batch(
    event: dict[str, Any],
    context: Any,
    handle: Callable[[SQSRecord], Any],
    queue: SqsQueue,
) -> Any:
    # Every record reports its own failure, even when all fail: SQS then retries each on its own schedule.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def one(record: SQSRecord) -> Any:
        try:
            return handle(record)
        except RetryLater as later:
            try:
                queue.postpone(record.receipt_handle, later.seconds)
            except DependencyUnavailable:
                # The record still fails and comes back, only after the queue's own visibility timeout.
                logger.warning(
                    "could not postpone a record", extra={"messageId": record.message_id}, exc_info=True
                )
            raise

    return process_partial_response(event=event, record_handler=one, processor=processor, context=context)
