"""POST /v1/checkouts: create a checkout and return Halo's deep link (201)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.adapters.apigateway import ApiRequest, handle, pay_url, response
from halotap.adapters.idempotency import IdempotentAnswer, answer_once
from halotap.domain.errors import HaloAuthFailed, HaloError
from halotap.domain.requests import CreateCheckoutRequest
from halotap.metrics import CHECKOUT_CREATED, HALO_AUTH_FAILED, HALO_CREATE_FAILED
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def create(request: ApiRequest, services: Services, context: Any) -> dict[str, Any]:
    caller = request.caller
    payload = request.json()
    checkout_request = CreateCheckoutRequest.validate(payload)  # 400 naming each bad field
    logger.append_keys(
        merchantId=checkout_request.merchant_id,
        reference=checkout_request.reference,
        clientId=caller.client_id,
    )

    def operation() -> IdempotentAnswer:
        try:
            created = services.checkouts.create(caller, checkout_request)
        except HaloError as error:
            metrics.add_metric(name=HALO_CREATE_FAILED, unit=MetricUnit.Count, value=1)
            if isinstance(error, HaloAuthFailed):
                metrics.add_metric(name=HALO_AUTH_FAILED, unit=MetricUnit.Count, value=1)  # an operator alarm
            raise
        metrics.add_metric(name=CHECKOUT_CREATED, unit=MetricUnit.Count, value=1)
        created = created.but(pay_url=pay_url(request, created.id, services.config.pay_base_url))
        return IdempotentAnswer(201, created.to_dict())

    answer = answer_once(
        request.headers.get("idempotency-key"),
        lambda: services.idempotency,
        client_id=caller.client_id,
        request=checkout_request.wire(),
        operation=operation,
        lambda_context=context,
    )
    headers = {"location": f"/v1/checkouts/{answer.body['id']}", **answer.replay_headers()}
    return response(answer.status, answer.body, headers=headers)


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: create(request, services or default_services(), context))
