"""The production wiring (`halotap.wiring.Services`) with every AWS port in memory.

Only the adapters change: the use cases, Halo's client (over FakeHalo's transport), the confirmer and the
webhook poster are the ones every function runs, so a use-case test exercises the same code as
tests/integration, without moto.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

import httpx

from halotap.settings import Settings
from halotap.wiring import Services
from tests.fakes import FakeHalo
from tests.memory.edges import MemoryEventLog, MemoryQueue, MemorySecrets
from tests.memory.store import MemoryCheckoutStore

# What the stack's settings would name: only their presence matters in memory.
SETTINGS = {
    "CHECKOUTS_TABLE": "checkouts",
    "EVENTS_TABLE": "events",
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


def memory_services(
    halo: FakeHalo,
    *,
    clock: Callable[[], datetime] | None = None,
    webhook_http: httpx.Client | None = None,
    environ: dict[str, str] | None = None,
    resolve: Callable[[str, int], list[str]] | None = None,
) -> MemoryServices:
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if resolve is not None:
        extra["resolve"] = resolve
    return MemoryServices(
        Settings({**SETTINGS, **(environ or {})}),
        halo_http=httpx.Client(transport=halo.transport()),
        webhook_http=webhook_http,
        sleep=lambda _seconds: None,
        **extra,
    )
