"""Halo stays the truth after final: a change whose webhook was lost is found, applied and told; refunds
whose answer was lost are confirmed against Halo's history; an Indeterminate nobody resolves is flagged.

Each case loses the webhook: Halo's status changes (`halo.tap`) and nothing is sent to halotap, so only
reconciliation's watch can find the change.
"""

from __future__ import annotations

import json

import pytest

from halotap.adapters import aws
from halotap.domain.views import checkout_view
from halotap.settings import settings
from tests.fakes import FakeClock
from tests.usecases.test_watch_after_final import (
    AUTOREFUND,
    FIRST_WATCH,
    make_final,
)
from tests.wiring import build_services


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(moto_env, halo, clock):
    settings.cache_clear()
    return build_services(halo, clock=clock)


def queued_types(checkout_id):
    sqs = aws.sqs()
    url = settings().notifications_queue_url
    found = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        messages = batch.get("Messages", [])
        if not messages:
            return found
        found += [json.loads(m["Body"]) for m in messages]
        found = [m for m in found if m["checkoutId"] == checkout_id]
        if len(messages) < 10:
            return [m["type"] for m in found]


@pytest.mark.parametrize(
    ("how", "final_status"),
    [("expired", "expired"), ("Declined", "declined"), ("cancelled", "cancelled")],
)
def test_a_final_checkout_that_halo_later_shows_approved_becomes_approved_without_its_webhook(
    services, halo, clock, how, final_status
):
    final = make_final(services, halo, clock, how)
    assert (final.status.value, final.due_at) == (final_status, final.watch_due)
    halo.tap(final.halo_reference, "Approved")  # the webhook for this is lost
    clock.advance(FIRST_WATCH)
    report = services.reconciler.run()
    stored = services.store.get(final.id)
    assert (report.watch_changes, stored.status.value, stored.replaced_status.value) == (
        1,
        "approved",
        final_status,
    )
    assert [(e.from_status, e.to_status, e.source) for e in stored.history][-1] == (
        final_status,
        "approved",
        "reconcile",
    )
    assert queued_types(final.id)[-1] == "checkout.approved"
    # An approval can still be voided: the watch starts again from this change.
    assert stored.watch_due > stored.watch_from


def test_an_approved_checkout_that_halo_later_shows_voided_becomes_voided_without_its_webhook(
    services, halo, clock
):
    final = make_final(services, halo, clock, "Approved")
    halo.tap(final.halo_reference, "Voided")
    clock.advance(FIRST_WATCH)
    services.reconciler.run()
    stored = services.store.get(final.id)
    assert stored.status.value == "voided"
    assert queued_types(final.id) == ["checkout.approved", "checkout.voided"]
    # Voided is the end: nothing is left to watch.
    assert (stored.watch_due, stored.due_at) == (None, None)


def test_a_late_approval_found_by_the_watch_is_refunded_for_a_client_that_asks(services, halo, clock):
    final = make_final(services, halo, clock, "cancelled", caller=AUTOREFUND)
    halo.tap(final.halo_reference, "Approved")
    clock.advance(FIRST_WATCH)
    services.reconciler.run()
    view = checkout_view(services.checkouts.get(AUTOREFUND, final.id))
    assert (view["status"], view["amountRefunded"]) == ("approved", "100.00")
    assert [(r["reference"], r["status"]) for r in view["refunds"]] == [("late-approval", "succeeded")]
    assert queued_types(final.id) == ["checkout.cancelled", "checkout.approved", "refund.succeeded"]
