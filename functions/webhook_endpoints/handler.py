"""/v1/webhook-endpoints: the PSP's own webhook endpoints (halotap/app/endpoints.py, docs/architecture.md, "Webhook endpoints").

POST creates one (201, its secret shown once), GET lists them, GET/PATCH/DELETE .../{id} read, change and
delete one, and POST .../{id}/rotate-secret, .../{id}/ping and .../{id}/recover act on one.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.adapters.apigateway import ApiRequest, handle, response
from halotap.metrics import WEBHOOK_ENDPOINT_RECOVERED, WEBHOOK_PING
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def serve(request: ApiRequest, services: Services) -> dict[str, Any]:
    caller, endpoints = request.caller, services.webhook_endpoints
    endpoint_id = request.path_params.get("id")
    if endpoint_id is None:
        if request.method == "POST":
            created = endpoints.create(caller, request.json())
            logger.info("webhook endpoint created", extra={"endpointId": created.id})
            return response(201, created.to_api(secret=True))
        return response(200, {"data": [e.to_api() for e in endpoints.list(caller)]})
    if request.method == "POST":
        return act(request, services, endpoint_id)
    if request.method == "PATCH":
        return response(200, endpoints.update(caller, endpoint_id, request.json()).to_api())
    if request.method == "DELETE":
        endpoints.delete(caller, endpoint_id)
        return response(200, {"id": endpoint_id, "deleted": True})
    return response(200, endpoints.get(caller, endpoint_id).to_api())


def act(request: ApiRequest, services: Services, endpoint_id: str) -> dict[str, Any]:
    """POST .../{id}/rotate-secret, .../ping or .../recover (the routes the manifest declares)."""
    caller, endpoints = request.caller, services.webhook_endpoints
    action = request.path.rstrip("/").rsplit("/", 1)[-1]
    if action == "rotate-secret":
        rotated = endpoints.rotate_secret(caller, endpoint_id)
        logger.info("webhook endpoint secret rotated", extra={"endpointId": endpoint_id})
        return response(200, rotated.to_api(secret=True))
    if action == "ping":
        result = endpoints.ping(caller, endpoint_id)
        metrics.add_metric(name=WEBHOOK_PING, unit=MetricUnit.Count, value=1)
        return response(200, result.to_api())
    queued = endpoints.recover(caller, endpoint_id, request.json())
    metrics.add_metric(name=WEBHOOK_ENDPOINT_RECOVERED, unit=MetricUnit.Count, value=1)
    logger.info("webhook endpoint recovered", extra={"endpointId": endpoint_id, "queued": queued})
    return response(202, {"id": endpoint_id, "queued": queued})


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: serve(request, services or default_services()))
