"""Halo's webhook: intake (token, shape, queue) and apply (find, confirm with Halo, decide, conditional write).

Applying runs the production path: every webhook is confirmed with Halo's status endpoint (FakeHalo), so a
test first makes FakeHalo know the outcome it reports, as the real Halo would by the time it calls us.
"""

from __future__ import annotations

import json

import pytest

from functions.apply_halo_event import handler as apply_handler
from functions.create_checkout import handler as create_handler
from halotap.app.checkouts import Caller
from tests.fakes import FakeLambdaContext, api_event, sqs_event

BODY = {"merchantId": "demo-merchant", "reference": "order-7", "amount": "25.50", "currency": "ZAR"}
# What FakeHalo's status endpoint answers for an approval; the webhook for the same payment says the same.
HALO_AUTHORISATION_CODE = "A1B2C3D4"


@pytest.fixture
def checkout(services, halo):
    answer = create_handler.handler(
        api_event("POST", "/v1/checkouts", body=BODY), FakeLambdaContext(), services=services
    )
    created = json.loads(answer["body"])
    # Halo's transaction id for this payment is the one its webhooks carry as "id".
    halo.transactions[created["haloReference"]]["transactionId"] = "txn-1"
    return created


def halo_payload(checkout, disposition="Approved", **fields):
    return {
        "id": "txn-1",
        "merchantReference": checkout["id"],
        "disposition": disposition,
        "authorisationCode": HALO_AUTHORISATION_CODE,
        "amount": 25.5,
        "currency": "ZAR",
        "haloReference": checkout["haloReference"],
        **fields,
    }


def apply(services, *payloads):
    bodies = [json.dumps({"receivedAt": "2026-01-01T00:00:00Z", "payload": json.dumps(p)}) for p in payloads]
    return apply_handler.handler(sqs_event(*bodies), FakeLambdaContext(), services=services)


def read(services, checkout):
    return services.store.get(checkout["id"])


# -- apply -------------------------------------------------------------------------------------


def test_duplicates_and_out_of_order_events_leave_one_history_entry_per_real_change(services, halo, checkout):
    approved, declined, voided = (halo_payload(checkout, d) for d in ("Approved", "Declined", "Voided"))
    halo.tap(checkout["haloReference"], "Approved")
    apply(services, approved, approved)
    # The worst case for the rules: Halo's own status reads as each late or repeated event says when it
    # is confirmed, so every event is applied as reported (no webhook/Halo mismatch muddies the history).
    for event in (voided, approved, voided, declined, declined):
        halo.tap(checkout["haloReference"], event["disposition"])
        apply(services, event)
    stored = read(services, checkout)
    assert stored.status == "voided"
    changes = [(e.from_status, e.to_status) for e in stored.history if e.type == "status_changed"]
    assert changes == [("creating", "open"), ("open", "approved"), ("approved", "voided")]
    anomalies = [e.disposition for e in stored.history if e.type == "anomaly"]
    assert anomalies == ["Declined"]  # recorded once, however often it repeats


def test_a_decline_after_approval_is_an_anomaly_that_keeps_the_money(services, halo, checkout):
    halo.tap(checkout["haloReference"], "Approved")
    apply(services, halo_payload(checkout, "Approved"))
    halo.tap(checkout["haloReference"], "Declined")  # Halo itself now says Declined
    apply(services, halo_payload(checkout, "Declined"))
    stored = read(services, checkout)
    assert stored.status == "approved"
    assert stored.history[-1].type == "anomaly"


def test_money_wins_over_a_cancellation_and_is_flagged(services, halo, checkout):
    services.checkouts.cancel(Caller("demo-psp", frozenset({"demo-merchant"})), checkout["id"])
    halo.tap(checkout["haloReference"], "Approved")  # the shopper tapped before the cancel reached us
    apply(services, halo_payload(checkout, "approved"))
    stored = read(services, checkout)
    assert stored.status == "approved"
    assert stored.replaced_status == "cancelled"


def test_a_queued_webhook_that_can_never_parse_is_dropped_not_retried(services, halo, checkout):
    halo.tap(checkout["haloReference"], "Approved")
    bodies = [
        json.dumps({"receivedAt": "2026-01-01T00:00:00Z", "payload": raw})
        for raw in (
            "[" * 1000 + "]" * 1000,
            json.dumps(halo_payload(checkout, amount="sNaN")),
            json.dumps(halo_payload(checkout, amount=float("nan"))),  # json.dumps writes the constant NaN
        )
    ]
    assert apply_handler.handler(sqs_event(*bodies), FakeLambdaContext(), services=services) == {
        "batchItemFailures": []
    }
    # The sNaN amount is ignored, not fatal: Halo's word still settles the checkout.
    assert read(services, checkout).status == "approved"


def test_the_halo_reference_finds_a_checkout_when_merchant_reference_does_not(services, halo, checkout):
    halo.tap(checkout["haloReference"], "Approved")
    apply(services, halo_payload(checkout, merchantReference="psp-ref-unknown-to-us"))
    assert read(services, checkout).status == "approved"


def test_an_event_for_no_known_checkout_is_dropped_without_failing_the_batch(services, halo, checkout):
    halo.tap(checkout["haloReference"], "Approved")
    ghost = halo_payload(checkout, merchantReference="chk_ghost", haloReference="ghost", id="ghost")
    result = apply(services, ghost, halo_payload(checkout))
    assert result == {"batchItemFailures": []}
    assert read(services, checkout).status == "approved"
