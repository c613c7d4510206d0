"""GET /v1/events, GET /v1/events/{id} (and /deliveries), POST /v1/events/{id}/resend,
POST /v1/webhook-endpoint/ping.

The PSP's self-service over its notifications: catch up after an outage by polling the feed from its last
cursor, ask for one event again, or check that its endpoint answers.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.adapters.apigateway import ApiRequest, handle, response
from halotap.metrics import EVENT_RESENT, WEBHOOK_PING
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


def serve(request: ApiRequest, services: Services) -> dict[str, Any]:
    caller = request.caller
    event_id = request.path_params.get("id")
    if request.path.endswith("/ping"):
        result = services.events.ping(caller)
        metrics.add_metric(name=WEBHOOK_PING, unit=MetricUnit.Count, value=1)
        logger.info("webhook endpoint pinged", extra={"status": result.status, "error": result.error})
        return response(200, result.to_api())
    if event_id is None:
        # pydantic's core, loaded only when a list is asked for
        from halotap.domain.event_query import EventListQuery

        query = EventListQuery.validate(
            {
                **{name: request.query[name] for name in ("after", "limit") if request.query.get(name)},
                "type": request.multi_query.get("type", []),
            }
        )
        return response(200, services.events.page(caller, query.after, query.limit, query.type).to_api())
    if request.path.endswith("/deliveries"):
        attempts = services.events.deliveries(caller, event_id)
        return response(200, {"data": [attempt.to_api() for attempt in attempts]})
    if request.method == "POST":
        event = services.events.resend(caller, event_id)
        metrics.add_metric(name=EVENT_RESENT, unit=MetricUnit.Count, value=1)
        logger.info("event queued again", extra={"eventId": event.id, "checkoutId": event.checkout_id})
        return response(202, {"id": event.id, "status": "queued"})
    return response(200, services.events.get(caller, event_id).to_api())


@lambda_handler(logger, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return handle(event, lambda request: serve(request, services or default_services()))
