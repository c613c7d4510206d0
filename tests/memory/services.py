"""The production wiring (`halotap.wiring.Services`) with every AWS port in memory.

Only the adapters change: the use cases, Halo's client (over FakeHalo's transport), the confirmer and the
webhook poster are the ones every function runs, so a use-case test exercises the same code as
tests/integration, without moto.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

import httpx

from halotap.settings import Settings
from halotap.wiring import Services
from tests.fakes import FakeHalo
from tests.memory.api_keys import MemoryApiKeyStore
from tests.memory.edges import MemoryEventLog, MemoryQueue, MemorySecrets
from tests.memory.endpoints import MemoryDeliveryLog, MemoryEndpointStore
from tests.memory.store import MemoryCheckoutStore

# What the stack's settings would name: only their presence matters in memory.
SETTINGS = {
    "CHECKOUTS_TABLE": "checkouts",
    "EVENTS_TABLE": "events",
    "INTEGRATIONS_TABLE": "integrations",
    "IDEMPOTENCY_TABLE": "idempotency",
    "NOTIFICATIONS_QUEUE_URL": "memory://notifications",
    "NOTIFICATIONS_DLQ_URL": "memory://notifications-dlq",
    "HALO_EVENTS_QUEUE_URL": "memory://halo-events",
    "SECRETS_PREFIX": "halotap/dev",
    "HALO_ENV": "dev",
    "HALO_LINK_ENDPOINT": "applink",
    "HALOTAP_SECRETS_TTL_SECONDS": "0",
}


class MemoryServices(Services):
    store: MemoryCheckoutStore  # type: ignore[assignment]
    event_log: MemoryEventLog  # type: ignore[assignment]
    secrets: MemorySecrets  # type: ignore[assignment]
    notifications_queue: MemoryQueue  # type: ignore[assignment]
    dead_letters: MemoryQueue  # type: ignore[assignment]
    halo_events_queue: MemoryQueue  # type: ignore[assignment]
    endpoint_store: MemoryEndpointStore  # type: ignore[assignment]
    delivery_log: MemoryDeliveryLog  # type: ignore[assignment]

    @cached_property  # type: ignore[misc]
    def endpoint_store(self) -> MemoryEndpointStore:
        return MemoryEndpointStore()

    @cached_property  # type: ignore[misc]
    def delivery_log(self) -> MemoryDeliveryLog:
        return MemoryDeliveryLog()

    api_key_store: MemoryApiKeyStore  # type: ignore[assignment]

    @cached_property  # type: ignore[misc]
    def api_key_store(self) -> MemoryApiKeyStore:
        return MemoryApiKeyStore()

    @cached_property  # type: ignore[misc]
    def store(self) -> MemoryCheckoutStore:
        return MemoryCheckoutStore()

    @cached_property  # type: ignore[misc]
    def event_log(self) -> MemoryEventLog:
        return MemoryEventLog()

    @cached_property  # type: ignore[misc]
    def secrets(self) -> MemorySecrets:
        return MemorySecrets()

    @cached_property  # type: ignore[misc]
    def notifications_queue(self) -> MemoryQueue:
        return MemoryQueue()

    @cached_property  # type: ignore[misc]
    def dead_letters(self) -> MemoryQueue:
        return MemoryQueue()

    @cached_property  # type: ignore[misc]
    def halo_events_queue(self) -> MemoryQueue:
        return MemoryQueue()

    def build_shared_clients(self) -> None:
        _ = self.halo.http  # the only client left to share: Halo's connection pool


def build_services(
    halo: FakeHalo,
    *,
    clock: Callable[[], datetime] | None = None,
    webhook_http: httpx.Client | None = None,
    resolve: Callable[[str, int], list[str]] | None = None,
    config: Settings | None = None,
    sharing: MemoryServices | None = None,
) -> MemoryServices:
    """As tests/wiring.py's `build_services`, in memory: settings a test put in the environment still
    count (over the names above), so a module moved here from tests/integration runs unchanged.

    `sharing`: other services whose store, feed, secrets and queues these use too, as two functions
    share one AWS account (a second container, a function with other settings).
    """
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if resolve is not None:
        extra["resolve"] = resolve
    built = MemoryServices(
        config or Settings({**SETTINGS, **os.environ}),
        halo_http=httpx.Client(transport=halo.transport()),
        webhook_http=webhook_http,
        sleep=lambda _seconds: None,
        **extra,
    )
    if sharing is not None:
        for port in SHARED:
            built.__dict__[port] = getattr(sharing, port)  # cached_property reads the instance's dict first
    return built


SHARED = (
    "store",
    "event_log",
    "secrets",
    "notifications_queue",
    "dead_letters",
    "halo_events_queue",
    "endpoint_store",
    "delivery_log",
    "api_key_store",
)
