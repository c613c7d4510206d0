"""The integrations table's endpoints and the delivery log, in memory (the ports in halotap/app/ports.py)."""

from __future__ import annotations

import threading

from halotap.domain.deliveries import DeliveryAttempt, bounded
from halotap.domain.endpoints import DEFAULT_ENDPOINT_ID, DISABLED, ENABLED, Endpoint


class MemoryEndpointStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Endpoint] = {}
        self._lock = threading.Lock()

    def list(self, client_id: str) -> list[Endpoint]:
        return [e for (client, _), e in sorted(self.items.items()) if client == client_id]

    def get(self, client_id: str, endpoint_id: str) -> Endpoint | None:
        return self.items.get((client_id, endpoint_id))

    def add(self, endpoint: Endpoint, limit: int) -> bool:
        with self._lock:
            counted = [
                e for (c, i), e in self.items.items() if c == endpoint.client_id and i != DEFAULT_ENDPOINT_ID
            ]
            if len(counted) >= limit:
                return False
            self.items[(endpoint.client_id, endpoint.id)] = endpoint
            return True

    def put(self, endpoint: Endpoint) -> None:
        self.items[(endpoint.client_id, endpoint.id)] = endpoint

    def remove(self, client_id: str, endpoint_id: str) -> bool:
        return self.items.pop((client_id, endpoint_id), None) is not None

    def mark_failing(self, client_id: str, endpoint_id: str, since: str) -> None:
        with self._lock:
            current = self.items.get((client_id, endpoint_id))
            if current is None and endpoint_id == DEFAULT_ENDPOINT_ID:
                current = Endpoint(client_id=client_id, id=endpoint_id, url=None)
            if current is not None and current.failing_since is None:
                self.items[(client_id, endpoint_id)] = current.but(failing_since=since)

    def mark_working(self, client_id: str, endpoint_id: str) -> None:
        current = self.items.get((client_id, endpoint_id))
        if current is not None:
            self.items[(client_id, endpoint_id)] = current.but(failing_since=None)

    def disable(self, client_id: str, endpoint_id: str, failing_since: str, at: str) -> bool:
        with self._lock:
            current = self.items.get((client_id, endpoint_id))
            if current is None or current.failing_since != failing_since or current.status != ENABLED:
                return False
            self.items[(client_id, endpoint_id)] = current.but(status=DISABLED, disabled_at=at)
            return True


class MemoryDeliveryLog:
    def __init__(self) -> None:
        self.by_event: dict[str, dict[str, list[DeliveryAttempt]]] = {}

    def add(self, event_id: str, attempt: DeliveryAttempt) -> None:
        endpoints = self.by_event.setdefault(event_id, {})
        endpoints[attempt.endpoint_id] = bounded([*endpoints.get(attempt.endpoint_id, []), attempt])

    def attempts(self, event_id: str) -> list[DeliveryAttempt]:
        every = [a for attempts in self.by_event.get(event_id, {}).values() for a in attempts]
        return sorted(every, key=lambda a: (a.at, a.endpoint_id, a.attempt))

    def delivered_to(self, event_id: str) -> set[str]:
        endpoints = self.by_event.get(event_id, {})
        return {e for e, attempts in endpoints.items() if any(a.delivered for a in attempts)}
