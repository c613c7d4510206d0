"""POST /v1/checkouts/{id}/attempts (the PSP) and POST /pay/{id}/attempts (the shopper's "Try again").

Both ask Halo for a new deep link for an open checkout whose current attempt failed (halotap/app/attempts.py).
Both are idempotent per attempt: the PSP's call by its Idempotency-Key, the page's by naming the failed
attempt it saw (`replaces`), so two presses while attempt n is current make one attempt n+1.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger, Metrics

from halotap.adapters.apigateway import ApiRequest, handle, pay_url, response
from halotap.adapters.idempotency import IdempotentAnswer, answer_once
from halotap.domain.errors import AttemptNotAllowed, AttemptsExhausted, CheckoutNotFound
from halotap.domain.views import checkout_view
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()
MAX_REPLACES = 64  # an attempt id: a checkout id and ".<n>"


def create(request: ApiRequest, services: Services, context: Any) -> dict[str, Any]:
    caller = request.caller
    checkout_id = request.path_params.get("id", "")
    logger.append_keys(checkoutId=checkout_id, clientId=caller.client_id)

    def operation() -> IdempotentAnswer:
        checkout = services.attempts.create(caller, checkout_id)
        return IdempotentAnswer(
            201, checkout_view(checkout, pay_url(request, checkout.id, services.config.pay_base_url))
        )

    answer = answer_once(
        request.headers.get("idempotency-key"),
        lambda: services.idempotency,
        client_id=caller.client_id,
        request={"checkoutId": checkout_id, "operation": "createCheckoutAttempt"},
        operation=operation,
        lambda_context=context,
    )
    return response(answer.status, answer.body, headers=answer.replay_headers())


def _replaces(request: ApiRequest) -> str | None:
    """The failed attempt the page showed, from its form (or a script's JSON); None if it named none."""
    body = request.body or ""
    found: Any = None
    if body.lstrip().startswith("{"):
        try:
            found = json.loads(body).get("replaces")
        except (ValueError, AttributeError):
            found = None
    else:
        found = next(iter(parse_qs(body).get("replaces", [])), None)
    return found if isinstance(found, str) and 0 < len(found) <= MAX_REPLACES else None


def try_again(request: ApiRequest, services: Services) -> dict[str, Any]:
    """The page's button: the status JSON for a script, or back to the page (303) for a plain form."""
    from halotap.adapters import page  # the page's package loads for the shopper's route only

    checkout_id = request.path_params.get("id", "")
    status = 200
    try:
        checkout = services.attempts.for_shopper(checkout_id, _replaces(request))
    except (AttemptNotAllowed, AttemptsExhausted) as refused:
        # The page may be stale (another tab, a second press): it shows the checkout as it is.
        status = refused.status
        found = services.checkouts.for_shopper(checkout_id)
        if found is None:
            raise CheckoutNotFound("no such checkout") from None
        checkout = found
    headers = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
    if "application/json" not in request.headers.get("accept", ""):
        # A form posted from .../pay/{id}: back to the page, relative, so any stage prefix is kept.
        return {
            "statusCode": 303,
            "headers": {"location": f"../{checkout.id}", "cache-control": "no-store", **headers},
            "body": "",
            "isBase64Encoded": False,
        }
    return response(status, page.status_body(checkout), headers=headers)


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    wired = services or default_services()
    if str(event.get("resource", "")).startswith("/pay/"):
        return handle(event, lambda request: try_again(request, wired))
    return handle(event, lambda request: create(request, wired, context))
