"""GET /v1/checkouts/{id}; GET /v1/checkouts?merchantId=..&reference=.. finds one by the PSP's reference;
GET /v1/checkouts?merchantId=..[&status=..][&createdFrom=..][&createdTo=..][&limit=..][&cursor=..] lists; and
GET /v1/checkouts/{id}/refunds/{refundId} (a refund lives in its checkout's item: one GetItem)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from halotap.adapters.apigateway import ApiRequest, handle, pay_url, response
from halotap.domain.errors import InvalidRequest
from halotap.domain.views import checkout_view, refund_view
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()

_LIST_PARAMETERS = ("merchantId", "createdFrom", "createdTo", "limit")


def read(request: ApiRequest, services: Services) -> dict[str, Any]:
    caller = request.caller
    checkout_id = request.path_params.get("id")
    refund_id = request.path_params.get("refundId")
    if checkout_id is not None and refund_id is not None:
        return response(200, refund_view(services.refunds.get(caller, checkout_id, refund_id)))
    if checkout_id is not None:
        checkout = services.checkouts.get(caller, checkout_id)
        return response(
            200, checkout_view(checkout, pay_url(request, checkout.id, services.config.pay_base_url))
        )
    merchant_id, reference = request.query.get("merchantId"), request.query.get("reference")
    if not merchant_id:
        raise InvalidRequest(
            "pass merchantId to list its checkouts, with reference to find one",
            errors=[{"field": "merchantId", "message": "is required"}],
        )
    if reference is not None:
        checkout = services.checkouts.find(caller, merchant_id, reference)
        return response(
            200, checkout_view(checkout, pay_url(request, checkout.id, services.config.pay_base_url))
        )
    from halotap.domain.listing import CheckoutListQuery  # pydantic, loaded only when a list is asked for

    query = CheckoutListQuery.model_validate(
        {
            **{name: request.query[name] for name in _LIST_PARAMETERS if name in request.query},
            "status": request.multi_query.get("status", []),
        }
    )
    page = services.listing.page(caller, query, request.query.get("cursor") or None)
    return response(200, page.to_api())


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: read(request, services or default_services()))
