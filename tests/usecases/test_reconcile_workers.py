"""Reconcile examines its due checkouts in worker threads: all of them, each once, really at once, and
with every client the workers share built before they start."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

import pytest

from halotap.app.checkouts import Caller
from halotap.domain.requests import CreateCheckoutRequest
from halotap.settings import settings
from tests.fakes import FakeClock
from tests.memory.services import build_services

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))
WORKERS = 8


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(halo, clock, monkeypatch):
    monkeypatch.setenv("HALOTAP_EXPIRY_GRACE_SECONDS", "60")
    monkeypatch.setenv("HALOTAP_RECONCILE_WORKERS", str(WORKERS))
    settings.cache_clear()
    return build_services(halo, clock=clock)


def create(services, reference, expires=600):
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


def due(services, checkout_id):
    return datetime.fromisoformat(services.store.get(checkout_id).due_at)


def test_the_workers_examine_the_whole_batch_each_checkout_once_and_the_counts_add_up(services, halo, clock):
    paid = [create(services, f"paid-{n}") for n in range(10)]
    unpaid = [create(services, f"unpaid-{n}") for n in range(10)]
    lapsed = [create(services, f"lapsed-{n}", expires=60) for n in range(10)]
    for checkout in paid:
        halo.tap(checkout.halo_reference, "Approved")
    clock.advance(60 + 60 + 1)  # every one due; the lapsed ones past expiresAt plus the 60 s grace
    everyone = paid + unpaid + lapsed

    report = services.reconciler.run()

    assert services.reconciler.workers == WORKERS
    # The whole batch, each checkout once: one outcome each, and one status read each from Halo.
    assert report.examined == len(everyone) == len(report.outcomes)
    assert set(report.outcomes) == {c.id for c in everyone}
    reads = Counter(r.url.path.rsplit("/", 1)[-1] for r in halo.requests if r.method == "GET")
    assert reads == Counter({c.halo_reference: 1 for c in everyone})
    # The merged counts are the outcomes' counts, and they add up to what was examined.
    kinds = Counter(outcome.split(":", 1)[0] for outcome in report.outcomes.values())
    assert kinds == Counter({"applied": 10, "rescheduled": 10, "expired": 10})
    assert (report.applied, report.rescheduled, report.expired) == (10, 10, 10)
    assert report.examined == report.applied + report.rescheduled + report.expired + report.abandoned
    assert (report.errors, report.stopped) == (0, "")
    # And each did what its outcome says.
    assert {services.store.get(c.id).status for c in paid} == {"approved"}
    assert {services.store.get(c.id).status for c in lapsed} == {"expired"}
    assert all(due(services, c.id) > clock() for c in unpaid)
    # The 20 notifications went into the client's feed concurrently, each once, numbered without a gap.
    events, _ = services.event_log.after("demo-psp", 0, 100, ())
    assert sorted(e.sequence for e in events) == list(range(1, 21))
    assert sorted(e.checkout_id for e in events) == sorted(c.id for c in paid + lapsed)


def test_a_full_batch_is_reported_and_the_rest_waits_for_the_next_run(services, halo, clock, monkeypatch):
    checkouts = [create(services, f"batch-{n}") for n in range(12)]
    monkeypatch.setenv("HALOTAP_RECONCILE_BATCH", "10")
    settings.cache_clear()
    bounded = build_services(halo, clock=clock, sharing=services)
    clock.advance(31)
    first = bounded.reconciler.run()
    second = bounded.reconciler.run()
    assert (first.examined, first.stopped, second.examined, second.stopped) == (10, "batch full", 2, "")
    assert set(first.outcomes) | set(second.outcomes) == {c.id for c in checkouts}


def test_the_status_reads_really_overlap(services, halo, clock):
    """Each status read waits at a barrier for WORKERS of them: one after another, the barrier breaks."""
    checkouts = [create(services, f"overlap-{n}") for n in range(2 * WORKERS)]
    barrier = threading.Barrier(WORKERS, timeout=10)
    halo.on_status_read = lambda _request: barrier.wait()
    clock.advance(31)
    report = services.reconciler.run()
    assert report.examined == len(checkouts)
    assert report.rescheduled == len(checkouts)
    assert not barrier.broken


def test_the_overlap_test_would_catch_a_run_that_reads_one_after_another(services, halo, clock, monkeypatch):
    """The control for the test above: with one worker the first read waits alone, and the run fails."""
    create(services, "alone")
    monkeypatch.setenv("HALOTAP_RECONCILE_WORKERS", "1")
    settings.cache_clear()
    one_at_a_time = build_services(halo, clock=clock, sharing=services)
    barrier = threading.Barrier(WORKERS, timeout=0.5)
    halo.on_status_read = lambda _request: barrier.wait()
    clock.advance(31)
    with pytest.raises(threading.BrokenBarrierError):
        one_at_a_time.reconciler.run()


def test_out_of_time_stops_every_worker_and_leaves_the_rest_due(services, halo, clock):
    checkouts = [create(services, f"late-{n}") for n in range(3 * WORKERS)]
    clock.advance(31)
    budget = iter([60.0] * WORKERS)  # enough time for the first WORKERS to start, then none
    lock = threading.Lock()

    def time_left():
        with lock:
            return next(budget, 1.0)

    report = services.reconciler.run(time_left=time_left)
    assert report.stopped == "out of time"
    assert report.examined == len(report.outcomes) == WORKERS
    untouched = [c for c in checkouts if c.id not in report.outcomes]
    assert len(untouched) == 2 * WORKERS
    # Not examined, so not moved: still due now, and first in line next run.
    assert all(due(services, c.id) <= clock() for c in untouched)
    assert services.reconciler.run().examined == len(untouched)
