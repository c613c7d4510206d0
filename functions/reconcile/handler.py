"""Every minute (EventBridge): reconcile due checkouts with Halo, expire the unpaid ones, retry pending refunds."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.metrics import (
    INDETERMINATE_NEEDS_ATTENTION,
    RECONCILE_BY_COUNT,
    RECONCILE_LAG_SECONDS,
    REFUND_PENDING_TOO_LONG,
    REFUND_RETRIED,
    WATCH_CHANGES,
    WATCH_CHECKS,
)
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


@lambda_handler(logger, metrics)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    wired = services or default_services()
    report = wired.reconciler.run(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    for count, name in RECONCILE_BY_COUNT.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=getattr(report, count))
    # How long the oldest due checkout had waited: above a run's interval, reconciliation is falling behind.
    metrics.add_metric(name=RECONCILE_LAG_SECONDS, unit=MetricUnit.Seconds, value=report.lag_seconds)
    metrics.add_metric(name=REFUND_RETRIED, unit=MetricUnit.Count, value=report.refunds_retried)
    # An alarm (infra/monitoring.py): a refund still waiting for Halo's answer after 15 minutes.
    metrics.add_metric(name=REFUND_PENDING_TOO_LONG, unit=MetricUnit.Count, value=report.refunds_overdue)
    # Watching after final: checks made, and changes at Halo found that no webhook had brought.
    metrics.add_metric(name=WATCH_CHECKS, unit=MetricUnit.Count, value=report.watched)
    metrics.add_metric(name=WATCH_CHANGES, unit=MetricUnit.Count, value=report.watch_changes)
    # An alarm (infra/monitoring.py): an Indeterminate outcome nothing replaced; a person must look.
    metrics.add_metric(
        name=INDETERMINATE_NEEDS_ATTENTION, unit=MetricUnit.Count, value=report.needs_attention
    )
    summary = {k: v for k, v in vars(report).items() if k != "outcomes"}
    logger.info("reconciliation run", extra=summary)
    return summary
