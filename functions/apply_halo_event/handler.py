"""Consumes halo-events: finds each event's checkout and applies Halo's outcome, one record at a time.

The use case (`OutcomeService.handle_webhook`) decides; this handler only logs and counts what it decided.
A record that fails (DynamoDB throttled, a race lost too often) is reported back alone and retried by
SQS, then parked in the DLQ; a record Halo cannot confirm yet comes back after the confirm backoff.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.adapters.sqs_batch import QueueRecord, process_batch, receive_count
from halotap.app.outcomes import EventResult
from halotap.domain.states import Verdict
from halotap.metrics import (
    HALO_EVENT_ANOMALY,
    HALO_EVENT_BY_VERDICT,
    HALO_EVENT_LEFT_TO_RECONCILE,
    HALO_EVENT_UNKNOWN_CHECKOUT,
    HALO_WEBHOOK_MISMATCH,
    LATE_APPROVAL,
)
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def apply_record(record: QueueRecord, services: Services) -> str:
    logger.append_keys(messageId=record.message_id)
    result = services.outcomes.handle_webhook(record.body, receive_count(record))
    report(result)
    return result.applied.verdict.value if result.applied else result.outcome


def report(result: EventResult) -> None:
    if result.outcome == "dropped":
        unknown = result.reported is not None
        metrics.add_metric(
            name=HALO_EVENT_UNKNOWN_CHECKOUT if unknown else HALO_EVENT_ANOMALY,
            unit=MetricUnit.Count,
            value=1,
        )
        logger.warning("dropped a Halo event", extra={"reason": result.reason})
        return
    if result.outcome == "left_to_reconcile":
        metrics.add_metric(name=HALO_EVENT_LEFT_TO_RECONCILE, unit=MetricUnit.Count, value=1)
        logger.warning("Halo still shows nothing final; leaving the checkout to reconciliation")
        return
    applied, reported = result.applied, result.reported
    assert applied is not None
    assert reported is not None
    metrics.add_metric(name=HALO_EVENT_BY_VERDICT[applied.verdict], unit=MetricUnit.Count, value=1)
    extra = {
        "checkoutId": applied.checkout.id,
        "verdict": applied.verdict.value,
        "status": applied.checkout.status.value,
        "disposition": reported.disposition.value,
        "reason": applied.decision.reason,
    }
    if applied.mismatches:
        # Someone (or something) told us a different story from Halo's: worth a human look.
        metrics.add_metric(name=HALO_WEBHOOK_MISMATCH, unit=MetricUnit.Count, value=1)
        logger.warning(
            "Halo webhook disagrees with Halo's status; applied Halo's",
            extra={
                **extra,
                "mismatches": {k: {"webhook": a, "halo": b} for k, (a, b) in applied.mismatches.items()},
            },
        )
    if applied.verdict == Verdict.ANOMALY:
        logger.warning("Halo outcome contradicts a final status", extra=extra)
    elif applied.decision.replaced_status is not None:
        metrics.add_metric(name=LATE_APPROVAL, unit=MetricUnit.Count, value=1)
        logger.warning("outcome after a final status: the PSP may need to act", extra=extra)
    else:
        logger.info("applied a Halo outcome", extra=extra)


@lambda_handler(logger, metrics)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> Any:
    wired = services or default_services()
    return process_batch(event, context, lambda record: apply_record(record, wired), wired.halo_events_queue)
