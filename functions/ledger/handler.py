"""The daily ledger. Once a day (EventBridge, 03:00 UTC) it queues one run per merchant for the day before;
each queued run (from that schedule, the API's POST .../run, or the operator) proves one merchant-day
against Halo's transaction history and writes its report (halotap/app/ledger.py)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.adapters.sqs_batch import QueueRecord, process_batch
from halotap.metrics import LEDGER_DIFFERENCES, LEDGER_HEALED
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def schedule_day(services: Services) -> dict[str, Any]:
    """Yesterday, for every merchant: one message each, so each merchant-day is its own invocation."""
    day = (services.clock().date() - timedelta(days=1)).isoformat()
    merchants = services.secrets.merchant_ids()
    for merchant_id in merchants:
        services.ledger_queue.send(json.dumps({"merchantId": merchant_id, "date": day}))
    logger.info("ledger runs queued", extra={"date": day, "merchants": len(merchants)})
    return {"date": day, "queued": len(merchants)}


def run_record(record: QueueRecord, services: Services) -> None:
    request = json.loads(record.body)
    result = services.ledger.run(request["merchantId"], date.fromisoformat(request["date"]))
    # An alarm (infra/monitoring.py): any record of the day that is not matched needs a person.
    metrics.add_metric(name=LEDGER_DIFFERENCES, unit=MetricUnit.Count, value=result.differences)
    metrics.add_metric(name=LEDGER_HEALED, unit=MetricUnit.Count, value=result.healed)
    logger.info(
        "ledger run complete",
        extra={"merchantId": result.merchant_id, "date": result.date, "counts": result.report["counts"]},
    )


@lambda_handler(logger, metrics)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> Any:
    wired = services or default_services()
    if event.get("detail-type") == "Scheduled Event":
        return schedule_day(wired)
    return process_batch(event, context, lambda record: run_record(record, wired), wired.ledger_queue)
