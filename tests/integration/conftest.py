"""Handlers against moto's in-process AWS, provisioned from the same manifest as the stack; Halo is a FakeHalo."""

from __future__ import annotations

import httpx
import pytest
from moto import mock_aws

from devstack.config import SECRETS_PREFIX, DevConfig
from devstack.provision import provision
from halotap import aws
from halotap.checkouts import CheckoutService
from halotap.config import settings
from halotap.confirm import ConfirmWithHalo
from halotap.halo import CircuitBreaker, HaloClient
from halotap.notify import NotificationQueue
from halotap.runtime import Services, default_services
from halotap.secrets import SecretStore
from halotap.store import CheckoutStore
from tests.fakes import FakeHalo

DEV = DevConfig()


def _reset() -> None:
    settings.cache_clear()
    aws.reset()
    default_services.cache_clear()


@pytest.fixture
def moto_env(monkeypatch):
    with mock_aws():
        _reset()
        monkeypatch.setenv("SECRETS_PREFIX", SECRETS_PREFIX)
        monkeypatch.setenv("HALOTAP_SECRETS_TTL_SECONDS", "0")
        environment, _secrets = provision(DEV)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        yield
    _reset()


@pytest.fixture
def halo() -> FakeHalo:
    return FakeHalo()


def build_services(halo: FakeHalo, store_client=None, *, confirm: bool = False, clock=None) -> Services:
    """The real service on moto and a FakeHalo. `confirm` checks webhooks with Halo, as deployed."""
    config = settings()
    store = CheckoutStore(config.checkouts_table, client=store_client)
    secret_store = SecretStore(config.secrets_prefix, ttl_seconds=0)
    # The breaker's cooldown runs on the same fake clock as everything else, when there is one.
    breaker = CircuitBreaker(clock=lambda: clock().timestamp()) if clock else None
    client = HaloClient(
        "https://halo.test",
        http=httpx.Client(transport=halo.transport()),
        sleep=lambda _s: None,
        breaker=breaker,
    )
    service = CheckoutService(
        store, client, secret_store, notifications=NotificationQueue(config.notifications_queue_url)
    )
    if confirm:
        service.confirmer = ConfirmWithHalo(client, secret_store)
    if clock is not None:
        service.clock = clock
    return Services(service, store, secret_store, client)


@pytest.fixture
def services(moto_env, halo) -> Services:
    return build_services(halo)
