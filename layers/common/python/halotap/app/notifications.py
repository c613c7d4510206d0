"""Delivering one queued notification to its PSP and recording how it went.

The message carries the exact body; every attempt re-signs it with the attempt's own timestamp and the
same `webhook-id` (the event id). Where it goes and how it is signed come from the client's endpoints
at delivery time (app/fanout.py), so a rotated signing secret or a moved endpoint takes effect without
re-queueing. An event for several endpoints is split into one copy per endpoint; each attempt is written
to the delivery log (`GET /v1/events/{id}/deliveries`). The checkout's own record of its notification
follows the copy for the default endpoint (or a checkout's own notificationUrl).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from halotap.app.fanout import EndpointDirectory, EndpointHealth, NoEndpoints
from halotap.app.ports import CheckoutRepository, DeliveryLog, Queue, Secrets
from halotap.app.races import retry_on_conflict
from halotap.domain import signing, timing
from halotap.domain.clock import iso, utc_now
from halotap.domain.deliveries import CHECKOUT_URL, DeliveryAttempt
from halotap.domain.endpoints import DEFAULT_ENDPOINT_ID, Endpoint
from halotap.domain.errors import ConcurrentUpdate, RetryLater
from halotap.domain.models import Checkout
from halotap.domain.notifications import ENDPOINT_EVENT_TYPES, SETTLED, NotificationMessage

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
    outcome: str  # delivered | gone | retry | exhausted | skipped | fanned
    delay: int | None = None  # before the next attempt, when outcome is retry
    error: str | None = None
    disabled: bool = False  # this attempt disabled its endpoint (app/fanout.py)


class _NoLog:
    def add(self, event_id: str, attempt: DeliveryAttempt) -> None:
        return None

    def attempts(self, event_id: str) -> list[DeliveryAttempt]:
        return []

    def delivered_to(self, event_id: str) -> set[str]:
        return set()


@dataclass(frozen=True)
class _Target:
    """Where one attempt goes: an endpoint, or (endpoint None) a checkout's own notificationUrl."""

    url: str | None
    secrets: tuple[str, ...]
    log_id: str
    endpoint: Endpoint | None = None


_NOWHERE = _Target(None, (), CHECKOUT_URL)


@dataclass
class NotificationDeliverer:
    store: CheckoutRepository
    secret_store: Secrets
    post: Poster
    dead_letters: Queue
    schedule: tuple[int, ...] = timing.NOTIFY_SCHEDULE
    clock: Callable[[], datetime] = utc_now
    # Left out (tools, older tests): the default endpoint only, no log, no disabling.
    directory: EndpointDirectory | None = None
    log: DeliveryLog = field(default_factory=_NoLog)
    health: EndpointHealth | None = None
    fan_out: Queue | None = None  # where an event's copies, one per endpoint, are queued
    monotonic: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if self.directory is None:
            self.directory = EndpointDirectory(NoEndpoints(), self.secret_store)

    def deliver_queued(self, message_body: str, attempt: int) -> DeliveryResult:
        """One queued message: deliver it; raise RetryLater to have the queue hand it back after the delay."""
        result = self.deliver(NotificationMessage.from_json(message_body), attempt)
        if result.outcome == "retry":
            assert result.delay is not None
            raise RetryLater(result.delay, result.error or "not delivered")
        return result

    def deliver(self, message: NotificationMessage, attempt: int) -> DeliveryResult:
        event = message.event_id
        checkout = self.store.get(message.checkout_id) if message.checkout_id else None
        target = self._target(message, checkout)
        if not isinstance(target, _Target):
            return target
        now = self.clock()
        started = self.monotonic()
        result: Attempt
        if target.url is None or not target.secrets:
            result = _Unsent("retry", None, "no notification URL or signing secret is configured", None)
        else:
            body = message.body.encode()
            stamp = int(now.timestamp())
            result = self.post(target.url, body, signing.headers(target.secrets, event, stamp, body))
            latency = int((self.monotonic() - started) * 1000)
            logged = DeliveryAttempt(target.log_id, attempt, iso(now), result.status, latency, result.error)
            self.log.add(event, logged)
        disabled = False
        if target.endpoint is not None and target.url is not None and self.health is not None:
            disabled = self.health.after_attempt(target.endpoint, result.outcome == "delivered", now)
        record = (
            self._recorder(checkout, event, result)
            if checkout is not None and message.endpoint_id in (None, DEFAULT_ENDPOINT_ID)
            else _ignore
        )
        # A settled notification has no next attempt: nextAttemptAt goes (None removes the attribute).
        if result.outcome == "delivered":
            record({"status": "delivered", "delivered_at": iso(now), "next_attempt_at": None})
            return DeliveryResult("delivered")
        if result.outcome == "gone":
            record({"status": "gone", "next_attempt_at": None})
            return DeliveryResult("gone", error=result.error)
        delay = timing.next_notify_delay(attempt, self.schedule, result.retry_after)
        if delay is None or disabled:
            # A disabled endpoint gets no more attempts: recover queues what it missed.
            self._park(message, attempt, result)
            record({"status": "failed", "next_attempt_at": None})
            return DeliveryResult("exhausted", error=result.error, disabled=disabled)
        record({"status": "retrying", "next_attempt_at": iso(now + timedelta(seconds=delay))})
        return DeliveryResult("retry", delay, result.error)

    def _target(self, message: NotificationMessage, checkout: Checkout | None) -> _Target | DeliveryResult:
        """Where this copy goes now, or what became of it instead: split per endpoint (`fanned`), or
        `skipped` when its endpoint is gone, disabled, or has had it already."""
        assert self.directory is not None
        now = self.clock()
        if message.checkout_id and checkout is None:
            return DeliveryResult("skipped")
        if message.endpoint_id is not None:
            return self._endpoint_target(message, now)
        state = checkout.notifications.get(message.event_id) if checkout is not None else None
        if state is not None and state.status in SETTLED and not message.replay:
            return DeliveryResult("skipped")  # a duplicate copy of a message already settled
        if checkout is not None and checkout.notification_url:
            secrets = self.directory.checkout_secrets(message.client_id, now)
            return _Target(checkout.notification_url, secrets, CHECKOUT_URL)
        targets = self.directory.targets(message.client_id, message.type)
        if len(targets) < 2:
            return self._one_target(message, targets, now)
        assert self.fan_out is not None, "an event for several endpoints needs a queue to split it into"
        for endpoint in targets:
            self.fan_out.send(message.to_endpoint(endpoint.id).to_json())
        return DeliveryResult("fanned")

    def _one_target(
        self, message: NotificationMessage, targets: list[Endpoint], now: datetime
    ) -> _Target | DeliveryResult:
        if targets:
            return _Target(targets[0].url, targets[0].signing_secrets(now), targets[0].id, targets[0])
        # An endpoint event with nobody left to tell is in the feed; anything else waits for an endpoint.
        return DeliveryResult("skipped") if message.type in ENDPOINT_EVENT_TYPES else _NOWHERE

    def _endpoint_target(self, message: NotificationMessage, now: datetime) -> _Target | DeliveryResult:
        """One endpoint's copy: skipped when the endpoint is gone, disabled, or has had it already."""
        assert self.directory is not None
        assert message.endpoint_id is not None
        endpoint = self.directory.find(message.client_id, message.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            return DeliveryResult("skipped")
        if not message.replay and endpoint.id in self.log.delivered_to(message.event_id):
            return DeliveryResult("skipped")  # a duplicate copy of one this endpoint has
        return _Target(endpoint.url, endpoint.signing_secrets(now), endpoint.id, endpoint)

    def _park(self, message: NotificationMessage, attempt: int, result: Attempt) -> None:
        """The DLQ copy: the message plus the deliverer's bookkeeping, which redrive drops."""
        parked = {**message.to_dict(), "attempts": attempt, "lastError": result.error}
        self.dead_letters.send(json.dumps(parked))

    def _recorder(self, checkout: Checkout, event: str, result: Attempt) -> Callable[[dict[str, Any]], None]:
        return lambda fields: self._record(checkout, event, fields, result)

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


def _ignore(fields: dict[str, Any]) -> None:
    return None
