"""In-memory queues, event feed and secrets: the other ports a use case talks through."""

from __future__ import annotations

import json
import threading
from typing import Any

from devstack.config import DevConfig
from devstack.seed import secret_values
from halotap.domain.errors import DependencyUnavailable, MerchantNotFound
from halotap.domain.events import Event
from halotap.domain.parties import Client, MerchantCredentials
from infra import manifest


class MemoryQueue:
    """A queue that keeps what it was sent; `fail` makes the next sends raise, as a throttled SQS would."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.fail = False
        self._lock = threading.Lock()

    def send(self, body: str) -> None:
        if self.fail:
            raise DependencyUnavailable("a message could not be queued; retry shortly")
        with self._lock:
            self.sent.append(body)

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.sent]

    def take(self) -> list[str]:
        """Everything sent so far, and forget it (a consumer's receive and delete)."""
        with self._lock:
            taken, self.sent = self.sent, []
        return taken


class MemoryEventLog:
    """Each client's feed, in commit order: an event is placed once, at the next sequence."""

    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def record(self, event: Event) -> Event:
        with self._lock:
            if event.id in self.events:
                return self.events[event.id]
            sequence = self._last.get(event.client_id, 0) + 1
            self._last[event.client_id] = sequence
            placed = Event(**{**event.__dict__, "sequence": sequence})
            self.events[event.id] = placed
            return placed

    def get(self, event_id: str) -> Event | None:
        return self.events.get(event_id)

    def after(
        self, client_id: str, sequence: int, limit: int, types: tuple[str, ...]
    ) -> tuple[list[Event], int]:
        with self._lock:
            later = sorted(
                (e for e in self.events.values() if e.client_id == client_id and e.sequence > sequence),
                key=lambda e: e.sequence,
            )
        found: list[Event] = []
        position = sequence
        for event in later:
            if len(found) >= limit:
                break
            position = event.sequence
            if not types or event.type in types:
                found.append(event)
        return found, position


class MemorySecrets:
    """The devstack's seeded secrets (devstack/seed.py), held as JSON values a test may change."""

    def __init__(self) -> None:
        config = DevConfig()
        self.values: dict[str, Any] = {}
        for secret in manifest.SECRETS:
            self.values.update(secret_values(secret, config))

    def merchant(self, merchant_id: str) -> MerchantCredentials:
        record = self.values.get(f"merchants/{merchant_id}")
        if record is None:
            raise MerchantNotFound(f"merchant {merchant_id!r} is not configured")
        return MerchantCredentials.parse(merchant_id, record)

    def clients(self) -> list[Client]:
        return [Client.parse(client_id, record) for client_id, record in self.values["clients"].items()]

    def webhook_tokens(self) -> list[str]:
        record = self.values["halo-webhook"]
        return [str(t) for t in [*record.get("tokens", []), record.get("token")] if t]

    def cursor_key(self) -> bytes:
        return str(self.values["cursor-key"]["key"]).encode()

    def merchant_ids(self) -> list[str]:
        return sorted(name.split("/", 1)[1] for name in self.values if name.startswith("merchants/"))
