"""POST /v1/checkouts/{id}/cancel: an open checkout becomes cancelled; any other status is 409."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from halotap.http import ApiRequest, handle, response
from halotap.runtime import Services, default_services

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def cancel(request: ApiRequest, services: Services) -> dict[str, Any]:
    checkout = services.checkouts.cancel(request.caller, request.path_params.get("id", ""))
    metrics.add_metric(name="CheckoutCancelled", unit=MetricUnit.Count, value=1)
    logger.info("checkout cancelled", extra={"checkoutId": checkout.id})
    return response(200, checkout.to_api())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: cancel(request, services or default_services()))
