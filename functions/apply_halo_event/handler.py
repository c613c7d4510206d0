"""Consumes halo-events: finds each event's checkout and applies Halo's outcome, one record at a time.

A record that fails (DynamoDB throttled, a race lost too often) is reported back alone and retried by
SQS, then parked in the DLQ; the rest of the batch is not held back.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from halotap import aws
from halotap.config import settings
from halotap.halo_events import parse_outcome
from halotap.observability import lambda_handler
from halotap.runtime import Services, default_services
from halotap.states import Verdict

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# Every record reports its own failure, even when all fail: SQS then retries each on its own schedule.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def apply_record(record: SQSRecord, services: Services) -> str:
    message = json.loads(record.body)
    payload = json.loads(message["payload"])
    logger.append_keys(
        messageId=record.message_id,
        merchantReference=payload.get("merchantReference"),
        haloReference=payload.get("haloReference"),
    )
    try:
        reported = parse_outcome(payload)
    except ValueError as error:
        metrics.add_metric(name="HaloEventAnomaly", unit=MetricUnit.Count, value=1)
        logger.warning("dropped a Halo event with an undocumented disposition", extra={"error": str(error)})
        return "dropped"
    checkout = services.checkouts.locate(reported)
    if checkout is None:
        metrics.add_metric(name="HaloEventUnknownCheckout", unit=MetricUnit.Count, value=1)
        logger.warning(
            "dropped a Halo event for no known checkout", extra={"disposition": reported.disposition}
        )
        return "dropped"
    result = services.checkouts.apply(checkout, reported, source="halo_webhook")
    if result is None:
        return not_final_yet(record, services, checkout.id)
    metrics.add_metric(name=f"HaloEvent{result.verdict.value.title()}", unit=MetricUnit.Count, value=1)
    extra = {
        "checkoutId": checkout.id,
        "verdict": result.verdict.value,
        "status": result.checkout.status.value,
        "disposition": reported.disposition.value,
        "reason": result.decision.reason,
    }
    if result.mismatches:
        # Someone (or something) told us a different story from Halo's: worth a human look.
        metrics.add_metric(name="HaloWebhookMismatch", unit=MetricUnit.Count, value=1)
        logger.warning(
            "Halo webhook disagrees with Halo's status; applied Halo's",
            extra={
                **extra,
                "mismatches": {k: {"webhook": a, "halo": b} for k, (a, b) in result.mismatches.items()},
            },
        )
    if result.verdict == Verdict.ANOMALY:
        logger.warning("Halo outcome contradicts a final status", extra=extra)
    elif result.decision.replaced_status is not None:
        metrics.add_metric(name="LateApproval", unit=MetricUnit.Count, value=1)
        logger.warning("approval after a final status: the PSP may need to refund", extra=extra)
    else:
        logger.info("applied a Halo outcome", extra=extra)
    return result.verdict.value


class OutcomeNotFinalYet(Exception):
    """Halo shows nothing final for a webhook's payment yet: the record is retried after a pause."""


def not_final_yet(record: SQSRecord, services: Services, checkout_id: str) -> str:
    """Retry later through the queue, a bounded number of times; then reconciliation owns the checkout."""
    receives = int(record.attributes.approximate_receive_count or 1)
    if receives >= settings().confirm_attempts:
        metrics.add_metric(name="HaloEventLeftToReconcile", unit=MetricUnit.Count, value=1)
        logger.warning(
            "Halo still shows nothing final; leaving the checkout to reconciliation",
            extra={"checkoutId": checkout_id, "receives": receives},
        )
        return "left_to_reconcile"
    (services.sqs or aws.sqs()).change_message_visibility(
        QueueUrl=settings().halo_events_queue_url,
        ReceiptHandle=record.receipt_handle,
        VisibilityTimeout=min(settings().confirm_retry_seconds * 2 ** (receives - 1), 300),
    )
    raise OutcomeNotFinalYet(f"Halo shows nothing final for {checkout_id} yet (receive {receives})")


@lambda_handler(logger, tracer, metrics)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> Any:
    wired = services or default_services()
    return process_partial_response(
        event=event,
        record_handler=lambda record: apply_record(record, wired),
        processor=processor,
        context=context,
    )
