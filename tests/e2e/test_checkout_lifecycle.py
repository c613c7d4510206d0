"""The whole lifecycle over real HTTP: API emulator, real handlers, moto server, Halo simulator."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

pytestmark = pytest.mark.e2e


def transitions(checkout):
    return [(e.get("from"), e.get("to")) for e in checkout["history"] if e["type"] == "status_changed"]


def test_create_tap_and_read_the_approved_outcome(psp):
    checkout = psp.open_checkout()
    assert checkout["status"] == "open"
    assert checkout["deepLink"].startswith("https://")
    assert checkout["payUrl"] == f"{psp.devstack.api_url}/pay/{checkout['id']}"
    psp.tap(checkout, "Approved")
    final = psp.wait_for(checkout["id"], "approved")
    assert final["outcome"]["disposition"] == "Approved"
    assert final["outcome"]["responseCode"] == "0"
    assert len(final["outcome"]["authorisationCode"]) == 8
    assert transitions(final) == [("creating", "open"), ("open", "approved")]


def test_a_forged_host_header_cannot_move_the_pay_url(psp):
    body = {
        "merchantId": "demo-merchant",
        "reference": "e2e-forged-host",
        "amount": "1.00",
        "currency": "ZAR",
    }
    response = psp.api.post("/v1/checkouts", json=body, headers={"Host": "pay.evil.example"})
    assert response.status_code == 201, response.text
    checkout = response.json()
    assert checkout["payUrl"] == f"{psp.devstack.api_url}/pay/{checkout['id']}"


def test_find_a_checkout_by_the_psps_reference(psp):
    checkout = psp.open_checkout()
    response = psp.api.get(
        "/v1/checkouts", params={"merchantId": "demo-merchant", "reference": checkout["reference"]}
    )
    assert response.json()["id"] == checkout["id"]


def test_duplicate_webhooks_leave_one_history_entry(psp, settle):
    checkout = psp.open_checkout()
    sent = psp.tap(checkout, "Declined", times=3)
    assert [webhook["status"] for webhook in sent["webhooks"]] == [200] * 3  # all three copies are queued
    psp.wait_for(checkout["id"], "declined")
    settle()  # every copy has been applied: none is left on the queue, in flight or postponed
    assert transitions(psp.get(checkout["id"])) == [("creating", "open"), ("open", "declined")]


def test_concurrent_webhooks_make_exactly_one_transition(psp, devstack, settle):
    checkout = psp.open_checkout()
    psp.tap(checkout, "Approved", webhook=False)
    url = f"{devstack.api_url}/v1/halo/webhooks/{devstack.webhook_token}"
    payload = {
        "merchantReference": checkout["id"],
        "disposition": "Approved",
        "haloReference": checkout["haloReference"],
    }
    barrier = threading.Barrier(10)
    answers = []

    def send():
        barrier.wait()
        answers.append(httpx.post(url, json=payload, timeout=30).status_code)

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 10  # every copy was queued before halotap answered
    psp.wait_for(checkout["id"], "approved")
    settle()  # every queued copy has been applied
    assert transitions(psp.get(checkout["id"])) == [("creating", "open"), ("open", "approved")]


def test_a_wrong_webhook_token_stores_nothing(psp, devstack, settle):
    checkout = psp.open_checkout()
    before = psp.get(checkout["id"])
    response = httpx.post(
        f"{devstack.api_url}/v1/halo/webhooks/not-the-token",
        json={"merchantReference": checkout["id"], "disposition": "Approved"},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    settle()  # had the webhook been queued after all, it would have been applied by now
    assert psp.get(checkout["id"]) == before


def test_a_malformed_request_is_a_400_naming_the_field(psp):
    response = psp.create(amount=149.99)
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid_request"
    assert [e["field"] for e in problem["errors"]] == ["amount"]


def test_a_merchant_outside_the_clients_scope_is_404(psp):
    response = psp.create(merchantId="someone-elses-merchant")
    assert (response.status_code, response.json()["code"]) == (404, "merchant_not_found")


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("timeout", 504, "halo_timeout"),
        ("error500", 502, "halo_unavailable"),
        ("malformed", 502, "halo_bad_response"),
    ],
)
def test_every_halo_fault_is_its_problem_and_leaves_no_open_checkout(psp, mode, status, code):
    assert psp.sim.post("/_sim/faults", json={"mode": mode, "count": 1, "calls": "create"}).status_code in (
        200,
        201,
    )
    reference = f"fault-{mode}-{time.monotonic_ns()}"
    response = psp.create(reference=reference)
    assert (response.status_code, response.json()["code"]) == (status, code)
    sent = [r for r in psp.sim.get("/_sim/requests").json() if (r["json"] or {}).get("paymentReference")]
    checkout_id = sent[-1]["json"]["paymentReference"]
    failed = psp.get(checkout_id)
    assert (failed["status"], failed["failure"]["code"]) == ("failed", code)
    assert "deepLink" not in failed
    retry = psp.create(reference=reference)  # the reference is free again
    assert retry.status_code == 201


def test_the_slow_fault_still_succeeds_within_the_timeouts(psp):
    psp.sim.post("/_sim/faults", json={"mode": "slow", "count": 1, "calls": "create"})
    assert psp.create().status_code == 201


def test_an_idempotent_create_replays_and_rejects_a_changed_body(psp):
    first = psp.create(reference="idem-e2e", idempotency_key="e2e-key-1")
    again = psp.create(reference="idem-e2e", idempotency_key="e2e-key-1")
    changed = psp.create(reference="idem-e2e", amount="1.00", idempotency_key="e2e-key-1")
    assert (first.status_code, again.status_code, changed.status_code) == (201, 201, 422)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_cancel_an_open_checkout(psp):
    checkout = psp.open_checkout()
    response = psp.api.post(f"/v1/checkouts/{checkout['id']}/cancel")
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert psp.api.post(f"/v1/checkouts/{checkout['id']}/cancel").status_code == 409
