"""Reconciliation on the in-memory ports: lost webhooks, expiry, late approvals, back-off and Halo faults."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest

from functions.reconcile import handler as reconcile_handler
from halotap.app.checkouts import Caller
from halotap.domain.halo import ReportedOutcome
from halotap.domain.requests import CreateCheckoutRequest
from halotap.domain.states import Disposition
from halotap.settings import settings
from tests.fakes import FakeClock, FakeLambdaContext
from tests.memory.services import build_services

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))
GRACE_SECONDS = "60"  # HALOTAP_EXPIRY_GRACE_SECONDS for every reconciler in this module


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(halo, clock, monkeypatch):
    monkeypatch.setenv("HALOTAP_EXPIRY_GRACE_SECONDS", GRACE_SECONDS)
    settings.cache_clear()
    return build_services(halo, clock=clock)


def create(services, reference="r-1", expires=600):
    request = CreateCheckoutRequest.validate(
        {
            "merchantId": "demo-merchant",
            "reference": reference,
            "amount": "10.00",
            "currency": "ZAR",
            "expiresInSeconds": expires,
        }
    )
    return services.checkouts.create(CALLER, request)


def test_a_checkout_is_not_checked_before_it_is_due(services, halo, clock):
    create(services)
    report = services.reconciler.run()
    assert (report.examined, halo.status_reads) == (0, 0)


def test_an_unpaid_checkout_expires_after_expires_at_plus_grace_and_not_before(services, halo, clock):
    checkout = create(services, expires=60)
    clock.advance(100)  # past expiresAt, inside the grace
    services.reconciler.run()
    assert services.store.get(checkout.id).status == "open"
    clock.advance(30)
    report = services.reconciler.run()
    stored = services.store.get(checkout.id)
    assert (report.expired, stored.status, stored.due_at) == (1, "expired", stored.watch_due)


def test_an_approval_after_expiry_ends_approved_and_flagged(services, halo, clock):
    checkout = create(services, expires=60)
    clock.advance(200)
    services.reconciler.run()
    halo.tap(checkout.halo_reference, "Approved")  # the shopper's tap lands late
    expired = services.store.get(checkout.id)
    assert expired.status == "expired"
    # The late webhook, confirmed with Halo (which now shows the approval) like any other.
    result = services.outcomes.apply(expired, ReportedOutcome(Disposition.APPROVED), "halo_webhook")
    assert result.checkout.status == "approved"
    assert result.checkout.replaced_status == "expired"


def test_checks_back_off_and_never_past_the_deadline(services, halo, clock):
    checkout = create(services, expires=300)
    seen = []
    for _ in range(8):
        clock.now = max(clock.now, _due(services, checkout.id))
        services.reconciler.run()
        stored = services.store.get(checkout.id)
        if stored.due_at is None:
            break
        seen.append(_due(services, checkout.id) - clock.now)
    assert [int(gap.total_seconds()) for gap in seen[:2]] == [60, 120]  # after the first check at 30 s
    assert services.store.get(checkout.id).status == "expired"


def _due(services, checkout_id):
    return datetime.fromisoformat(services.store.get(checkout_id).due_at)


def test_halo_faults_during_reconciliation_lose_nothing_and_a_later_tick_finishes(services, halo, clock):
    checkouts = [create(services, reference=f"f-{n}") for n in range(3)]
    for checkout in checkouts:
        halo.tap(checkout.halo_reference, "Approved")
    halo.faults.extend([httpx.ReadTimeout("slow")] * 4 + [httpx.Response(500)] * 4)  # Halo down
    clock.advance(31)
    first = services.reconciler.run()
    assert first.errors >= 1
    assert all(services.store.get(c.id).status == "open" for c in checkouts)
    ticks = 1
    while halo.faults or any(services.store.get(c.id).status == "open" for c in checkouts):
        assert ticks < 6, "reconciliation never caught up after Halo recovered"
        clock.advance(31)
        services.reconciler.run()
        ticks += 1
    assert [services.store.get(c.id).status for c in checkouts] == ["approved"] * 3


def test_an_open_circuit_calls_halo_no_more_and_still_moves_every_checkout_forward(services, halo, clock):
    checkouts = [create(services, reference=f"c-{n}") for n in range(8)]
    halo.faults.extend([httpx.Response(503)] * 40)
    clock.advance(31)
    first = services.reconciler.run()
    assert first.examined == len(checkouts)
    assert first.errors == len(checkouts)
    calls_when_opened = len(halo.requests)
    now = clock()
    # Nothing was settled, and nothing holds the head of the queue: each is due again later.
    assert all(_due(services, c.id) > now for c in checkouts)
    clock.advance(31)
    second = services.reconciler.run()
    assert second.examined == len(checkouts)
    # Past the cooldown, one trial call; Halo still fails it, the circuit reopens, and nothing more is sent.
    assert len(halo.requests) == calls_when_opened + 1


def test_past_its_deadline_a_checkout_expires_even_while_halo_is_down(services, halo, clock):
    checkout = create(services, expires=60)
    halo.faults.extend([httpx.Response(503)] * 40)
    clock.advance(60 + int(GRACE_SECONDS))
    report = services.reconciler.run()
    stored = services.store.get(checkout.id)
    assert (report.expired, report.outcomes[checkout.id]) == (1, "expired_without_halo")
    assert (stored.status, stored.due_at) == ("expired", stored.watch_due)
    # Halo comes back and says the shopper did pay: money wins over the expiry, and says so.
    halo.faults.clear()
    halo.tap(checkout.halo_reference, "Approved")
    result = services.outcomes.apply(stored, ReportedOutcome(Disposition.APPROVED), "halo_webhook")
    assert (result.checkout.status, result.checkout.replaced_status) == ("approved", "expired")


def test_the_run_reports_how_long_the_oldest_due_checkout_has_waited(services, halo, clock):
    create(services, reference="lag-1")
    clock.advance(30 + 95)  # due 30 s after opening; the run comes 95 s late
    assert services.reconciler.run().lag_seconds == 95
    assert services.reconciler.run().lag_seconds == 0  # nothing due any more


STUCK = 300
UNPAID = 10


def test_the_reconcile_function_publishes_the_lag_as_a_metric(services, halo, clock, capsys):
    create(services, reference="lag-metric")
    clock.advance(30 + 240)  # four minutes late: a reconciliation falling behind
    summary = reconcile_handler.handler({}, FakeLambdaContext(), services=services)
    assert summary["lag_seconds"] == 240
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [metrics] = [m for m in emitted if "ReconcileLagSeconds" in m]
    assert metrics["ReconcileLagSeconds"] in (
        240,
        [240],
    )  # Powertools writes one value bare, several as a list
    [definition] = metrics["_aws"]["CloudWatchMetrics"]
    assert {"Name": "ReconcileLagSeconds", "Unit": "Seconds"} in definition["Metrics"]
