"""Verify by fetch: a webhook's outcome is applied only as Halo's status endpoint confirms it."""

from __future__ import annotations

import json

import pytest

from functions.apply_halo_event import handler as apply_handler
from halotap.app.checkouts import Caller
from halotap.domain import timing
from halotap.domain.requests import CreateCheckoutRequest
from tests.fakes import FakeLambdaContext, sqs_event

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))


@pytest.fixture
def checkout(services):
    request = CreateCheckoutRequest.validate(
        {"merchantId": "demo-merchant", "reference": "r-1", "amount": "25.50", "currency": "ZAR"}
    )
    return services.checkouts.create(CALLER, request)


def webhook(checkout, disposition="Approved", **fields):
    payload = {
        "id": "txn-9",
        "merchantReference": checkout.id,
        "disposition": disposition,
        "amount": 25.5,
        "currency": "ZAR",
        "haloReference": checkout.halo_reference,
        **fields,
    }
    return json.dumps({"receivedAt": "2026-01-01T00:00:00Z", "payload": json.dumps(payload)})


def apply(services, *bodies, receive_count=1):
    event = sqs_event(*bodies)
    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return event, apply_handler.handler(event, FakeLambdaContext(), services=services)


def test_a_forged_approval_ends_as_halo_says_with_the_mismatch_recorded(services, halo, checkout):
    halo.tap(checkout.halo_reference, "Declined")
    apply(services, webhook(checkout, "Approved"))
    stored = services.store.get(checkout.id)
    assert stored.status == "declined"
    assert stored.outcome.disposition == "Declined"
    [anomaly] = [e for e in stored.history if e.type == "anomaly"]
    assert anomaly.detail == "mismatch: disposition: webhook Approved, Halo Declined"


def test_a_mismatched_amount_is_recorded_even_when_the_disposition_agrees(services, halo, checkout):
    halo.tap(checkout.halo_reference, "Approved")
    apply(services, webhook(checkout, "Approved", amount=1.0))
    stored = services.store.get(checkout.id)
    assert stored.status == "approved"
    assert [e.detail for e in stored.history if e.type == "anomaly"] == [
        "mismatch: amount: webhook 1.0, Halo 25.50"
    ]


def test_a_confirmed_outcome_carries_halos_codes(services, halo, checkout):
    halo.tap(checkout.halo_reference, "Approved")
    apply(services, webhook(checkout))
    outcome = services.store.get(checkout.id).outcome
    assert (outcome.response_code, outcome.authorisation_code) == ("0", "A1B2C3D4")


def test_a_forged_webhook_for_a_reference_halo_does_not_know_changes_nothing(services, halo, checkout):
    del halo.transactions[checkout.halo_reference]  # Halo has never heard of it
    before = services.store.get(checkout.id)
    apply(services, webhook(checkout), receive_count=timing.CONFIRM_ATTEMPTS)
    after = services.store.get(checkout.id)
    assert after == before


def test_a_webhook_for_an_unknown_checkout_does_not_poison_the_batch(services, halo, checkout):
    halo.tap(checkout.halo_reference, "Approved")
    ghost = webhook(checkout, merchantReference="chk_ghost", haloReference="ghost", id="ghost")
    _, result = apply(services, ghost, webhook(checkout))
    assert result["batchItemFailures"] == []
    assert services.store.get(checkout.id).status == "approved"
