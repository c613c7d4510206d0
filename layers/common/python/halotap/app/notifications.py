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
from typing import Any, Protocol

from halotap.app.ports import CheckoutRepository, Queue, Secrets
from halotap.app.races import retry_on_conflict
from halotap.domain import signing, timing
from halotap.domain.clock import iso, utc_now
from halotap.domain.errors import ConcurrentUpdate, RetryLater
from halotap.domain.models import Checkout
from halotap.domain.notifications import SETTLED, NotificationMessage

logger = logging.getLogger(__name__)


class Attempt(Protocol):
    """What one POST came to (adapters/webhooks.py): delivered, gone, retry or failed."""

    @property
    def outcome(self) -> str: ...
    @property
    def status(self) -> int | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def retry_after(self) -> int | None: ...


class Poster(Protocol):
    """POSTs one signed notification to a URL, after checking the URL against SSRF."""

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt: ...


@dataclass(frozen=True)
class _Unsent:
    outcome: str
    status: int | None
    error: str | None
    retry_after: int | None


@dataclass(frozen=True)
class DeliveryResult:
    outcome: str  # delivered | gone | retry | exhausted | skipped
    delay: int | None = None  # before the next attempt, when outcome is retry
    error: str | None = None


@dataclass
class NotificationDeliverer:
    store: CheckoutRepository
    secret_store: Secrets
    post: Poster
    dead_letters: Queue
    schedule: tuple[int, ...] = timing.NOTIFY_SCHEDULE
    clock: Callable[[], datetime] = utc_now

    def deliver_queued(self, message_body: str, attempt: int) -> DeliveryResult:
        """One queued message: deliver it; raise RetryLater to have the queue hand it back after the delay."""
        result = self.deliver(NotificationMessage.from_json(message_body), attempt)
        if result.outcome == "retry":
            assert result.delay is not None
            raise RetryLater(result.delay, result.error or "not delivered")
        return result

    def deliver(self, message: NotificationMessage, attempt: int) -> DeliveryResult:
        event = message.event_id
        if not message.checkout_id:
            return self._deliver_unattached(message, attempt)
        checkout = self.store.get(message.checkout_id)
        state = checkout.notifications.get(event) if checkout else None
        if checkout is None or (state is not None and state.status in SETTLED and not message.replay):
            return DeliveryResult("skipped")  # a duplicate copy of a message already settled
        url, secrets = self._destination(checkout, message.client_id)
        now = self.clock()
        result: Attempt
        if url is None or not secrets:
            result = _Unsent("retry", None, "no notification URL or signing secret is configured", None)
        else:
            body = message.body.encode()
            result = self.post(url, body, signing.headers(secrets, event, int(now.timestamp()), body))
        # A settled notification has no next attempt: nextAttemptAt goes (None removes the attribute).
        if result.outcome == "delivered":
            self._record(
                checkout,
                event,
                {"status": "delivered", "delivered_at": iso(now), "next_attempt_at": None},
                result,
            )
            return DeliveryResult("delivered")
        if result.outcome == "gone":
            self._record(checkout, event, {"status": "gone", "next_attempt_at": None}, result)
            return DeliveryResult("gone", error=result.error)
        delay = timing.next_notify_delay(attempt, self.schedule, result.retry_after)
        if delay is None:
            self._park(message, attempt, result)
            self._record(checkout, event, {"status": "failed", "next_attempt_at": None}, result)
            return DeliveryResult("exhausted", error=result.error)
        self._record(
            checkout,
            event,
            {"status": "retrying", "next_attempt_at": iso(now + timedelta(seconds=delay))},
            result,
        )
        return DeliveryResult("retry", delay, result.error)

    def _deliver_unattached(self, message: NotificationMessage, attempt: int) -> DeliveryResult:
        """An event about no one checkout (`ledger.completed`): the same signing, schedule and DLQ, but no
        checkout holds its delivery record; the event itself stays in the client's feed."""
        client = next((c for c in self.secret_store.clients() if c.client_id == message.client_id), None)
        result: Attempt
        if client is None or not client.notification_url or not client.signing_secrets:
            result = _Unsent("retry", None, "no notification URL or signing secret is configured", None)
        else:
            body = message.body.encode()
            stamp = int(self.clock().timestamp())
            headers = signing.headers(client.signing_secrets, message.event_id, stamp, body)
            result = self.post(client.notification_url, body, headers)
        if result.outcome in ("delivered", "gone"):
            return DeliveryResult(result.outcome, error=result.error)
        delay = timing.next_notify_delay(attempt, self.schedule, result.retry_after)
        if delay is None:
            self._park(message, attempt, result)
            return DeliveryResult("exhausted", error=result.error)
        return DeliveryResult("retry", delay, result.error)

    def _park(self, message: NotificationMessage, attempt: int, result: Attempt) -> None:
        """The DLQ copy: the message plus the deliverer's bookkeeping, which redrive drops."""
        parked = {**message.to_dict(), "attempts": attempt, "lastError": result.error}
        self.dead_letters.send(json.dumps(parked))

    def _destination(self, checkout: Checkout, client_id: str) -> tuple[str | None, tuple[str, ...]]:
        client = next((c for c in self.secret_store.clients() if c.client_id == client_id), None)
        if client is None:
            return None, ()
        return checkout.notification_url or client.notification_url, client.signing_secrets

    def _record(self, checkout: Checkout, event: str, fields: dict[str, Any], result: Attempt) -> None:
        """Record one attempt. `fields` are the notification's changes (`NotificationState.but`). The count is
        the record's own plus one, not the queue's receive count, so attempts made before a redrive or a
        resend (each a new message, counted from 1 again) still count."""

        def attempt(current: Checkout) -> None:
            state = current.notifications.get(event)
            if state is None:
                return  # replayed for a checkout whose record predates this event: nothing to update
            recorded = state.but(
                **fields, attempts=state.attempts + 1, last_status=result.status, last_error=result.error
            )
            self.store.save(current, current.but(notifications={**current.notifications, event: recorded}))

        try:
            retry_on_conflict(checkout, attempt, self.store.get, gave_up="delivery attempt not recorded")
        except ConcurrentUpdate:
            logger.warning(
                "could not record a delivery attempt", extra={"checkoutId": checkout.id, "eventId": event}
            )
