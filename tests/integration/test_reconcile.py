"""Reconciliation: lost webhooks, expiry, late approvals, volume without a Scan, and Halo faults."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import httpx
import pytest

from halotap.adapters import aws
from halotap.domain.clock import iso
from halotap.settings import settings
from tests.fakes import CallCounter, FakeClock, FaultyClient
from tests.usecases.test_reconcile import GRACE_SECONDS, STUCK, UNPAID, create
from tests.wiring import build_services


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(moto_env, halo, clock, monkeypatch):
    monkeypatch.setenv("HALOTAP_EXPIRY_GRACE_SECONDS", GRACE_SECONDS)
    settings.cache_clear()
    return build_services(halo, clock=clock)


def test_a_tap_whose_webhook_was_lost_is_found_in_one_tick(services, halo, clock):
    checkout = create(services)
    halo.tap(checkout.halo_reference, "Approved")
    clock.advance(31)
    report = services.reconciler.run()
    stored = services.store.get(checkout.id)
    assert (report.applied, stored.status) == (1, "approved")
    assert stored.due_at == stored.watch_due  # due again only to see whether Halo voids it
    assert [e.source for e in stored.history if e.to_status == "approved"] == ["reconcile"]


def test_a_checkout_stuck_creating_is_closed_and_its_reference_freed(services, halo, clock):
    halo.faults.append(httpx.Response(200, json={"url": "https://x.test", "reference": "r"}))
    # Simulate a Lambda that died after storing the checkout: store it, never finish.
    broken = build_services(halo, dynamodb=FaultyClient(aws.dynamodb(), {"update_item"}), clock=clock)
    with pytest.raises(Exception, match="DynamoDB"):
        create(broken)
    [stuck_id] = [r["paymentReference"] for r in halo.creates]
    assert services.store.get(stuck_id).status == "creating"
    clock.advance(61)
    report = services.reconciler.run()
    assert report.abandoned == 1
    assert services.store.get(stuck_id).failure.code == "creation_interrupted"
    assert create(services).id != stuck_id  # the reference is free again


def test_fifty_open_checkouts_drain_over_bounded_runs_without_a_scan(services, halo, clock, monkeypatch):
    template = services.store.get(create(services, reference="bulk-template").id)
    # Stored in batches: the create path is not what this test measures.
    copies = [template.but(id=f"chk_bulk{n:04d}", reference=f"bulk-{n}") for n in range(49)]
    for start in range(0, len(copies), 25):
        batch = [{"PutRequest": {"Item": services.store.item(c)}} for c in copies[start : start + 25]]
        aws.dynamodb().batch_write_item(RequestItems={settings().checkouts_table: batch})
    # A run examines at most 20, so the 50 due checkouts take three runs.
    monkeypatch.setenv("HALOTAP_RECONCILE_BATCH", "20")
    settings.cache_clear()
    bounded = build_services(halo, clock=clock)
    clock.advance(31)
    counter = CallCounter(aws.dynamodb())
    runs = []
    while True:
        report = bounded.reconciler.run()
        if report.examined == 0:
            break
        runs.append(report.examined)
    assert runs == [20, 20, 10]
    assert "Scan" not in counter.calls
    assert set(counter.calls) <= {"Query", "UpdateItem", "GetSecretValue", "GetItem"}


def test_finding_2_unpaid_checkouts_expire_within_two_runs_with_300_stuck_checkouts_due(
    services, halo, clock, monkeypatch
):
    monkeypatch.setenv("HALOTAP_EXPIRY_GRACE_SECONDS", "0")  # "within two runs of their expiresAt"
    settings.cache_clear()
    reconciler = build_services(halo, clock=clock).reconciler
    template = services.store.get(create(services, reference="stuck-template", expires=3600).id)
    long_ago = clock() - timedelta(hours=1)
    # 300 checkouts Halo keeps showing nothing final for (the template's transaction is never tapped),
    # all due since long before the unpaid ones: the head of every shard.
    stuck = [
        template.but(id=f"chk_stuck{n:04d}", reference=f"stuck-{n}", due_at=iso(long_ago))
        for n in range(STUCK)
    ]
    expires_at = clock() + timedelta(seconds=60)
    unpaid = [
        template.but(
            id=f"chk_unpaid{n:03d}",
            reference=f"unpaid-{n}",
            expires_at=iso(expires_at),
            due_at=iso(expires_at),
        )
        for n in range(UNPAID)
    ]
    copies = stuck + unpaid
    for start in range(0, len(copies), 25):
        batch = [{"PutRequest": {"Item": services.store.item(c)}} for c in copies[start : start + 25]]
        aws.dynamodb().batch_write_item(RequestItems={settings().checkouts_table: batch})
    clock.now = expires_at  # runs every minute from here, as the schedule does
    started = time.monotonic()
    statuses: list[list[str]] = []
    for _ in range(2):
        report = reconciler.run()
        statuses.append([services.store.get(c.id).status for c in unpaid])
        clock.advance(60)
    elapsed = time.monotonic() - started
    print(
        f"reconcile with {STUCK} stuck: {statuses[0].count('expired')} then {statuses[1].count('expired')} of"
        f" {UNPAID} expired after runs 1 and 2; lag {report.lag_seconds} s; {elapsed:.1f} s for two runs"
    )
    assert statuses[-1] == ["expired"] * UNPAID
    # And the stuck ones were not skipped either: every one has been looked at and moved forward.
    assert all(datetime.fromisoformat(services.store.get(c.id).due_at) > expires_at for c in stuck)
