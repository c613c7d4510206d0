"""Attempts over the running devstack (issue 19): through the PSP's API and the simulator's control endpoints,
with Halo's real webhooks, the apply queue and the PSP's signed notifications."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


def received(sink, checkout_id, event_type, count, timeout=30.0):
    """The signed notifications of `event_type` the sink got for the checkout, once `count` arrived, one per
    webhook-id: delivery is at least once (a busy machine can see a copy re-sent by the outbox sweep), and a
    PSP drops a copy by its webhook-id, as this does."""
    deadline = time.monotonic() + timeout
    while True:
        found = list(
            {
                r["webhookId"]: r
                for r in sink.get("/_sink/received").json()
                if r["checkoutId"] == checkout_id and r["type"] == event_type
            }.values()
        )
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_three_attempt_checkout_declined_twice_is_approved_on_the_third(psp, sink):
    checkout = psp.open_checkout(maxAttempts=3)
    assert checkout["maxAttempts"] == 3
    psp.tap(checkout, "Declined")
    psp.wait_for_attempt(checkout["id"], 0, "declined")
    second = psp.new_attempt(checkout["id"])
    assert second.status_code == 201, second.text
    attempt = second.json()["attempts"][-1]
    assert (attempt["id"], attempt["status"]) == (f"{checkout['id']}.2", "open")
    assert attempt["deepLink"] != checkout["deepLink"]

    psp.tap(attempt, "Declined")
    psp.wait_for_attempt(checkout["id"], 1, "declined")
    third = psp.new_attempt(checkout["id"]).json()["attempts"][-1]
    psp.tap(third, "Approved")
    final = psp.wait_for(checkout["id"], "approved")

    assert [a["status"] for a in final["attempts"]] == ["declined", "declined", "approved"]
    assert final["haloReference"] == third["haloReference"]
    failed = received(sink, checkout["id"], "checkout.attempt_failed", 2)
    # Signed to the PSP, and the same event in its feed (GET /v1/events/{webhook-id}).
    feed = [psp.api.get(f"/v1/events/{r['webhookId']}").json()["data"] for r in failed]
    assert [(r["verified"], data["attemptsLeft"]) for r, data in zip(failed, feed, strict=True)] == [
        (True, 2),
        (True, 1),
    ]
    assert len(received(sink, checkout["id"], "checkout.approved", 1)) == 1


def test_a_second_approval_is_refunded_in_full_and_the_first_kept(psp, sink):
    checkout = psp.open_checkout(maxAttempts=2, amount="80.00")
    psp.tap(checkout, "Declined")
    psp.wait_for_attempt(checkout["id"], 0, "declined")
    second = psp.new_attempt(checkout["id"]).json()["attempts"][-1]
    psp.tap(second, "Approved")
    kept = psp.wait_for(checkout["id"], "approved")["haloTransactionId"]
    # The shopper's first link, tapped again after all: Halo approves it too.
    first_tap = psp.tap(checkout, "Approved")
    assert first_tap["disposition"] == "Approved"
    shown = psp.wait_for_attempt(checkout["id"], 0, "refunded")

    assert (shown["status"], shown["haloTransactionId"], shown["amountRefunded"]) == (
        "approved",
        kept,
        "0.00",
    )
    [refund] = shown["refunds"]
    assert (refund["reason"], refund["amount"], refund["status"]) == (
        "duplicate_payment",
        "80.00",
        "succeeded",
    )
    assert refund["haloTransactionId"] not in (None, kept)
    [event] = received(sink, checkout["id"], "refund.succeeded", 1)
    data = psp.api.get(f"/v1/events/{event['webhookId']}").json()["data"]
    assert (event["verified"], data["id"], data["reason"]) == (True, refund["id"], "duplicate_payment")


def test_a_new_attempt_while_the_current_is_open_and_one_past_the_last_are_refused(psp):
    checkout = psp.open_checkout(maxAttempts=2)
    refused = psp.new_attempt(checkout["id"])
    assert (refused.status_code, refused.json()["code"]) == (409, "attempt_not_allowed")
    psp.tap(checkout, "Declined")
    psp.wait_for_attempt(checkout["id"], 0, "declined")
    assert psp.new_attempt(checkout["id"]).status_code == 201
    exhausted = psp.new_attempt(checkout["id"])
    assert (exhausted.status_code, exhausted.json()["code"]) == (409, "attempts_exhausted")
