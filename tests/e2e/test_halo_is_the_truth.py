"""Forged and lost webhooks against the running devstack: Halo's status endpoint decides."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_a_lost_webhook_is_found_by_reconciliation(psp):
    checkout = psp.open_checkout()
    psp.tap(checkout, "Approved", webhook=False)
    # The devstack checks 2 s after opening and ticks every 2 s: one tick or two (the deadline is for busy CI).
    final = psp.wait_for(checkout["id"], "approved", timeout=60)
    assert [e["source"] for e in final["history"] if e.get("to") == "approved"] == ["reconcile"]


def test_a_forged_approval_ends_as_halo_says_with_an_anomaly(psp):
    checkout = psp.open_checkout()
    psp.tap(checkout, "Declined", webhook=False)
    psp.fake_webhook(checkout, disposition="Approved")
    final = psp.wait_for(checkout["id"], "declined")
    anomalies = [e["detail"] for e in final["history"] if e["type"] == "anomaly"]
    assert anomalies == ["mismatch: disposition: webhook Approved, Halo Declined"]


def test_a_forged_webhook_for_a_payment_halo_has_not_seen_changes_nothing(psp, settle):
    checkout = psp.open_checkout()
    before = psp.get(checkout["id"])
    parked = settle.dead_letters("halo-events")
    sent = psp.fake_webhook(checkout, disposition="Approved")
    assert [webhook["status"] for webhook in sent["webhooks"]] == [200]  # halotap queued it
    # Halo shows nothing final, so the consumer re-checks it a few times and then leaves it to
    # reconciliation: once the queue is empty (in flight and postponed included), it is done with it.
    settle()
    assert settle.dead_letters("halo-events") == parked  # handled, not parked after failing
    after = psp.get(checkout["id"])
    assert after["status"] == "open"
    assert after["outcome"] is None
    assert after == before  # no transition, no anomaly, no notification
