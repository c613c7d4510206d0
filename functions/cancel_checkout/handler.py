"""POST /v1/checkouts/{id}/cancel: an open checkout becomes cancelled; any other status is 409."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.adapters.apigateway import ApiRequest, handle, response
from halotap.domain.views import checkout_view
from halotap.metrics import CHECKOUT_CANCELLED
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def cancel(request: ApiRequest, services: Services) -> dict[str, Any]:
    checkout = services.checkouts.cancel(request.caller, request.path_params.get("id", ""))
    metrics.add_metric(name=CHECKOUT_CANCELLED, unit=MetricUnit.Count, value=1)
    logger.info("checkout cancelled", extra={"checkoutId": checkout.id})
    return response(200, checkout_view(checkout))


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: cancel(request, services or default_services()))
