"""Which endpoints an event goes to, and what each endpoint's deliveries do to its state.

An event is queued once (the outbox, app/checkouts.py). The deliverer asks `EndpointDirectory.targets`
where it goes: to one endpoint it is delivered at once; to several, it is split into one queued copy per
endpoint (`NotificationMessage.to_endpoint`), each with its own attempts, schedule and DLQ copy, so one
failing endpoint never delays another. Every copy keeps the event's webhook-id and body.

`EndpointHealth.after_attempt` keeps each endpoint's `failing_since` and disables an endpoint that has
failed without one success for `disable_after`; halotap then records `endpoint.disabled` in the client's
feed and queues it, so the client's other endpoints hear about it (docs/architecture.md, "Webhook endpoints").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from halotap.app.ports import EndpointStore, EventRecorder, Queue, Secrets
from halotap.domain import endpoints as rules
from halotap.domain import timing
from halotap.domain.clock import iso, utc_now
from halotap.domain.endpoints import DEFAULT_ENDPOINT_ID, Endpoint
from halotap.domain.events import Event
from halotap.domain.notifications import NotificationMessage
from halotap.domain.parties import Client

logger = logging.getLogger(__name__)


class NoEndpoints:
    """An endpoint store with nothing stored: every client has only the default endpoint, from its secret."""

    def list(self, client_id: str) -> list[Endpoint]:
        return []

    def get(self, client_id: str, endpoint_id: str) -> Endpoint | None:
        return None

    def add(self, endpoint: Endpoint, limit: int) -> bool:
        return False

    def put(self, endpoint: Endpoint) -> None:
        return None

    def remove(self, client_id: str, endpoint_id: str) -> bool:
        return False

    def mark_failing(self, client_id: str, endpoint_id: str, since: str) -> None:
        return None

    def mark_working(self, client_id: str, endpoint_id: str) -> None:
        return None

    def disable(self, client_id: str, endpoint_id: str, failing_since: str, at: str) -> bool:
        return False


@dataclass
class EndpointDirectory:
    """A client's endpoints as delivery sees them: the default one (secret plus stored changes) first."""

    store: EndpointStore
    secret_store: Secrets

    def client(self, client_id: str) -> Client | None:
        return next((c for c in self.secret_store.clients() if c.client_id == client_id), None)

    def all(self, client_id: str) -> list[Endpoint]:
        stored = self.store.list(client_id)
        overlay = next((e for e in stored if e.id == DEFAULT_ENDPOINT_ID), None)
        client = self.client(client_id)
        default = rules.default_endpoint(client, overlay) if client is not None else None
        others = sorted((e for e in stored if e.id != DEFAULT_ENDPOINT_ID), key=lambda e: e.created_at or "")
        return ([default] if default is not None else []) + others

    def find(self, client_id: str, endpoint_id: str) -> Endpoint | None:
        if endpoint_id == DEFAULT_ENDPOINT_ID:
            client = self.client(client_id)
            overlay = self.store.get(client_id, DEFAULT_ENDPOINT_ID)
            return rules.default_endpoint(client, overlay) if client is not None else None
        return self.store.get(client_id, endpoint_id)

    def targets(self, client_id: str, event_type: str) -> list[Endpoint]:
        return [e for e in self.all(client_id) if e.enabled and e.wants(event_type)]

    def checkout_secrets(self, client_id: str, now: datetime) -> tuple[str, ...]:
        """What signs a delivery to a checkout's own notificationUrl: the default endpoint's secrets (a
        rotation of we_default covers it too), else the client's signing secrets."""
        default = self.find(client_id, DEFAULT_ENDPOINT_ID)
        if default is not None and default.secrets:
            return default.signing_secrets(now)
        client = self.client(client_id)
        return client.signing_secrets if client is not None else ()


@dataclass
class EndpointHealth:
    store: EndpointStore
    events: EventRecorder
    notifications: Queue
    disable_after: timedelta = timing.ENDPOINT_DISABLE_AFTER
    clock: Callable[[], datetime] = field(default=utc_now)

    def after_attempt(self, endpoint: Endpoint, delivered: bool, at: datetime) -> bool:
        """Keep the endpoint's state after one attempt; True when this attempt got it disabled."""
        if delivered:
            if endpoint.failing_since is not None:
                self.store.mark_working(endpoint.client_id, endpoint.id)
            return False
        if endpoint.failing_since is None:
            self.store.mark_failing(endpoint.client_id, endpoint.id, iso(at))
            return False
        if not rules.should_disable(endpoint, at, self.disable_after):
            return False
        if not self.store.disable(endpoint.client_id, endpoint.id, endpoint.failing_since, iso(at)):
            return False  # another attempt disabled it first, or it recovered meanwhile
        self.announce(endpoint.but(status=rules.DISABLED, disabled_at=iso(at)), at)
        return True

    def announce(self, endpoint: Endpoint, at: datetime) -> None:
        """Record `endpoint.disabled` in the feed and queue it to the client's other endpoints. Recorded
        first: if the send is lost, the feed still has it, and its id is the same on any retry."""
        event = Event(
            id=rules.disabled_event_id(endpoint),
            client_id=endpoint.client_id,
            checkout_id="",
            type=rules.DISABLED_EVENT,
            body=rules.disabled_body(endpoint, at),
        )
        recorded = self.events.record(event)
        self.notifications.send(NotificationMessage.of_event(recorded, replay=False).to_json())
        logger.warning(
            "webhook endpoint disabled after failing for too long",
            extra={"clientId": endpoint.client_id, "endpointId": endpoint.id},
        )
