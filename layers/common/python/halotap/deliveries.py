"""Delivering one queued notification to its PSP and recording how it went.

The message carries the exact body; every attempt re-signs it with the attempt's own timestamp and the
same `webhook-id` (the event id). Where it goes and how it is signed come from the clients secret at
delivery time, so a rotated signing secret or a moved endpoint takes effect without re-queueing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from halotap import delivery, signing
from halotap.errors import ConcurrentUpdate
from halotap.models import Checkout, iso, utc_now
from halotap.notify import NotificationQueue
from halotap.secrets import SecretStore
from halotap.store import CheckoutStore

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

FINISHED = ("delivered", "gone")


@dataclass(frozen=True)
class DeliveryResult:
    outcome: str  # delivered | gone | retry | exhausted | skipped
    delay: int | None = None  # before the next attempt, when outcome is retry
    error: str | None = None


@dataclass
class NotificationDeliverer:
    store: CheckoutStore
    secret_store: SecretStore
    http: httpx.Client
    dead_letters: NotificationQueue
    schedule: tuple[int, ...] = delivery.DEFAULT_SCHEDULE
    allow_loopback_http: bool = False
    resolve: Callable[[str, int], list[str]] | None = None  # DNS, replaceable in tests
    clock: Callable[[], datetime] = utc_now

    def deliver(self, message: dict[str, Any], attempt: int) -> DeliveryResult:
        event = message["eventId"]
        checkout = self.store.get(message["checkoutId"])
        state = checkout.notifications.get(event) if checkout else None
        if checkout is None or (state is not None and state.status in FINISHED and not message.get("replay")):
            return DeliveryResult("skipped")  # a duplicate copy of a message already settled
        url, secrets = self._destination(checkout, message["clientId"])
        now = self.clock()
        if url is None or not secrets:
            result = delivery.Attempt(
                "retry", None, "no notification URL or signing secret is configured", None
            )
        else:
            body = message["body"].encode()
            headers = signing.headers(secrets, event, int(now.timestamp()), body)
            result = delivery.deliver(
                self.http,
                url,
                body,
                headers,
                allow_loopback_http=self.allow_loopback_http,
                resolve=self.resolve,
            )
        if result.outcome == "delivered":
            self._record(checkout, event, {"status": "delivered", "deliveredAt": iso(now)}, attempt, result)
            return DeliveryResult("delivered")
        if result.outcome == "gone":
            self._record(checkout, event, {"status": "gone"}, attempt, result)
            return DeliveryResult("gone", error=result.error)
        delay = delivery.next_delay(attempt, self.schedule, result.retry_after)
        if delay is None:
            self.dead_letters.send(json.dumps({**message, "attempts": attempt, "lastError": result.error}))
            self._record(checkout, event, {"status": "failed"}, attempt, result)
            return DeliveryResult("exhausted", error=result.error)
        self._record(
            checkout,
            event,
            {"status": "retrying", "nextAttemptAt": iso(now + timedelta(seconds=delay))},
            attempt,
            result,
        )
        return DeliveryResult("retry", delay, result.error)

    def _destination(self, checkout: Checkout, client_id: str) -> tuple[str | None, tuple[str, ...]]:
        client = next((c for c in self.secret_store.clients() if c.client_id == client_id), None)
        if client is None:
            return None, ()
        return checkout.notification_url or client.notification_url, client.signing_secrets

    def _record(
        self, checkout: Checkout, event: str, fields: dict[str, Any], attempt: int, result: delivery.Attempt
    ) -> None:
        changes = {
            **{f"notifications.{event}.{name}": value for name, value in fields.items()},
            f"notifications.{event}.attempts": attempt,
            f"notifications.{event}.lastStatus": result.status,
            f"notifications.{event}.lastError": result.error,
        }
        for _ in range(3):
            if event not in checkout.notifications:
                return  # replayed for a checkout whose record predates this event: nothing to update
            try:
                self.store.update(checkout, changes, [])
                return
            except ConcurrentUpdate:
                fresh = self.store.get(checkout.id)
                assert fresh is not None
                checkout = fresh
        logger.warning(
            "could not record a delivery attempt", extra={"checkoutId": checkout.id, "eventId": event}
        )
