"""Refunds over the running devstack: the API, Halo's simulator, reconciliation's retries and the PSP's sink."""

from __future__ import annotations

import concurrent.futures
import time
import uuid

import pytest

from devstack.config import DEFAULT_AUTOREFUND_API_KEY
from tests.e2e.client import Psp

pytestmark = pytest.mark.e2e


@pytest.fixture
def sim_config(psp):
    yield psp.sim
    psp.sim.post("/_sim/config", json={"refundWindowSeconds": None})


def approved_checkout(psp, amount="100.00"):
    checkout = psp.open_checkout(amount=amount)
    psp.tap(checkout, "Approved")
    return psp.wait_for(checkout["id"], "approved")


def refund(psp, checkout_id, **body):
    return psp.api.post(
        f"/v1/checkouts/{checkout_id}/refunds", json={"reference": f"rf-{uuid.uuid4().hex[:8]}", **body}
    )


def refund_events(sink, checkout_id):
    return [
        r
        for r in sink.get("/_sink/received").json()
        if r["checkoutId"] == checkout_id and r["type"].startswith("refund.")
    ]


def wait_refund(psp, checkout_id, refund_id, status, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        found = psp.api.get(f"/v1/checkouts/{checkout_id}/refunds/{refund_id}").json()
        if found["status"] == status or time.monotonic() > deadline:
            assert found["status"] == status, (found, psp.devstack.log_tail())
            return found
        time.sleep(0.2)


def test_a_full_refund_is_made_at_halo_and_notified(psp, sink, settle):
    checkout = approved_checkout(psp)
    response = refund(psp, checkout["id"])
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "succeeded"
    assert response.headers["location"] == f"/v1/checkouts/{checkout['id']}/refunds/{created['id']}"
    made = [r for r in psp.sim.get("/_sim/refunds").json() if r["refundReference"] == created["id"]]
    assert made == [
        {
            "refundReference": created["id"],
            "transactionId": checkout["haloTransactionId"],
            "amount": "100.00",
            "haloReference": created["haloReference"],
        }
    ]
    view = psp.get(checkout["id"])
    assert (view["amountRefunded"], [r["id"] for r in view["refunds"]]) == ("100.00", [created["id"]])
    settle()
    [event] = refund_events(sink, checkout["id"])
    assert (event["type"], event["verified"]) == ("refund.succeeded", True)


def test_partial_refunds_down_to_zero_then_the_next_is_refused(psp):
    checkout = approved_checkout(psp)
    for amount in ("30.00", "30.00", "40.00"):
        assert refund(psp, checkout["id"], amount=amount).json()["status"] == "succeeded"
    refused = refund(psp, checkout["id"], amount="0.01")
    assert (refused.status_code, refused.json()["code"], refused.json()["amountRefundable"]) == (
        409,
        "refund_exceeds_amount",
        "0.00",
    )
    assert psp.get(checkout["id"])["amountRefunded"] == "100.00"


def test_ten_concurrent_30_percent_refunds_never_overshoot(psp):
    checkout = approved_checkout(psp)
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: refund(psp, checkout["id"], amount="30.00"), range(10)))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [409] * 7
    view = psp.get(checkout["id"])
    assert len([r for r in view["refunds"] if r["status"] != "failed"]) == 3
    assert view["amountRefunded"] == "90.00"
    at_halo = {r["refundReference"] for r in psp.sim.get("/_sim/refunds").json()}
    assert len(at_halo & {r["id"] for r in view["refunds"]}) == 3


@pytest.mark.parametrize("mode", ["timeout", "error500", "malformed", "slow"])
def test_a_refund_made_during_a_halo_fault_succeeds_once_it_clears(psp, sink, settle, mode):
    checkout = approved_checkout(psp)
    assert psp.sim.post("/_sim/faults", json={"mode": mode, "count": 1, "calls": "refund"}).status_code == 200
    response = refund(psp, checkout["id"])
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == ("succeeded" if mode == "slow" else "pending")
    wait_refund(psp, checkout["id"], created["id"], "succeeded")
    settle()
    made = [r for r in psp.sim.get("/_sim/refunds").json() if r["refundReference"] == created["id"]]
    assert len(made) == 1  # Halo refunded once, however often it was asked
    calls = [
        r
        for r in psp.sim.get("/_sim/requests").json()
        if (r["json"] or {}).get("refundReference") == created["id"]
    ]
    assert len(calls) == (1 if mode == "slow" else 2)
    assert [e["type"] for e in refund_events(sink, checkout["id"])] == ["refund.succeeded"]
    assert psp.get(checkout["id"])["amountRefunded"] == "100.00"


def test_halo_212_fails_the_refund_as_too_late(psp, sim_config, sink, settle):
    checkout = approved_checkout(psp)
    sim_config.post("/_sim/config", json={"refundWindowSeconds": 0})
    response = refund(psp, checkout["id"])
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["failure"]["code"]) == ("failed", "refund_too_late")
    settle()
    assert [e["type"] for e in refund_events(sink, checkout["id"])] == ["refund.failed"]
    assert psp.get(checkout["id"])["amountRefunded"] == "0.00"


def test_the_reference_replays_with_the_same_body_and_is_409_with_another(psp):
    checkout = approved_checkout(psp)
    first = refund(psp, checkout["id"], reference="same", amount="10.00")
    again = refund(psp, checkout["id"], reference="same", amount="10.00")
    other = refund(psp, checkout["id"], reference="same", amount="20.00")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert (other.json()["code"], other.json()["refundId"]) == ("refund_reference_used", first.json()["id"])


def test_a_late_approval_is_refunded_in_full_for_the_autorefund_client(devstack, psp, sink, settle):
    autorefund = Psp(devstack)
    autorefund.api.headers["Authorization"] = f"Bearer {DEFAULT_AUTOREFUND_API_KEY}"
    checkout = autorefund.open_checkout(amount="75.00")
    assert autorefund.api.post(f"/v1/checkouts/{checkout['id']}/cancel").status_code == 200
    autorefund.tap(checkout, "Approved")
    deadline = time.monotonic() + 30
    while (view := autorefund.get(checkout["id"]))[
        "amountRefunded"
    ] != "75.00" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (view["status"], view["amountRefunded"], view["amount"]) == ("approved", "75.00", "75.00")
    assert [(r["reference"], r["status"]) for r in view["refunds"]] == [("late-approval", "succeeded")]
    settle()
    types = [
        r["type"]
        for r in sink.get("/_sink/received").json()
        if r["checkoutId"] == checkout["id"] and r["status"] == 204
    ]
    # Each delivered exactly once. They are queued approval first; parallel delivery does not promise order.
    assert sorted(types) == ["checkout.approved", "checkout.cancelled", "refund.succeeded"]
