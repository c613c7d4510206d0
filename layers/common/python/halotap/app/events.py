"""The PSP's self-service over its notifications: pull the event feed, resend an event, ping the endpoint."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from halotap.app.notifications import Poster
from halotap.app.ports import DeliveryLog, EventFeed, Queue, Secrets
from halotap.domain import cursors, signing
from halotap.domain.clock import iso, utc_now
from halotap.domain.cursors import DEFAULT_PAGE_SIZE
from halotap.domain.deliveries import DeliveryAttempt
from halotap.domain.errors import EventNotFound, InvalidCursor, InvalidRequest
from halotap.domain.events import Event
from halotap.domain.notifications import NotificationMessage
from halotap.domain.parties import Caller


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    next_cursor: str  # always given: polling from it later returns what was committed since

    def to_api(self) -> dict[str, Any]:
        return {"data": [event.to_api() for event in self.events], "nextCursor": self.next_cursor}


@dataclass(frozen=True)
class PingResult:
    delivered: bool
    status: int | None
    latency_ms: int
    error: str | None

    def to_api(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "error": self.error,
        }


@dataclass
class EventService:
    feed: EventFeed
    secret_store: Secrets
    notifications: Queue
    post: Poster  # the same delivery as every notification: SSRF guard, timeout, no redirects
    clock: Callable[[], datetime] = utc_now
    monotonic: Callable[[], float] = time.monotonic
    log: DeliveryLog | None = None  # the delivery log (app/notifications.py writes it)

    def page(
        self, caller: Caller, after: str | None, limit: int = DEFAULT_PAGE_SIZE, types: tuple[str, ...] = ()
    ) -> EventPage:
        """The caller's events after a cursor, oldest first. No cursor: from the oldest event kept."""
        # The cursor is a place in this client's feed, whatever the type filter: it binds the client only.
        key, binding = self.secret_store.cursor_key(), json.dumps(["events", caller.client_id])
        sequence = _sequence(cursors.unseal(key, binding, after)) if after else 0
        events, position = self.feed.after(caller.client_id, sequence, limit, types)
        return EventPage(events, cursors.seal(key, binding, {"after": position}))

    def get(self, caller: Caller, event_id: str) -> Event:
        event = self.feed.get(event_id)
        # Another client's event is "not found", as its checkout would be.
        if event is None or event.client_id != caller.client_id:
            raise EventNotFound(f"no event {event_id!r}")
        return event

    def deliveries(self, caller: Caller, event_id: str) -> list[DeliveryAttempt]:
        """Every attempt at the event, oldest first; shown only while the event itself is kept."""
        self.get(caller, event_id)
        return self.log.attempts(event_id) if self.log is not None else []

    def resend(self, caller: Caller, event_id: str) -> Event:
        """Queue the event's delivery again: the same webhook-id and body, on the usual retry schedule."""
        return resend_event(self.feed, self.notifications, event_id, client_id=caller.client_id)

    def ping(self, caller: Caller) -> PingResult:
        """Send a signed `ping` to the client's notification URL now, and say how it went."""
        client = next((c for c in self.secret_store.clients() if c.client_id == caller.client_id), None)
        if client is None or not client.notification_url or not client.signing_secrets:
            raise InvalidRequest("no notification URL or signing secret is configured for this API key")
        now = self.clock()
        body = json.dumps(
            {"type": "ping", "timestamp": iso(now), "data": {"clientId": caller.client_id}},
            separators=(",", ":"),
        ).encode()
        ping_id = f"evt_ping_{uuid.uuid4().hex}"
        started = self.monotonic()
        attempt = self.post(
            client.notification_url,
            body,
            signing.headers(client.signing_secrets, ping_id, int(now.timestamp()), body),
        )
        latency = int((self.monotonic() - started) * 1000)
        return PingResult(attempt.outcome == "delivered", attempt.status, latency, attempt.error)


def resend_event(
    feed: EventFeed, notifications: Queue, event_id: str, *, client_id: str | None = None
) -> Event:
    """Queue a recorded event's delivery again, as a replay: the body stored in the feed under its webhook-id,
    never one rebuilt from the checkout as it is now, so a PSP that deduplicates on webhook-id and
    `GET /v1/events/{id}` see the same body. `/resend` passes the caller's `client_id` (another client's event
    is "not found"); the operator's `halotap-notifications replay` passes none. An event past its retention
    is gone from the feed: EventNotFound, and nothing is sent."""
    event = feed.get(event_id)
    if event is None or (client_id is not None and event.client_id != client_id):
        raise EventNotFound(f"no event {event_id!r}")
    notifications.send(NotificationMessage.of_event(event, replay=True).to_json())
    return event


def _sequence(position: dict[str, Any]) -> int:
    after = position.get("after")
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise InvalidCursor("the cursor was altered, or belongs to another API key")
    return after
