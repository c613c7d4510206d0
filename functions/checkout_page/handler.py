"""GET /pay/{id} and GET /pay/{id}/status: the hosted checkout page a shopper sees, and what it polls.

Public routes: the checkout id (128 random bits) in the URL is the capability. The page itself is
rendered by `halotap.adapters.page` from `halotap.page`, in the shopper's language and in the order that
suits their device (both read from the request's headers).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

from halotap.adapters import page
from halotap.adapters.apigateway import ApiRequest, handle, response
from halotap.domain.errors import CheckoutNotFound, HalotapError
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def show(request: ApiRequest, services: Services) -> dict[str, Any]:
    nonce = page.new_nonce()
    try:
        checkout = services.checkouts.for_shopper(request.path_params.get("id", ""))
    except HalotapError as error:  # DynamoDB throttled or unreachable: a page the shopper can retry
        logger.warning("the checkout page could not read its checkout", extra={"code": error.code})
        return page.unavailable_page(error.status, nonce, request.headers)
    except Exception:
        logger.exception("the checkout page failed")
        return page.unavailable_page(500, nonce, request.headers)
    if checkout is None:
        return page.not_found_page(nonce, request.headers)
    return page.checkout_page(checkout, services.clock(), nonce, request.headers)


def status(request: ApiRequest, services: Services) -> dict[str, Any]:
    checkout = services.checkouts.for_shopper(request.path_params.get("id", ""))
    if checkout is None:
        raise CheckoutNotFound("no such checkout")
    headers = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
    return response(200, page.status_body(checkout), headers=headers)


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    wired = services or default_services()
    if str(event.get("resource", "")).endswith("/status"):
        return handle(event, lambda request: status(request, wired))
    return show(ApiRequest.from_event(event), wired)
