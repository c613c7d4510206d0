"""The stored checkout is plain dataclasses (domain/models.py): what is written reads back the same, as
DynamoDB hands it back (numbers as Decimal), and what Halo claimed is cut to size on the way in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from halotap.domain.models import (
    MAX_HISTORY_TEXT,
    MAX_OUTCOME_TEXT,
    Checkout,
    HistoryEntry,
    NotificationState,
    Outcome,
    Refund,
    RefundFailure,
    RefundStatus,
    wire_name,
)
from halotap.domain.states import CheckoutStatus
from halotap.domain.views import refund_view

AT = "2026-11-27T12:00:00.000Z"


def as_dynamodb_returns(value: Any) -> Any:
    """boto3's deserializer gives every number back as a Decimal."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, dict):
        return {key: as_dynamodb_returns(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_dynamodb_returns(item) for item in value]
    return value


def a_checkout() -> Checkout:
    refund = Refund(
        id="rfd_1",
        checkout_id="chk_1",
        amount="1.00",
        currency="ZAR",
        reference="refund-1",
        status=RefundStatus.FAILED,
        failure=RefundFailure(code="refund_too_late", message="Halo: Refund Too Late"),
        created_at=AT,
        updated_at=AT,
        attempts=2,
    )
    return Checkout(
        id="chk_1",
        client_id="psp",
        merchant_id="m",
        reference="order-1",
        amount="10.00",
        currency="ZAR",
        status=CheckoutStatus.APPROVED,
        deep_link="https://go.example/x",
        metadata={"order": "1"},
        outcome=Outcome(disposition="Approved", authorisation_code="A1", decided_at=AT),
        notifications={
            "evt_chk_1_3": NotificationState(
                type="checkout.approved", status="retrying", attempts=3, created_at=AT, last_status=503
            )
        },
        expires_at=AT,
        created_at=AT,
        updated_at=AT,
        history=(
            HistoryEntry(at=AT, type="created", source="api", to_status="creating"),
            HistoryEntry(
                at=AT, type="status_changed", source="reconcile", from_status="open", to_status="approved"
            ),
        ),
        version=4,
        checks=1,
        refunds={"rfd_1": refund},
        refund_references={"refund-1": "rfd_1"},
        reserved_minor=100,
        refund_count=1,
    )


def test_a_checkout_reads_back_as_written_from_what_dynamodb_returns():
    checkout = a_checkout()
    stored = checkout.to_dict()

    read = Checkout.from_dict(as_dynamodb_returns(stored))

    assert read == checkout
    # Decimal(4) == 4, so equality alone would not notice: a Decimal in a response body fails json.dumps.
    counters = (read.version, read.checks, read.reserved_minor, read.notifications["evt_chk_1_3"].attempts)
    assert {type(counter) for counter in counters} == {int}
    assert type(read.refunds["rfd_1"].attempts) is int
    assert read.status is CheckoutStatus.APPROVED
    assert isinstance(read.history[0], HistoryEntry)


def test_stored_names_are_camel_case_and_none_is_left_out():
    stored = a_checkout().to_dict()

    assert "haloReference" not in stored
    assert "failure" not in stored
    assert stored["deepLink"] == "https://go.example/x"
    assert stored["reservedMinor"] == 100
    assert stored["refundReferences"] == {"refund-1": "rfd_1"}
    assert stored["status"] == "approved"
    assert stored["history"][1] == {
        "at": AT,
        "type": "status_changed",
        "source": "reconcile",
        "from": "open",
        "to": "approved",
    }
    assert stored["notifications"]["evt_chk_1_3"]["lastStatus"] == 503
    assert stored["refunds"]["rfd_1"]["failure"] == {
        "code": "refund_too_late",
        "message": "Halo: Refund Too Late",
    }
    assert wire_name("payment_provider_reference") == "paymentProviderReference"


def test_keys_a_newer_release_wrote_do_not_stop_a_checkout_from_reading():
    stored = {**a_checkout().to_dict(), "somethingNew": {"x": 1}}

    assert Checkout.from_dict(stored) == a_checkout()


def test_what_halo_claimed_is_cut_to_size():
    outcome = Outcome(disposition="Approved", response_code="9" * 1000, decided_at=AT)
    entry = HistoryEntry(at=AT, type="anomaly", source="halo_webhook", detail="x" * 10_000)

    assert outcome.response_code is not None
    assert len(outcome.response_code) == MAX_OUTCOME_TEXT
    assert outcome.response_code.endswith("…")
    assert entry.detail is not None
    assert len(entry.detail) == MAX_HISTORY_TEXT


def test_a_refund_shows_no_bookkeeping_on_the_wire():
    refund = a_checkout().refunds["rfd_1"]

    view = refund_view(refund)

    assert "attempts" not in view
    assert "requestedAmount" not in view
    assert "nextAttemptAt" not in view
    assert view["status"] == "failed"


def test_a_counter_that_is_not_a_whole_number_is_refused():
    with pytest.raises(TypeError, match="whole number"):
        Checkout.from_dict({**a_checkout().to_dict(), "version": Decimal("1.5")})


def test_a_copy_changes_only_what_it_names():
    checkout = a_checkout()

    copy = checkout.but(id="chk_2", due_at=AT)

    assert (copy.id, copy.due_at, copy.reference) == ("chk_2", AT, checkout.reference)
    assert checkout.id == "chk_1"
