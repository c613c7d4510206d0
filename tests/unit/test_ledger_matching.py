"""The daily ledger's rules: each Halo record or halotap item lands in one class; the day's money adds up."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from halotap.domain.halo import HaloLedgerEntry, Settlement
from halotap.domain.ledger import (
    CSV_HEADER,
    Kind,
    LedgerTally,
    checkout_id_of,
    classify_payment,
    classify_refund,
    missing_payment,
    missing_refund,
)
from halotap.domain.models import Attempt, Checkout, Refund, RefundStatus
from halotap.domain.states import CheckoutStatus, Disposition

AT = "2026-12-07T10:00:00.000Z"
CHECKOUT_ID = "chk_" + "a" * 26
REFUND_ID = "rfd_" + "b" * 26


def checkout(status=CheckoutStatus.APPROVED, amount="10.00", currency="ZAR", halo_id="halo-tx-1", **extra):
    return Checkout(
        id=extra.pop("id", CHECKOUT_ID),
        client_id="psp",
        merchant_id="demo-merchant",
        reference="order-1",
        amount=amount,
        currency=currency,
        status=status,
        halo_transaction_id=halo_id,
        expires_at=AT,
        created_at=AT,
        updated_at=AT,
        **extra,
    )


def refund(status=RefundStatus.SUCCEEDED, amount="4.00", currency="ZAR"):
    return Refund(
        id=REFUND_ID,
        checkout_id=CHECKOUT_ID,
        amount=amount,
        currency=currency,
        reference="r-1",
        status=status,
        created_at=AT,
        updated_at=AT,
    )


def entry(
    disposition="Approved",
    amount="10.00",
    currency="ZAR",
    reference=CHECKOUT_ID,
    kind="Purchase",
    fee=None,
    id="halo-tx-1",
):
    return HaloLedgerEntry(
        id=id,
        transaction_type=kind,
        merchant_reference=reference,
        disposition=disposition,
        amount=Decimal(amount),
        currency=currency,
        created_at=datetime(2026, 12, 7, 10, tzinfo=UTC),
        original_transaction_id="halo-tx-1" if kind == "Refund" else None,
        settlement=Settlement("recon-1", "20261207", "100000", Decimal(fee) if fee else None),
    )


# -- payments ------------------------------------------------------------------------------------------


def test_a_payment_both_sides_approved_for_the_same_amount_is_matched():
    assert classify_payment(entry(), checkout()).kind is Kind.MATCHED


def test_an_approved_halo_payment_halotap_does_not_know_is_missing_in_halotap():
    line = classify_payment(entry(), None)
    assert line.kind is Kind.MISSING_IN_HALOTAP
    assert line.checkout_id == CHECKOUT_ID


def test_a_declined_halo_payment_halotap_does_not_know_is_no_difference():
    assert classify_payment(entry("Declined"), None).kind is Kind.NOT_COMPARED


def test_an_approved_checkout_halo_did_not_show_is_missing_at_halo():
    line = missing_payment(checkout())
    assert (line.kind, line.type, line.halotap_amount) == (Kind.MISSING_AT_HALO, "payment", Decimal("10.00"))


def test_different_amounts_are_an_amount_mismatch_naming_both():
    line = classify_payment(entry(amount="10.00"), checkout(amount="12.00"))
    assert line.kind is Kind.AMOUNT_MISMATCH
    assert line.difference() == {
        "kind": "amount_mismatch",
        "type": "payment",
        "checkoutId": CHECKOUT_ID,
        "haloTransactionId": "halo-tx-1",
        "haloAmount": "10.00",
        "halotapAmount": "12.00",
        "currency": "ZAR",
        "haloStatus": "Approved",
        "halotapStatus": "approved",
    }


def test_a_different_currency_is_an_amount_mismatch():
    assert classify_payment(entry(currency="USD"), checkout()).kind is Kind.AMOUNT_MISMATCH


@pytest.mark.parametrize(
    ("disposition", "status"),
    [
        ("Approved", CheckoutStatus.EXPIRED),
        ("Approved", CheckoutStatus.DECLINED),
        ("Approved", CheckoutStatus.CANCELLED),
        ("Voided", CheckoutStatus.APPROVED),
        ("Declined", CheckoutStatus.APPROVED),
    ],
)
def test_different_money_outcomes_are_a_status_mismatch_carrying_halos_disposition(disposition, status):
    line = classify_payment(entry(disposition), checkout(status=status, halo_id="halo-tx-1"))
    assert line.kind is Kind.STATUS_MISMATCH
    assert line.halo_disposition is Disposition.parse(disposition)


def test_two_ways_of_not_being_paid_are_the_same_outcome():
    assert classify_payment(entry("Declined"), checkout(status=CheckoutStatus.EXPIRED)).kind is Kind.MATCHED


def test_a_declined_earlier_attempt_of_a_checkout_approved_by_another_transaction_is_no_difference():
    line = classify_payment(entry("Declined", id="halo-tx-0"), checkout(halo_id="halo-tx-1"))
    assert line.kind is Kind.NOT_COMPARED


def test_an_attempt_suffix_is_stripped_to_find_the_checkout():
    assert checkout_id_of(f"{CHECKOUT_ID}.2") == CHECKOUT_ID
    assert checkout_id_of(CHECKOUT_ID) == CHECKOUT_ID
    assert checkout_id_of("order.v2") == "order.v2"  # not halotap's: kept, so the report shows it


def _approved_twice(duplicate_refund):
    return checkout(
        halo_id="halo-tx-2",
        attempts=(
            Attempt(
                id=CHECKOUT_ID,
                status="refunded",
                created_at=AT,
                halo_transaction_id="halo-tx-1",
                duplicate_refund=duplicate_refund,
            ),
            Attempt(id=f"{CHECKOUT_ID}.2", status="approved", created_at=AT, halo_transaction_id="halo-tx-2"),
        ),
    )


def test_a_second_approval_halotap_refunded_as_a_duplicate_is_matched_whichever_comes_first():
    twice = _approved_twice(duplicate_refund=REFUND_ID)
    assert classify_payment(entry(id="halo-tx-1"), twice).kind is Kind.MATCHED
    assert classify_payment(entry(id="halo-tx-2", reference=f"{CHECKOUT_ID}.2"), twice).kind is Kind.MATCHED


def test_a_second_approval_halotap_did_not_refund_is_money_taken_twice():
    twice = _approved_twice(duplicate_refund=None)
    line = classify_payment(entry(id="halo-tx-1"), twice)
    assert (line.kind, line.checkout_id) == (Kind.MISSING_IN_HALOTAP, CHECKOUT_ID)
    assert classify_payment(entry(id="halo-tx-2", reference=f"{CHECKOUT_ID}.2"), twice).kind is Kind.MATCHED


# -- refunds -------------------------------------------------------------------------------------------


def test_a_refund_both_sides_succeeded_for_the_same_amount_is_matched():
    line = classify_refund(entry(amount="4.00", kind="Refund", reference=REFUND_ID), refund())
    assert (line.kind, line.type, line.refund_id) == (Kind.MATCHED, "refund", REFUND_ID)


def test_a_halo_refund_halotap_does_not_know_is_missing_in_halotap():
    line = classify_refund(entry(amount="4.00", kind="Refund", reference=REFUND_ID), None)
    assert (line.kind, line.type, line.refund_id) == (Kind.MISSING_IN_HALOTAP, "refund", REFUND_ID)


def test_a_succeeded_refund_halo_did_not_show_is_missing_at_halo():
    line = missing_refund(refund())
    assert (line.kind, line.type, line.refund_id, line.checkout_id) == (
        Kind.MISSING_AT_HALO,
        "refund",
        REFUND_ID,
        CHECKOUT_ID,
    )


def test_a_refund_of_another_amount_is_an_amount_mismatch():
    line = classify_refund(entry(amount="5.00", kind="Refund", reference=REFUND_ID), refund())
    assert line.kind is Kind.AMOUNT_MISMATCH


@pytest.mark.parametrize(
    ("disposition", "status"), [("Approved", RefundStatus.FAILED), ("Declined", RefundStatus.SUCCEEDED)]
)
def test_a_refund_whose_outcomes_differ_is_a_status_mismatch(disposition, status):
    line = classify_refund(
        entry(disposition, amount="4.00", kind="Refund", reference=REFUND_ID), refund(status)
    )
    assert line.kind is Kind.STATUS_MISMATCH


# -- the day's tally -----------------------------------------------------------------------------------


def test_totals_are_per_currency_and_net_is_approved_less_refunded_less_fees():
    tally = LedgerTally()
    tally.add(classify_payment(entry(amount="100.00", fee="2.50"), checkout(amount="100.00")))
    tally.add(classify_payment(entry(amount="50.00", id="halo-tx-9", reference="chk_other"), None))
    tally.add(classify_refund(entry(amount="4.00", kind="Refund", reference=REFUND_ID, fee="0.10"), refund()))
    tally.add(
        classify_payment(
            entry(amount="20.00", currency="USD", fee="1.00"), checkout(amount="20.00", currency="USD")
        )
    )
    summary = tally.summary()
    assert summary["totals"] == {
        "USD": {
            "haloApproved": "20.00",
            "halotapApproved": "20.00",
            "refunded": "0.00",
            "fees": "1.00",
            "net": "19.00",
        },
        "ZAR": {
            "haloApproved": "150.00",
            "halotapApproved": "100.00",
            "refunded": "4.00",
            "fees": "2.60",
            "net": "143.40",
        },
    }
    assert summary["counts"] == {
        "matched": 3,
        "missing_in_halotap": 1,
        "missing_at_halo": 0,
        "amount_mismatch": 0,
        "status_mismatch": 0,
    }
    assert summary["sums"]["matched"] == {"USD": "20.00", "ZAR": "104.00"}
    assert summary["sums"]["missing_in_halotap"] == {"ZAR": "50.00"}


def test_a_currency_without_minor_units_is_written_without_decimals():
    tally = LedgerTally()
    tally.add(classify_payment(entry(amount="1500", currency="JPY"), None))
    assert tally.summary()["totals"]["JPY"]["haloApproved"] == "1500"


def test_only_differences_are_kept_and_past_the_bound_they_are_counted_as_cut():
    tally = LedgerTally(max_differences=2)
    tally.add(classify_payment(entry(), checkout()))
    for _ in range(5):
        tally.add(missing_payment(checkout()))
    report = tally.report()
    assert len(report["differences"]) == 2
    assert report["differencesCut"] == 3
    assert report["counts"]["missing_at_halo"] == 5
    assert tally.difference_count == 5


def test_a_record_not_compared_is_counted_apart_from_the_classes():
    tally = LedgerTally()
    tally.add(classify_payment(entry("Declined"), None))
    summary = tally.summary()
    assert summary["notCompared"] == 1
    assert sum(summary["counts"].values()) == 0
    assert tally.difference_count == 0


def test_every_csv_line_carries_the_class_and_the_settlement_keys():
    row = classify_payment(entry(fee="2.50"), checkout()).csv_row()
    assert len(row) == len(CSV_HEADER)
    named = dict(zip(CSV_HEADER, row, strict=True))
    assert named["class"] == "matched"
    assert (
        named["reconReference"],
        named["acquirerDate"],
        named["acquirerTime"],
        named["transactionFee"],
    ) == (
        "recon-1",
        "20261207",
        "100000",
        "2.50",
    )
