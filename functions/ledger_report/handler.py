"""GET /v1/merchants/{merchantId}/ledger/{date} (JSON, or CSV with `Accept: text/csv`) and
POST /v1/merchants/{merchantId}/ledger/{date}/run (202: the run is queued for the ledger function)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from halotap.adapters.apigateway import ApiRequest, handle, response
from halotap.adapters.ledger_store import CSV_TYPE, JSON_TYPE
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def wants_csv(request: ApiRequest) -> bool:
    accepted = [part.split(";")[0].strip().lower() for part in request.headers.get("accept", "").split(",")]
    return "text/csv" in accepted and "application/json" not in accepted


def serve(request: ApiRequest, services: Services) -> dict[str, Any]:
    caller = request.caller
    merchant_id, day = request.path_params.get("merchantId", ""), request.path_params.get("date", "")
    if request.method == "POST":
        running = services.ledger_reports.request_run(caller, merchant_id, day)
        logger.info("ledger run queued", extra={"merchantId": merchant_id, "date": running["date"]})
        return response(202, running)
    csv = wants_csv(request)
    body = services.ledger_reports.read(caller, merchant_id, day, "csv" if csv else "json")
    if isinstance(body, str):
        # Past what Lambda can answer (6 MB): a short-lived link to the same report in S3.
        return {**response(303, None), "headers": {"location": body, "cache-control": "no-store"}, "body": ""}
    return {**response(200, None, CSV_TYPE if csv else JSON_TYPE), "body": body.decode("utf-8")}


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: serve(request, services or default_services()))
