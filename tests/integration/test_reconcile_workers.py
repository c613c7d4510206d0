"""Reconcile examines its due checkouts in worker threads: all of them, each once, really at once, and
with every client the workers share built before they start."""

from __future__ import annotations

import threading

import pytest

from halotap.adapters import aws
from halotap.settings import settings
from tests.fakes import FakeClock
from tests.usecases.test_reconcile_workers import WORKERS, create
from tests.wiring import build_services


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(moto_env, halo, clock, monkeypatch):
    monkeypatch.setenv("HALOTAP_EXPIRY_GRACE_SECONDS", "60")
    monkeypatch.setenv("HALOTAP_RECONCILE_WORKERS", str(WORKERS))
    settings.cache_clear()
    return build_services(halo, clock=clock)


def test_every_client_the_workers_share_is_built_before_they_start(services, halo, clock, monkeypatch):
    """boto3 clients, the secrets cache: built by the calling thread, never by two workers."""
    from boto3.session import Session

    from halotap.adapters.secrets import SecretCache

    checkouts = [create(services, f"warm-{n}") for n in range(2 * WORKERS)]
    for checkout in checkouts[:WORKERS]:
        halo.tap(checkout.halo_reference, "Approved")  # so the workers record events and queue messages
    aws.reset()  # a fresh container: nothing built yet
    fresh = build_services(halo, clock=clock)
    built: list[tuple[str, str]] = []
    make_client, make_provider = Session.client, SecretCache.__init__

    def client(self, service_name, *args, **kwargs):
        built.append((service_name, threading.current_thread().name))
        return make_client(self, service_name, *args, **kwargs)

    def provider(self, *args, **kwargs):
        built.append(("SecretCache", threading.current_thread().name))
        make_provider(self, *args, **kwargs)

    monkeypatch.setattr(Session, "client", client)
    monkeypatch.setattr(SecretCache, "__init__", provider)
    examined_on: set[str] = set()
    check = fresh.reconciler._check

    def spy(checkout, now, report):
        examined_on.add(threading.current_thread().name)
        return check(checkout, now, report)

    monkeypatch.setattr(fresh.reconciler, "_check", spy)
    clock.advance(31)
    report = fresh.reconciler.run()
    assert (report.examined, report.applied, report.errors) == (2 * WORKERS, WORKERS, 0)
    assert examined_on
    assert threading.main_thread().name not in examined_on
    assert sorted(name for name, _ in built) == ["SecretCache", "dynamodb", "secretsmanager", "sqs"]
    assert {thread for _, thread in built} == {threading.main_thread().name}
