"""Consumes notifications: delivers each to its PSP, signed; retries on the schedule; parks the exhausted."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from halotap import aws
from halotap.config import settings
from halotap.deliveries import NotificationDeliverer
from halotap.notify import NotificationQueue
from halotap.observability import lambda_handler
from halotap.runtime import default_services

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class DeliveryPostponed(Exception):
    """The PSP did not take the notification; SQS hands it back after the schedule's delay."""


@lru_cache(maxsize=1)
def default_deliverer() -> NotificationDeliverer:
    import httpx

    from halotap.delivery import SCHEDULE_ENV, parse_schedule

    config, services = settings(), default_services()
    return NotificationDeliverer(
        store=services.store,
        secret_store=services.secrets,
        http=httpx.Client(limits=httpx.Limits(max_keepalive_connections=10)),
        dead_letters=NotificationQueue(config.notifications_dlq_url),
        schedule=parse_schedule(os.environ.get(SCHEDULE_ENV)),
        allow_loopback_http=config.allow_loopback_webhooks,
    )


def deliver_record(record: SQSRecord, deliverer: NotificationDeliverer, sqs: Any) -> str:
    message = json.loads(record.body)
    attempt = int(record.attributes.approximate_receive_count or 1)
    logger.append_keys(eventId=message["eventId"], checkoutId=message["checkoutId"], attempt=attempt)
    result = deliverer.deliver(message, attempt)
    metrics.add_metric(name=f"Notification{result.outcome.title()}", unit=MetricUnit.Count, value=1)
    if result.outcome == "retry":
        assert result.delay is not None
        sqs.change_message_visibility(
            QueueUrl=settings().notifications_queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=result.delay,
        )
        logger.info(
            "notification not delivered; will retry", extra={"delay": result.delay, "error": result.error}
        )
        raise DeliveryPostponed(result.error or "not delivered")
    if result.outcome == "exhausted":
        logger.error("notification parked in the DLQ after its last attempt", extra={"error": result.error})
    elif result.outcome == "gone":
        logger.warning("the PSP answered 410 Gone: no more attempts for this notification")
    else:
        logger.info(f"notification {result.outcome}")
    return result.outcome


@lambda_handler(logger, tracer, metrics)
def handler(
    event: dict[str, Any], context: Any, deliverer: NotificationDeliverer | None = None, sqs: Any = None
) -> Any:
    wired, client = deliverer or default_deliverer(), sqs or aws.sqs()
    return process_partial_response(
        event=event,
        record_handler=lambda record: deliver_record(record, wired, client),
        processor=processor,
        context=context,
    )
