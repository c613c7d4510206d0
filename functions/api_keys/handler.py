"""GET /v1/api-keys, POST /v1/api-keys, DELETE /v1/api-keys/{id}: a PSP manages its own API keys.

The key is in the answer to POST once; afterwards only its id and prefix are shown (halotap/app/api_keys.py).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.adapters.apigateway import ApiRequest, handle, response
from halotap.domain.api_keys import clean_label
from halotap.domain.errors import InvalidRequest
from halotap.metrics import API_KEY_CREATED, API_KEY_REVOKED
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def _label(request: ApiRequest) -> str | None:
    """The optional label of POST's optional body: {} or {"label": "..."}, nothing else."""
    if not request.body:
        return None
    body = request.json()
    if not isinstance(body, dict):
        raise InvalidRequest('the body must be a JSON object such as {"label": "production"}')
    unknown = sorted(set(body) - {"label"})
    if unknown:
        raise InvalidRequest(
            f"unknown field(s) {', '.join(unknown)}; the body takes only label",
            errors=[{"field": name, "message": "not a field of this request"} for name in unknown],
        )
    try:
        return clean_label(body.get("label"))
    except ValueError as error:
        raise InvalidRequest(str(error), errors=[{"field": "label", "message": str(error)}]) from None


def serve(request: ApiRequest, services: Services) -> dict[str, Any]:
    caller = request.caller
    if request.method == "POST":
        made = services.api_keys.create(caller, _label(request))
        metrics.add_metric(name=API_KEY_CREATED, unit=MetricUnit.Count, value=1)
        return response(201, made.to_api())
    if request.method == "DELETE":
        revoked = services.api_keys.revoke(caller, request.path_params.get("id", ""))
        metrics.add_metric(name=API_KEY_REVOKED, unit=MetricUnit.Count, value=1)
        return response(200, {**revoked.to_api(), "status": "revoked"})
    return response(200, {"data": [key.to_api() for key in services.api_keys.list_keys(caller)]})


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: serve(request, services or default_services()))
