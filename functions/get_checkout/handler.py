"""GET /v1/checkouts/{id}, and GET /v1/checkouts?merchantId=..&reference=.. to find one by the PSP's reference."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from halotap.adapters.apigateway import ApiRequest, handle, response
from halotap.domain.errors import InvalidRequest
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def read(request: ApiRequest, services: Services) -> dict[str, Any]:
    caller = request.caller
    checkout_id = request.path_params.get("id")
    if checkout_id is not None:
        checkout = services.checkouts.get(caller, checkout_id)
    else:
        merchant_id, reference = request.query.get("merchantId"), request.query.get("reference")
        if not merchant_id or not reference:
            raise InvalidRequest(
                "pass both merchantId and reference to find a checkout",
                errors=[
                    {"field": name, "message": "is required"}
                    for name in ("merchantId", "reference")
                    if not request.query.get(name)
                ],
            )
        checkout = services.checkouts.find(caller, merchant_id, reference)
    return response(200, checkout.to_api())


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: read(request, services or default_services()))
