"""POST /v1/halo/webhooks/{token}: authenticate by path token, check the shape, queue the raw event, answer 200."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.adapters.apigateway import ApiRequest, handle, response
from halotap.domain.errors import Unauthorized
from halotap.metrics import HALO_WEBHOOK_BAD_TOKEN, HALO_WEBHOOK_QUEUED
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def receive(request: ApiRequest, services: Services) -> dict[str, Any]:
    try:
        payload = services.intake.receive(
            request.path_params.get("token", ""), request.body, request.request_id
        )
    except Unauthorized:
        metrics.add_metric(name=HALO_WEBHOOK_BAD_TOKEN, unit=MetricUnit.Count, value=1)
        logger.warning(
            "rejected a Halo webhook with a wrong token",
            extra={"sourceIp": request.headers.get("x-forwarded-for")},
        )
        raise
    metrics.add_metric(name=HALO_WEBHOOK_QUEUED, unit=MetricUnit.Count, value=1)
    logger.info(
        "queued a Halo webhook",
        extra={
            "merchantReference": payload.get("merchantReference"),
            "haloReference": payload.get("haloReference"),
            "disposition": payload.get("disposition"),
        },
    )
    return response(200, {"received": True})


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: receive(request, services or default_services()))
