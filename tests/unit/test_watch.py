"""Watching after final: which checkouts Halo can still change, when they are asked about, and the one rule
for when reconciliation must next look at a final checkout."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from devstack.config import DEFAULT_WATCH_SCHEDULE, DevConfig, lambda_environment
from halotap.domain import timing
from halotap.domain.models import Checkout, Refund, RefundStatus
from halotap.domain.states import CheckoutStatus, Disposition
from halotap.domain.watch import attention_changes, is_watched, next_due, next_watch, watch_changes
from halotap.settings import Settings

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def checkout(**fields):
    values = {
        "id": "chk_1",
        "client_id": "demo-psp",
        "merchant_id": "demo-merchant",
        "reference": "r",
        "amount": "10.00",
        "currency": "ZAR",
        "status": CheckoutStatus.APPROVED,
        "halo_reference": "h-1",
        "expires_at": "2026-12-07T12:30:00.000Z",
        "created_at": "2026-12-07T12:00:00.000Z",
        "updated_at": "2026-12-07T12:00:00.000Z",
    }
    return Checkout(**{**values, **fields})


@pytest.mark.parametrize(
    ("status", "watched"),
    [
        (CheckoutStatus.APPROVED, True),  # can be voided
        (CheckoutStatus.EXPIRED, True),
        (CheckoutStatus.DECLINED, True),
        (CheckoutStatus.CANCELLED, True),
        (CheckoutStatus.FAILED, True),
        (CheckoutStatus.VOIDED, False),  # the end
        (CheckoutStatus.OPEN, False),  # reconciled as open, not watched
    ],
)
def test_every_final_status_halo_can_still_change_is_watched(status, watched):
    assert is_watched(status, "h-1") is watched


def test_a_checkout_that_never_reached_halo_has_nothing_to_watch():
    assert not is_watched(CheckoutStatus.FAILED, None)
    assert watch_changes(CheckoutStatus.FAILED, None, AT, timing.WATCH_SCHEDULE)["watch_due"] is None


def test_the_deployed_watch_asks_about_5_min_30_min_2_h_6_h_24_h_and_48_h_after_the_change():
    assert [timedelta(seconds=s) for s in timing.WATCH_SCHEDULE] == [
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
        timedelta(hours=24),
        timedelta(hours=48),
    ]


def test_each_watch_check_is_due_at_its_offset_from_the_change_not_from_the_last_check():
    started = watch_changes(CheckoutStatus.EXPIRED, "h-1", AT, (5, 30, 120))
    assert started == {
        "watch_from": "2026-12-07T12:00:00.000Z",
        "watch_checks": 0,
        "watch_due": "2026-12-07T12:00:05.000Z",
    }
    first = checkout(status=CheckoutStatus.EXPIRED, watch_from=started["watch_from"], watch_checks=0)
    assert next_watch(first, (5, 30, 120)) == {"watch_checks": 1, "watch_due": "2026-12-07T12:00:30.000Z"}
    last = first.but(watch_checks=2)
    assert next_watch(last, (5, 30, 120)) == {"watch_checks": 3, "watch_due": None}


def test_a_final_checkout_is_next_due_at_the_earliest_of_its_watch_its_refunds_and_its_attention():
    refund = Refund(
        id="rfd_1",
        checkout_id="chk_1",
        amount="1.00",
        currency="ZAR",
        reference="x",
        status=RefundStatus.PENDING,
        created_at="2026-12-07T12:00:00.000Z",
        updated_at="2026-12-07T12:00:00.000Z",
        next_attempt_at="2026-12-07T12:03:00.000Z",
    )
    watched = checkout(watch_due="2026-12-07T12:05:00.000Z")
    assert next_due(watched) == "2026-12-07T12:05:00.000Z"
    assert next_due(watched.but(refunds={"rfd_1": refund})) == "2026-12-07T12:03:00.000Z"
    assert (
        next_due(watched.but(refunds={"rfd_1": refund}), without_refund="rfd_1") == "2026-12-07T12:05:00.000Z"
    )
    assert next_due(watched.but(attention_due="2026-12-07T12:01:00.000Z")) == "2026-12-07T12:01:00.000Z"
    assert next_due(checkout()) is None


def test_only_an_indeterminate_outcome_gets_a_deadline_for_a_person():
    after = timedelta(minutes=30)
    flagged = attention_changes(CheckoutStatus.FAILED, Disposition.INDETERMINATE, AT, after)
    assert flagged == {"attention_due": "2026-12-07T12:30:00.000Z", "needs_attention": None}
    for status, disposition in [
        (CheckoutStatus.FAILED, Disposition.UNABLE_TO_GO_ONLINE),
        (CheckoutStatus.VOIDED, Disposition.VOIDED),
        (CheckoutStatus.EXPIRED, None),
    ]:
        assert attention_changes(status, disposition, AT, after) == {
            "attention_due": None,
            "needs_attention": None,
        }


def test_one_setting_overrides_the_watch_schedule():
    assert Settings({"HALOTAP_WATCH_SCHEDULE": "1,2,3"}).watch_schedule == (1, 2, 3)
    assert Settings({}).watch_schedule == timing.WATCH_SCHEDULE


def test_the_devstack_applies_a_lost_change_to_a_final_checkout_within_30_s():
    """The devstack's promise (README.md): a change at Halo whose webhook is lost lands within 30 s while
    the watch lasts. The longest wait is the longest gap between two checks, plus one reconcile tick."""
    config = DevConfig()
    schedule = timing.parse_seconds("HALOTAP_WATCH_SCHEDULE", DEFAULT_WATCH_SCHEDULE, ())
    longest_gap = max(b - a for a, b in itertools.pairwise((0, *schedule)))
    assert longest_gap + config.reconcile_interval_seconds <= 30
    assert lambda_environment(config)["HALOTAP_WATCH_SCHEDULE"] == DEFAULT_WATCH_SCHEDULE


def test_the_devstack_compresses_every_reconcile_timing_not_only_the_backoff():
    """After Halo errors, a checkout settles within 30 s of Halo answering again: the after-error delay
    and the breaker's cool-down are seconds here (deployed: 30 s each)."""
    settings = Settings(lambda_environment(DevConfig()))
    assert settings.reconcile_after_error + timedelta(seconds=settings.halo_breaker_cooldown) < timedelta(
        seconds=10
    )
    assert settings.indeterminate_attention_after < timedelta(minutes=1)
    deployed = Settings({})
    assert (deployed.reconcile_after_error, deployed.halo_breaker_cooldown) == (timedelta(seconds=30), 30.0)
    assert deployed.indeterminate_attention_after == timedelta(minutes=30)
