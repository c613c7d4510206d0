"""Wires the real adapters together, once per container, from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from halotap.checkouts import CheckoutService
from halotap.config import settings
from halotap.confirm import ConfirmWithHalo
from halotap.halo import HaloClient
from halotap.notify import NotificationQueue
from halotap.secrets import SecretStore
from halotap.ssrf import check_url
from halotap.store import CheckoutStore


@dataclass
class Services:
    checkouts: CheckoutService
    store: CheckoutStore
    secrets: SecretStore
    halo: HaloClient
    sqs: Any = None  # created on first use by the functions that send


@lru_cache(maxsize=1)
def default_services() -> Services:
    """Built lazily: no AWS client or HTTP pool exists until a call needs it."""
    config = settings()
    store = CheckoutStore(config.checkouts_table, retention_days=config.retention_days)
    secret_store = SecretStore(config.secrets_prefix, config.secrets_ttl_seconds)
    halo = HaloClient(
        config.halo_base_url,
        config.halo_link_path,
        connect_timeout=config.halo_connect_timeout,
        read_timeout=config.halo_read_timeout,
    )
    service = CheckoutService(
        store,
        halo,
        secret_store,
        confirmer=ConfirmWithHalo(halo, secret_store),
        notifications=NotificationQueue(config.notifications_queue_url)
        if config.notifications_queue_url
        else None,
        url_guard=partial(check_url, allow_loopback_http=config.allow_loopback_webhooks),
        check_backoff=config.check_backoff,
    )
    return Services(service, store, secret_store, halo)
