"""Halo stays the truth after final: a change whose webhook was lost is found, applied and told; refunds
whose answer was lost are confirmed against Halo's history; an Indeterminate nobody resolves is flagged.

Each case loses the webhook: Halo's status changes (`halo.tap`) and nothing is sent to halotap, so only
reconciliation's watch can find the change.
"""

from __future__ import annotations

import json

import pytest

from halotap.adapters import aws
from halotap.domain import timing
from halotap.domain.halo import ReportedOutcome
from halotap.domain.parties import Caller
from halotap.domain.requests import CreateCheckoutRequest
from halotap.domain.states import Disposition
from halotap.domain.views import checkout_view
from halotap.settings import settings
from tests.fakes import FakeClock
from tests.wiring import build_services

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))
AUTOREFUND = Caller("demo-psp-autorefund", frozenset({"demo-merchant"}))
FIRST_WATCH = timing.WATCH_SCHEDULE[0]  # 5 minutes after the change that made it final


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(moto_env, halo, clock):
    settings.cache_clear()
    return build_services(halo, clock=clock)


def open_checkout(services, caller=CALLER, reference="w-1"):
    request = CreateCheckoutRequest.validate(
        {"merchantId": "demo-merchant", "reference": reference, "amount": "100.00", "currency": "ZAR"}
    )
    return services.store.get(services.checkouts.create(caller, request).id)


def confirmed(services, halo, checkout, disposition):
    """Halo's webhook arrives and Halo's status endpoint confirms it."""
    halo.tap(checkout.halo_reference, disposition.value)
    return services.outcomes.apply(checkout, ReportedOutcome(disposition), "halo_webhook").checkout


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


def make_final(services, halo, clock, how, caller=CALLER):
    checkout = open_checkout(services, caller=caller)
    if how == "expired":
        clock.advance(1800 + timing.EXPIRY_GRACE_SECONDS + 1)
        services.reconciler.run()
    elif how == "cancelled":
        services.checkouts.cancel(caller, checkout.id)
    else:
        confirmed(services, halo, checkout, Disposition(how))
    final = services.store.get(checkout.id)
    assert final.status.is_final
    return final


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


# -- Indeterminate ------------------------------------------------------------------------------------


# -- settlement keys ----------------------------------------------------------------------------------


# -- refunds whose answer was lost ---------------------------------------------------------------------
