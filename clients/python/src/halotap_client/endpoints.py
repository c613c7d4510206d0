"""Webhook endpoints and the delivery log: the calls, and the methods both clients get from these mixins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypedDict, cast

from halotap_client._calls import Call, segment, without_none
from halotap_client.models import PingResult

COLLECTION = "/v1/webhook-endpoints"


class WebhookEndpoint(TypedDict, total=False):
    id: str
    url: str
    enabledEvents: list[str]
    status: str  # enabled | disabled
    description: str | None
    createdAt: str | None
    failingSince: str | None
    disabledAt: str | None
    secret: str  # only from create and rotate: shown once


class WebhookEndpointList(TypedDict):
    data: list[WebhookEndpoint]


class DeliveryAttempt(TypedDict):
    endpointId: str | None  # None: the checkout's own notificationUrl
    attempt: int
    at: str
    status: int | None
    latencyMs: int
    error: str | None


class DeliveryAttemptList(TypedDict):
    data: list[DeliveryAttempt]


class RecoverResult(TypedDict):
    id: str
    queued: int


def _one(endpoint_id: str, action: str = "") -> str:
    return f"{COLLECTION}/{segment(endpoint_id)}" + (f"/{action}" if action else "")


def create(url: str, enabled_events: Iterable[str], description: str | None) -> Call:
    body = without_none({"url": url, "enabledEvents": list(enabled_events), "description": description})
    return Call("POST", COLLECTION, json=body)


def update(
    endpoint_id: str,
    *,
    url: str | None,
    enabled_events: Iterable[str] | None,
    description: str | None,
    status: str | None,
) -> Call:
    events = list(enabled_events) if enabled_events is not None else None
    body = without_none({"url": url, "enabledEvents": events, "description": description, "status": status})
    return Call("PATCH", _one(endpoint_id), json=body)


class WebhookEndpointMethods:
    """HalotapClient's webhook endpoint methods (`_send` is the client's)."""

    _send: Callable[[Call], Any]

    def create_webhook_endpoint(
        self, url: str, enabled_events: Iterable[str] = ("*",), *, description: str | None = None
    ) -> WebhookEndpoint:
        """A new endpoint; its `secret` is in this answer only."""
        return cast(WebhookEndpoint, self._send(create(url, enabled_events, description)))

    def list_webhook_endpoints(self) -> WebhookEndpointList:
        return cast(WebhookEndpointList, self._send(Call("GET", COLLECTION)))

    def get_webhook_endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        return cast(WebhookEndpoint, self._send(Call("GET", _one(endpoint_id))))

    def update_webhook_endpoint(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        enabled_events: Iterable[str] | None = None,
        description: str | None = None,
        status: str | None = None,
    ) -> WebhookEndpoint:
        call = update(
            endpoint_id, url=url, enabled_events=enabled_events, description=description, status=status
        )
        return cast(WebhookEndpoint, self._send(call))

    def delete_webhook_endpoint(self, endpoint_id: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._send(Call("DELETE", _one(endpoint_id))))

    def rotate_webhook_endpoint_secret(self, endpoint_id: str) -> WebhookEndpoint:
        """The new `secret`; the old one keeps signing beside it for the overlap (24 h deployed)."""
        return cast(WebhookEndpoint, self._send(Call("POST", _one(endpoint_id, "rotate-secret"))))

    def ping_webhook_endpoint_by_id(self, endpoint_id: str) -> PingResult:
        return cast(PingResult, self._send(Call("POST", _one(endpoint_id, "ping"))))

    def recover_webhook_endpoint(self, endpoint_id: str, since: str) -> RecoverResult:
        """Enable the endpoint again and queue every event since `since` (RFC 3339) it did not get."""
        call = Call("POST", _one(endpoint_id, "recover"), json={"since": since})
        return cast(RecoverResult, self._send(call))

    def list_event_deliveries(self, event_id: str) -> DeliveryAttemptList:
        return cast(
            DeliveryAttemptList, self._send(Call("GET", f"/v1/events/{segment(event_id)}/deliveries"))
        )


class AsyncWebhookEndpointMethods:
    """AsyncHalotapClient's webhook endpoint methods (`_send` is the client's)."""

    _send: Callable[[Call], Awaitable[Any]]

    async def create_webhook_endpoint(
        self, url: str, enabled_events: Iterable[str] = ("*",), *, description: str | None = None
    ) -> WebhookEndpoint:
        return cast(WebhookEndpoint, await self._send(create(url, enabled_events, description)))

    async def list_webhook_endpoints(self) -> WebhookEndpointList:
        return cast(WebhookEndpointList, await self._send(Call("GET", COLLECTION)))

    async def get_webhook_endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        return cast(WebhookEndpoint, await self._send(Call("GET", _one(endpoint_id))))

    async def update_webhook_endpoint(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        enabled_events: Iterable[str] | None = None,
        description: str | None = None,
        status: str | None = None,
    ) -> WebhookEndpoint:
        call = update(
            endpoint_id, url=url, enabled_events=enabled_events, description=description, status=status
        )
        return cast(WebhookEndpoint, await self._send(call))

    async def delete_webhook_endpoint(self, endpoint_id: str) -> dict[str, Any]:
        return cast(dict[str, Any], await self._send(Call("DELETE", _one(endpoint_id))))

    async def rotate_webhook_endpoint_secret(self, endpoint_id: str) -> WebhookEndpoint:
        return cast(WebhookEndpoint, await self._send(Call("POST", _one(endpoint_id, "rotate-secret"))))

    async def ping_webhook_endpoint_by_id(self, endpoint_id: str) -> PingResult:
        return cast(PingResult, await self._send(Call("POST", _one(endpoint_id, "ping"))))

    async def recover_webhook_endpoint(self, endpoint_id: str, since: str) -> RecoverResult:
        call = Call("POST", _one(endpoint_id, "recover"), json={"since": since})
        return cast(RecoverResult, await self._send(call))

    async def list_event_deliveries(self, event_id: str) -> DeliveryAttemptList:
        path = f"/v1/events/{segment(event_id)}/deliveries"
        return cast(DeliveryAttemptList, await self._send(Call("GET", path)))
