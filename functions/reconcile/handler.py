"""Every minute (EventBridge): reconcile due checkouts with Halo, expire the unpaid ones, retry pending refunds."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


@lambda_handler(logger, metrics)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    wired = services or default_services()
    report = wired.reconciler.run(time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    for name in ("examined", "applied", "expired", "rescheduled", "abandoned", "published", "errors"):
        metrics.add_metric(
            name=f"Reconcile{name.title()}", unit=MetricUnit.Count, value=getattr(report, name)
        )
    # How long the oldest due checkout had waited: above a run's interval, reconciliation is falling behind.
    metrics.add_metric(name="ReconcileLagSeconds", unit=MetricUnit.Seconds, value=report.lag_seconds)
    metrics.add_metric(name="RefundRetried", unit=MetricUnit.Count, value=report.refunds_retried)
    # An alarm (infra/monitoring.py): a refund still waiting for Halo's answer after 15 minutes.
    metrics.add_metric(name="RefundPendingTooLong", unit=MetricUnit.Count, value=report.refunds_overdue)
    # Watching after final: checks made, and changes at Halo found that no webhook had brought.
    metrics.add_metric(name="WatchChecks", unit=MetricUnit.Count, value=report.watched)
    metrics.add_metric(name="WatchChanges", unit=MetricUnit.Count, value=report.watch_changes)
    # An alarm (infra/monitoring.py): an Indeterminate outcome nothing replaced; a person must look.
    metrics.add_metric(
        name="IndeterminateNeedsAttention", unit=MetricUnit.Count, value=report.needs_attention
    )
    summary = {k: v for k, v in vars(report).items() if k != "outcomes"}
    logger.info("reconciliation run", extra=summary)
    return summary
