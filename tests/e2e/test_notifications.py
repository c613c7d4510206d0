"""PSP notifications over the running devstack: the sink verifies with the standardwebhooks library."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


def received(sink, checkout_id):
    return [r for r in sink.get("/_sink/received").json() if r["checkoutId"] == checkout_id]


def wait_received(sink, checkout_id, count, timeout=60.0):
    """What the sink received for the checkout once at least `count` arrived (or when `timeout` ran out)."""
    deadline = time.monotonic() + timeout
    while len(received(sink, checkout_id)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return received(sink, checkout_id)


def queued(sent):
    """The simulator's answer to a tap: every webhook reached halotap and was queued (200)."""
    return [webhook["status"] for webhook in sent["webhooks"]]


def test_an_approval_reaches_the_psp_signed_and_verified(psp, sink):
    checkout = psp.open_checkout()
    psp.tap(checkout, "Approved")
    [entry] = wait_received(sink, checkout["id"], 1)
    assert (entry["type"], entry["verified"], entry["attempt"]) == ("checkout.approved", True, 1)
    state = psp.wait_for(checkout["id"], "approved")["notifications"]
    assert state[0]["eventId"] == entry["webhookId"]


def test_a_sink_that_fails_then_recovers_gets_exactly_one_delivery_with_one_webhook_id(psp, sink, settle):
    sink.post("/_sink/faults", json={"status": 503, "count": 2})
    checkout = psp.open_checkout()
    assert queued(psp.tap(checkout, "Declined")) == [200]
    entries = wait_received(sink, checkout["id"], 3)
    assert [e["status"] for e in entries] == [503, 503, 204]
    assert len({e["webhookId"] for e in entries}) == 1
    assert all(e["verified"] for e in entries)
    settle()  # no notification is left queued, in flight or postponed for a retry
    assert len(received(sink, checkout["id"])) == 3  # nothing after the delivery
    notification = psp.get(checkout["id"])["notifications"][0]
    assert (notification["status"], notification["attempts"]) == ("delivered", 3)


def test_410_stops_the_retries(psp, sink, settle):
    sink.post("/_sink/faults", json={"status": 410, "count": 1})
    checkout = psp.open_checkout()
    assert queued(psp.tap(checkout, "Approved")) == [200]
    wait_received(sink, checkout["id"], 1)
    settle()  # a retry would be the notification postponed on its queue: there is none
    assert [e["status"] for e in received(sink, checkout["id"])] == [410]
    assert psp.get(checkout["id"])["notifications"][0]["status"] == "gone"


def test_a_duplicate_halo_webhook_makes_no_second_notification(psp, sink, settle):
    checkout = psp.open_checkout()
    assert queued(psp.tap(checkout, "Approved", times=2)) == [200, 200]  # both copies are on the queue
    wait_received(sink, checkout["id"], 1)
    settle()  # both copies applied, every notification they caused delivered
    [entry] = received(sink, checkout["id"])
    assert (entry["type"], entry["status"], entry["attempt"]) == ("checkout.approved", 204, 1)
    [notification] = psp.get(checkout["id"])["notifications"]
    assert (notification["eventId"], notification["status"]) == (entry["webhookId"], "delivered")


def test_a_cancellation_is_notified(psp, sink):
    checkout = psp.open_checkout()
    psp.api.post(f"/v1/checkouts/{checkout['id']}/cancel")
    [entry] = wait_received(sink, checkout["id"], 1)
    assert entry["type"] == "checkout.cancelled"


def test_an_exhausted_notification_lands_in_the_dlq_and_one_redrive_delivers_it_once(
    psp, sink, devstack, settle
):
    import os
    import subprocess
    import sys

    sink.post("/_sink/faults", json={"status": 503, "count": 5})  # the devstack schedule makes 5 attempts
    checkout = psp.open_checkout()
    assert queued(psp.tap(checkout, "Approved")) == [200]
    psp.wait_for(checkout["id"], "approved")
    deadline = time.monotonic() + 60
    while psp.get(checkout["id"])["notifications"][0]["status"] != "failed":
        assert time.monotonic() < deadline, psp.get(checkout["id"])
        time.sleep(0.5)
    settle()  # parked in the DLQ, so no sixth attempt is on its way
    assert [e["status"] for e in received(sink, checkout["id"])] == [503] * 5

    env = {**os.environ, "HALOTAP_MOTO_PORT": str(devstack.config.moto_port)}
    command = [sys.executable, "-m", "tools.notifications_cli"]
    listed = subprocess.run(
        [*command, "list-dlq", "--devstack", "--json"], env=env, capture_output=True, text=True, check=True
    )
    assert checkout["id"] in listed.stdout
    redriven = subprocess.run(
        [*command, "redrive", "--all", "--devstack"], env=env, capture_output=True, text=True, check=False
    )
    assert redriven.returncode == 0, (redriven.stdout, redriven.stderr)

    entries = wait_received(sink, checkout["id"], 6)
    assert [e["status"] for e in entries] == [503] * 5 + [204]
    assert len({e["webhookId"] for e in entries}) == 1
    settle()  # the redriven copy is delivered and deleted; nothing else is queued
    assert len(received(sink, checkout["id"])) == 6  # delivered once, never again
    assert psp.get(checkout["id"])["notifications"][0]["status"] == "delivered"
