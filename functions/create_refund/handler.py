"""POST /v1/checkouts/{id}/refunds: refund an approved checkout through Halo (201, or 200 for a replay)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.adapters.apigateway import ApiRequest, handle, response
from halotap.adapters.idempotency import IdempotentAnswer, answer_once
from halotap.domain.requests import CreateRefundRequest
from halotap.domain.views import refund_view
from halotap.metrics import REFUND_BY_STATUS, REFUND_CREATED
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def refund(request: ApiRequest, services: Services, context: Any) -> dict[str, Any]:
    caller = request.caller
    checkout_id = request.path_params.get("id", "")
    refund_request = CreateRefundRequest.validate(request.json())  # 400 naming each bad field
    logger.append_keys(
        checkoutId=checkout_id, refundReference=refund_request.reference, clientId=caller.client_id
    )

    def operation() -> IdempotentAnswer:
        created = services.refunds.create(caller, checkout_id, refund_request)
        if not created.replayed:
            metrics.add_metric(name=REFUND_CREATED, unit=MetricUnit.Count, value=1)
            metrics.add_metric(name=REFUND_BY_STATUS[created.refund.status], unit=MetricUnit.Count, value=1)
        # The same reference and body again is the first refund, unchanged: a replay even without a key.
        status = 200 if created.replayed else 201
        return IdempotentAnswer(status, refund_view(created.refund), replayed=created.replayed)

    answer = answer_once(
        request.headers.get("idempotency-key"),
        lambda: services.idempotency,
        client_id=caller.client_id,
        request={"checkoutId": checkout_id, **refund_request.wire()},
        operation=operation,
        lambda_context=context,
    )
    body = answer.body
    headers = {
        "location": f"/v1/checkouts/{body['checkoutId']}/refunds/{body['id']}",
        **answer.replay_headers(),
    }
    return response(answer.status, body, headers=headers)


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: refund(request, services or default_services(), context))
