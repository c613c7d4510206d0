"""POST /v1/halo/webhooks/{token}: authenticate by path token, check the shape, queue the raw event, answer 200.

Nothing is processed here: the event is durable on SQS before Halo hears 200, and a slow Halo or a
DynamoDB hiccup behind the queue can never lose it.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from halotap import aws
from halotap.config import settings
from halotap.errors import DependencyUnavailable, Unauthorized
from halotap.halo_events import check_shape
from halotap.http import ApiRequest, handle, response
from halotap.models import iso, utc_now
from halotap.observability import lambda_handler
from halotap.runtime import Services, default_services
from halotap.secrets import token_matches

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def receive(request: ApiRequest, services: Services) -> dict[str, Any]:
    if not token_matches(request.path_params.get("token", ""), services.secrets.webhook_tokens()):
        metrics.add_metric(name="HaloWebhookBadToken", unit=MetricUnit.Count, value=1)
        logger.warning(
            "rejected a Halo webhook with a wrong token",
            extra={"sourceIp": request.headers.get("x-forwarded-for")},
        )
        raise Unauthorized("unknown webhook token")
    payload = check_shape(request.body)
    logger.append_keys(
        merchantReference=payload.get("merchantReference"), haloReference=payload.get("haloReference")
    )
    message = {"receivedAt": iso(utc_now()), "requestId": request.request_id, "payload": request.body}
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        (services.sqs or aws.sqs()).send_message(
            QueueUrl=settings().halo_events_queue_url, MessageBody=json.dumps(message)
        )
    except (BotoCoreError, ClientError) as error:
        # Halo hears a 5xx, so the event is not acknowledged as taken; nothing was stored either.
        raise DependencyUnavailable("the event could not be queued; please retry") from error
    metrics.add_metric(name="HaloWebhookQueued", unit=MetricUnit.Count, value=1)
    logger.info("queued a Halo webhook", extra={"disposition": payload.get("disposition")})
    return response(200, {"received": True})


@lambda_handler(logger, tracer, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: receive(request, services or default_services()))
