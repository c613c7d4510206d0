"""GET /v1/checkouts/{id}, GET /v1/checkouts?merchantId=..&reference=.. to find one by the PSP's reference,
and GET /v1/checkouts/{id}/refunds/{refundId} (a refund lives in its checkout's item: one GetItem)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from halotap.adapters.apigateway import ApiRequest, handle, response
from halotap.domain.errors import InvalidRequest
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def read(request: ApiRequest, services: Services) -> dict[str, Any]:
    caller = request.caller
    checkout_id = request.path_params.get("id")
    refund_id = request.path_params.get("refundId")
    if checkout_id is not None and refund_id is not None:
        return response(200, services.refunds.get(caller, checkout_id, refund_id).to_api())
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


@lambda_handler(logger, tracer, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: read(request, services or default_services()))
