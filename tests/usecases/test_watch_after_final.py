"""Halo stays the truth after final: a change whose webhook was lost is found, applied and told; refunds
whose answer was lost are confirmed against Halo's history; an Indeterminate nobody resolves is flagged.

Each case loses the webhook: Halo's status changes (`halo.tap`) and nothing is sent to halotap, so only
reconciliation's watch can find the change.
"""

from __future__ import annotations

import itertools

import httpx
import pytest

from halotap.domain import timing
from halotap.domain.halo import ReportedOutcome
from halotap.domain.parties import Caller
from halotap.domain.requests import CreateCheckoutRequest
from halotap.domain.states import Disposition
from halotap.domain.views import checkout_view
from halotap.settings import settings
from tests.fakes import FakeClock
from tests.memory.services import build_services

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))
AUTOREFUND = Caller("demo-psp-autorefund", frozenset({"demo-merchant"}))
FIRST_WATCH = timing.WATCH_SCHEDULE[0]  # 5 minutes after the change that made it final


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(halo, clock):
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


def test_the_watch_asks_halo_once_at_each_offset_and_then_lets_the_checkout_go(services, halo, clock):
    final = make_final(services, halo, clock, "Approved")
    reads_before = halo.status_reads
    for offset, gap in zip(
        timing.WATCH_SCHEDULE, (timing.WATCH_SCHEDULE[0], *_gaps(timing.WATCH_SCHEDULE)), strict=True
    ):
        clock.advance(gap - 1)
        assert services.reconciler.run().watched == 0, f"asked before {offset} s"
        clock.advance(1)
        assert services.reconciler.run().watched == 1, f"not asked at {offset} s"
    stored = services.store.get(final.id)
    assert (stored.status.value, stored.watch_checks, stored.watch_due, stored.due_at) == (
        "approved",
        len(timing.WATCH_SCHEDULE),
        None,
        None,
    )
    assert halo.status_reads - reads_before == len(timing.WATCH_SCHEDULE)
    clock.advance(10 * 86400)
    assert services.reconciler.run().examined == 0


def _gaps(schedule):
    return tuple(later - earlier for earlier, later in itertools.pairwise(schedule))


def test_a_watch_check_halo_fails_is_due_again_soon_and_settles_when_halo_answers(services, halo, clock):
    final = make_final(services, halo, clock, "expired")
    halo.tap(final.halo_reference, "Approved")
    clock.advance(FIRST_WATCH)
    halo.faults.extend([httpx.Response(503)] * 40)
    report = services.reconciler.run()
    assert report.errors == 1
    stored = services.store.get(final.id)
    assert stored.status.value == "expired"
    assert stored.due_at == (clock() + timing.RECONCILE_AFTER_ERROR).isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")
    halo.faults.clear()
    clock.advance(timing.RECONCILE_AFTER_ERROR.total_seconds() + timing.HALO_BREAKER_COOLDOWN_SECONDS)
    services.reconciler.run()
    assert services.store.get(final.id).status.value == "approved"


def test_a_watch_check_that_finds_nothing_new_records_no_anomaly_twice(services, halo, clock):
    final = make_final(services, halo, clock, "cancelled")
    halo.tap(final.halo_reference, "Declined")  # contradicts cancelled: an anomaly, the status stays
    clock.advance(FIRST_WATCH)
    services.reconciler.run()
    clock.advance(timing.WATCH_SCHEDULE[1])
    services.reconciler.run()
    stored = services.store.get(final.id)
    assert stored.status.value == "cancelled"
    assert [e.type for e in stored.history].count("anomaly") == 1
    assert stored.watch_checks == 2


# -- Indeterminate ------------------------------------------------------------------------------------


def test_an_indeterminate_outcome_nothing_replaces_in_30_minutes_is_flagged_for_a_person(
    services, halo, clock
):
    final = make_final(services, halo, clock, "Indeterminate")
    assert final.status.value == "failed"
    assert final.needs_attention is None
    clock.advance(timing.INDETERMINATE_ATTENTION_AFTER.total_seconds() - 1)
    assert services.reconciler.run().needs_attention == 0
    clock.advance(1)
    report = services.reconciler.run()
    stored = services.store.get(final.id)
    assert report.needs_attention == 1
    assert stored.needs_attention is not None
    assert stored.needs_attention.reason == "indeterminate_unresolved"
    assert "merchant portal" in stored.needs_attention.detail
    assert checkout_view(services.checkouts.get(CALLER, final.id))["needsAttention"]["reason"] == (
        "indeterminate_unresolved"
    )
    clock.advance(3600)
    assert services.reconciler.run().needs_attention == 0  # flagged once, not every run


def test_an_indeterminate_outcome_that_becomes_voided_in_time_is_never_flagged(services, halo, clock):
    final = make_final(services, halo, clock, "Indeterminate")
    halo.tap(final.halo_reference, "Voided")  # its webhook is lost; the watch finds it
    clock.advance(FIRST_WATCH)
    services.reconciler.run()
    clock.advance(timing.INDETERMINATE_ATTENTION_AFTER.total_seconds())
    report = services.reconciler.run()
    stored = services.store.get(final.id)
    assert (stored.status.value, stored.needs_attention, report.needs_attention) == ("voided", None, 0)


def test_a_flag_is_cleared_when_halo_later_resolves_the_payment(services, halo, clock):
    final = make_final(services, halo, clock, "Indeterminate")
    clock.advance(timing.INDETERMINATE_ATTENTION_AFTER.total_seconds())
    services.reconciler.run()
    assert services.store.get(final.id).needs_attention is not None
    halo.tap(final.halo_reference, "Voided")
    clock.advance(timing.WATCH_SCHEDULE[1])
    services.reconciler.run()
    stored = services.store.get(final.id)
    assert (stored.status.value, stored.needs_attention) == ("voided", None)


# -- settlement keys ----------------------------------------------------------------------------------


def test_an_approval_carries_the_acquirers_settlement_keys_from_the_webhook(services, halo):
    from halotap.domain.halo import parse_outcome

    checkout = open_checkout(services)
    halo.tap(checkout.halo_reference, "Approved")
    reported = parse_outcome(
        {
            "merchantReference": checkout.id,
            "disposition": "Approved",
            "transactionFee": "2.90",
            "paymentProviderFields": {
                "reconReference": "RR-9",
                "acquirerDate": "20261207",
                "acquirerTime": "101500",
            },
        }
    )
    services.outcomes.apply(checkout, reported, "halo_webhook")
    view = checkout_view(services.checkouts.get(CALLER, checkout.id))
    assert view["settlement"] == {
        "reconReference": "RR-9",
        "acquirerDate": "20261207",
        "acquirerTime": "101500",
        "transactionFee": "2.90",
    }


# -- refunds whose answer was lost ---------------------------------------------------------------------


def refund(services, checkout_id, reference="rf"):
    from halotap.domain.requests import CreateRefundRequest

    created = services.refunds.create(
        CALLER, checkout_id, CreateRefundRequest.validate({"reference": reference})
    )
    return created.refund


def test_a_refund_halo_made_but_whose_answer_was_lost_is_confirmed_from_history_not_sent_again(
    services, halo, clock
):
    approved = make_final(services, halo, clock, "Approved")
    halo.lose_refund_answers = 1  # Halo applies it, then the answer never arrives
    pending = refund(services, approved.id)
    assert pending.status.value == "pending"
    clock.advance(services.refunds.first_call_window.total_seconds() + 60)
    report = services.reconciler.run()
    stored = services.store.get(approved.id)
    assert report.refunds_retried == 1
    assert stored.refunds[pending.id].status.value == "succeeded"
    assert (stored.refunded_minor, stored.reserved_minor) == (10000, 10000)
    assert len(halo.refund_requests) == 1  # counted once at Halo: never sent a second time
    assert [r.url.params["merchantReference"] for r in halo.history_reads] == [pending.id]


def test_a_refund_whose_answer_was_lost_stays_pending_while_halos_history_cannot_be_read(
    services, halo, clock
):
    approved = make_final(services, halo, clock, "Approved")
    halo.lose_refund_answers = 1
    pending = refund(services, approved.id)
    clock.advance(services.refunds.first_call_window.total_seconds() + 60)
    halo.faults.extend([httpx.Response(503)] * 8)
    services.reconciler.run()
    stored = services.store.get(approved.id)
    assert stored.refunds[pending.id].status.value == "pending"
    assert stored.reserved_minor == 10000  # its amount is never freed while its fate is unknown
    assert len(halo.refund_requests) == 1


def test_a_refund_halos_history_does_not_show_is_sent_again(services, halo, clock):
    approved = make_final(services, halo, clock, "Approved")
    halo.faults.append(httpx.ReadTimeout("no answer"))  # Halo never made this one
    pending = refund(services, approved.id)
    assert pending.status.value == "pending"
    clock.advance(services.refunds.first_call_window.total_seconds() + 60)
    services.reconciler.run()
    stored = services.store.get(approved.id)
    assert stored.refunds[pending.id].status.value == "succeeded"
    assert list(halo.refunded) == [pending.id]
