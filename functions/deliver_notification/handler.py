"""Consumes notifications: delivers each to its PSP, signed; retries on the schedule; parks the exhausted."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.adapters.sqs_batch import QueueRecord, process_batch, receive_count
from halotap.domain.errors import RetryLater
from halotap.metrics import NOTIFICATION_BY_OUTCOME, NOTIFICATION_RETRY, WEBHOOK_ENDPOINT_DISABLED
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def deliver_record(record: QueueRecord, services: Services) -> str:
    attempt = receive_count(record)
    logger.append_keys(messageId=record.message_id, attempt=attempt)
    try:
        result = services.deliverer.deliver_queued(record.body, attempt)
    except RetryLater as later:
        metrics.add_metric(name=NOTIFICATION_RETRY, unit=MetricUnit.Count, value=1)
        logger.info(
            "notification not delivered; will retry", extra={"delay": later.seconds, "error": str(later)}
        )
        raise
    metrics.add_metric(name=NOTIFICATION_BY_OUTCOME[result.outcome], unit=MetricUnit.Count, value=1)
    if result.disabled:
        metrics.add_metric(name=WEBHOOK_ENDPOINT_DISABLED, unit=MetricUnit.Count, value=1)
        logger.error("a webhook endpoint failed for too long and was disabled; endpoint.disabled was sent")
    if result.outcome == "exhausted":
        logger.error("notification parked in the DLQ after its last attempt", extra={"error": result.error})
    elif result.outcome == "gone":
        logger.warning("the PSP answered 410 Gone: no more attempts for this notification")
    else:
        logger.info(f"notification {result.outcome}")
    return result.outcome


@lambda_handler(logger, metrics)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> Any:
    wired = services or default_services()
    return process_batch(
        event, context, lambda record: deliver_record(record, wired), wired.notifications_queue
    )
