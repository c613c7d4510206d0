"""The daily ledger's rules: how one Halo record or one halotap item is classed, and the day's sums. Pure.

Every Halo record of the day, and every approved payment or succeeded refund halotap has for the day that
Halo's records did not name, lands in exactly one class (`Kind`). A Halo record that moves no money and
that halotap does not know (a Declined attempt the shopper retried, say) is no difference: it is a line of
kind `not_compared`, kept in the CSV and counted apart, never in `counts`.

Outcomes are compared by what they mean for money: approved, voided, or not paid (declined, failed,
cancelled, expired and open all mean no money moved). Halo's Declined against halotap's `expired` is
the same outcome; Halo's Approved against halotap's `expired` is a `status_mismatch`, which the use
case heals through the confirmed apply path.

The accumulator (`LedgerTally`) keeps counts and sums only, plus at most `max_differences` difference
lines: memory does not grow with the day (app/ledger.py streams every line to the CSV instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from halotap.domain.attempts import is_refunded_duplicate
from halotap.domain.currencies import MINOR_UNITS
from halotap.domain.halo import HaloLedgerEntry, Settlement
from halotap.domain.models import Checkout, Refund, RefundStatus
from halotap.domain.states import CheckoutStatus, Disposition

NO_SETTLEMENT = Settlement()  # what a halotap item Halo did not show carries
MAX_DIFFERENCES = 10_000  # difference lines kept in the JSON report; the CSV has every line


class Kind(StrEnum):
    MATCHED = "matched"
    MISSING_IN_HALOTAP = "missing_in_halotap"
    MISSING_AT_HALO = "missing_at_halo"
    AMOUNT_MISMATCH = "amount_mismatch"
    STATUS_MISMATCH = "status_mismatch"
    NOT_COMPARED = "not_compared"  # a Halo record that moves no money and that halotap does not know


CLASSES = tuple(kind for kind in Kind if kind is not Kind.NOT_COMPARED)

# `<checkoutId>.<n>`: one attempt of a checkout that Halo is asked to take more than once.
_ATTEMPT = re.compile(r"\.\d+$")


def checkout_id_of(merchant_reference: str | None) -> str | None:
    """The checkout a payment's merchantReference names: the reference without an attempt suffix.

    Unlike `attempts.checkout_id_of` (which finds a webhook's checkout, and refuses what is not one of
    halotap's ids), a reference that names no checkout of halotap's is kept as it is: the report shows it,
    so a person can find the payment Halo took under it."""
    return _ATTEMPT.sub("", merchant_reference) if merchant_reference else None


def _outcome_of_disposition(disposition: str | None) -> str:
    try:
        parsed = Disposition.parse(disposition or "")
    except ValueError:
        return "unknown"
    return _outcome_of_status(parsed.status)


def _outcome_of_status(status: CheckoutStatus) -> str:
    if status in (CheckoutStatus.APPROVED, CheckoutStatus.VOIDED):
        return status.value
    return "not_paid"


def is_approved(disposition: str | None) -> bool:
    return (disposition or "").strip().casefold() == Disposition.APPROVED.value.casefold()


def amount_text(amount: Decimal | None, currency: str | None) -> str | None:
    """An amount with its currency's minor digits ("10.00" ZAR), as everywhere else on the wire."""
    if amount is None:
        return None
    digits = MINOR_UNITS.get(currency or "")
    if digits is None:
        return str(amount)
    return f"{amount:.{int(digits)}f}"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the ledger: a Halo record, a halotap item, or both, and its class."""

    kind: Kind
    type: str  # "payment" | "refund"
    currency: str | None
    checkout_id: str | None = None
    refund_id: str | None = None
    halo_transaction_id: str | None = None
    halo_amount: Decimal | None = None
    halotap_amount: Decimal | None = None
    halo_status: str | None = None  # Halo's disposition, as Halo writes it
    halotap_status: str | None = None  # the checkout's status, or the refund's
    halo_created_at: str | None = None
    settlement: Settlement = NO_SETTLEMENT
    # A payment whose outcome Halo says otherwise: what the use case hands to the confirmed apply path.
    halo_disposition: Disposition | None = None

    @property
    def amount(self) -> Decimal:
        """What the line weighs in its class's sum: Halo's amount when Halo has one, else halotap's."""
        return self.halo_amount if self.halo_amount is not None else (self.halotap_amount or Decimal(0))

    def difference(self) -> dict[str, Any]:
        """The line as the JSON report's `differences` show it: both sides' ids and amounts."""
        body = {
            "kind": self.kind.value,
            "type": self.type,
            "checkoutId": self.checkout_id,
            "refundId": self.refund_id,
            "haloTransactionId": self.halo_transaction_id,
            "haloAmount": amount_text(self.halo_amount, self.currency),
            "halotapAmount": amount_text(self.halotap_amount, self.currency),
            "currency": self.currency,
            "haloStatus": self.halo_status,
            "halotapStatus": self.halotap_status,
        }
        return {key: value for key, value in body.items() if value is not None}

    def csv_row(self) -> list[str]:
        fee = self.settlement.transaction_fee
        values = (
            self.kind.value,
            self.type,
            self.checkout_id,
            self.refund_id,
            self.halo_transaction_id,
            self.currency,
            amount_text(self.halo_amount, self.currency),
            amount_text(self.halotap_amount, self.currency),
            self.halo_status,
            self.halotap_status,
            self.halo_created_at,
            self.settlement.recon_reference,
            self.settlement.acquirer_date,
            self.settlement.acquirer_time,
            str(fee) if fee is not None else None,
        )
        return [value or "" for value in values]


CSV_HEADER = (
    "class",
    "type",
    "checkoutId",
    "refundId",
    "haloTransactionId",
    "currency",
    "haloAmount",
    "halotapAmount",
    "haloStatus",
    "halotapStatus",
    "haloCreatedAt",
    "reconReference",
    "acquirerDate",
    "acquirerTime",
    "transactionFee",
)


def _halo_side(entry: HaloLedgerEntry) -> dict[str, Any]:
    return {
        "halo_transaction_id": entry.id,
        "halo_amount": entry.amount,
        "halo_status": entry.disposition,
        "halo_created_at": entry.created_at.isoformat() if entry.created_at else None,
        "settlement": entry.settlement,
        "currency": entry.currency,
    }


def classify_payment(entry: HaloLedgerEntry, checkout: Checkout | None) -> Line:
    """A Halo payment record against the checkout its merchantReference names (None: halotap has none)."""
    halo = _halo_side(entry)
    approved = is_approved(entry.disposition)
    if checkout is None:
        kind = Kind.MISSING_IN_HALOTAP if approved else Kind.NOT_COMPARED
        return Line(kind, "payment", checkout_id=checkout_id_of(entry.merchant_reference), **halo)
    ours: dict[str, Any] = {
        "checkout_id": checkout.id,
        "halotap_amount": Decimal(checkout.amount),
        "halotap_status": checkout.status.value,
    }
    if checkout.status is CheckoutStatus.APPROVED and checkout.halo_transaction_id not in (None, entry.id):
        if not approved:
            # An earlier attempt of a checkout that another Halo transaction approved: it moved no money.
            return Line(Kind.NOT_COMPARED, "payment", **halo, **ours)
        if not is_refunded_duplicate(checkout, entry.id):
            # A second approval of one checkout that halotap has not refunded: money taken twice.
            return Line(Kind.MISSING_IN_HALOTAP, "payment", **halo, checkout_id=checkout.id)
        # Otherwise a duplicate approval halotap knows and refunded in full (its refund is its own line).
    if _outcome_of_disposition(entry.disposition) != _outcome_of_status(checkout.status):
        try:
            disposition: Disposition | None = Disposition.parse(entry.disposition or "")
        except ValueError:
            disposition = None
        return Line(Kind.STATUS_MISMATCH, "payment", halo_disposition=disposition, **halo, **ours)
    if entry.amount != Decimal(checkout.amount) or (entry.currency or checkout.currency) != checkout.currency:
        return Line(Kind.AMOUNT_MISMATCH, "payment", **halo, **ours)
    return Line(Kind.MATCHED, "payment", **halo, **ours)


def classify_refund(entry: HaloLedgerEntry, refund: Refund | None) -> Line:
    """A Halo refund record against halotap's refund whose id is its merchantReference (refundReference)."""
    halo = _halo_side(entry)
    approved = is_approved(entry.disposition)
    if refund is None:
        kind = Kind.MISSING_IN_HALOTAP if approved else Kind.NOT_COMPARED
        return Line(kind, "refund", refund_id=entry.merchant_reference, **halo)
    ours: dict[str, Any] = {
        "checkout_id": refund.checkout_id,
        "refund_id": refund.id,
        "halotap_amount": Decimal(refund.amount),
        "halotap_status": refund.status.value,
    }
    if approved != (refund.status is RefundStatus.SUCCEEDED):
        return Line(Kind.STATUS_MISMATCH, "refund", **halo, **ours)
    if entry.amount != Decimal(refund.amount) or (entry.currency or refund.currency) != refund.currency:
        return Line(Kind.AMOUNT_MISMATCH, "refund", **halo, **ours)
    return Line(Kind.MATCHED, "refund", **halo, **ours)


def missing_payment(checkout: Checkout) -> Line:
    """An approved checkout of the day that Halo's records did not name."""
    return Line(
        Kind.MISSING_AT_HALO,
        "payment",
        currency=checkout.currency,
        checkout_id=checkout.id,
        halo_transaction_id=checkout.halo_transaction_id,
        halotap_amount=Decimal(checkout.amount),
        halotap_status=checkout.status.value,
    )


def missing_refund(refund: Refund) -> Line:
    """A succeeded refund of the day that Halo's records did not name."""
    return Line(
        Kind.MISSING_AT_HALO,
        "refund",
        currency=refund.currency,
        checkout_id=refund.checkout_id,
        refund_id=refund.id,
        halo_transaction_id=refund.halo_reference,
        halotap_amount=Decimal(refund.amount),
        halotap_status=refund.status.value,
    )


@dataclass
class Totals:
    """One currency's money for the day. Halo's side is the money that moved, so `net` is taken from it."""

    halo_approved: Decimal = Decimal(0)
    halotap_approved: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        return self.halo_approved - self.refunded - self.fees

    def to_api(self, currency: str) -> dict[str, str | None]:
        return {
            "haloApproved": amount_text(self.halo_approved, currency),
            "halotapApproved": amount_text(self.halotap_approved, currency),
            "refunded": amount_text(self.refunded, currency),
            "fees": amount_text(self.fees, currency),
            "net": amount_text(self.net, currency),
        }


_NO_CURRENCY = "---"  # a Halo record without a currency still counts, under this key


@dataclass
class LedgerTally:
    """The day's counts, sums and totals, and the first `max_differences` difference lines."""

    max_differences: int = MAX_DIFFERENCES
    counts: dict[Kind, int] = field(default_factory=lambda: dict.fromkeys(Kind, 0))
    sums: dict[Kind, dict[str, Decimal]] = field(default_factory=lambda: {kind: {} for kind in Kind})
    totals: dict[str, Totals] = field(default_factory=dict)
    differences: list[Line] = field(default_factory=list)
    differences_cut: int = 0

    def add(self, line: Line) -> Line:
        currency = line.currency or _NO_CURRENCY
        self.counts[line.kind] += 1
        by_currency = self.sums[line.kind]
        by_currency[currency] = by_currency.get(currency, Decimal(0)) + line.amount
        totals = self.totals.setdefault(currency, Totals())
        halo_approved = is_approved(line.halo_status)
        if line.halo_amount is not None and halo_approved:
            if line.type == "payment":
                totals.halo_approved += line.halo_amount
            else:
                totals.refunded += line.halo_amount
        if line.type == "payment" and line.halotap_status == CheckoutStatus.APPROVED.value:
            totals.halotap_approved += line.halotap_amount or Decimal(0)
        if line.settlement.transaction_fee is not None:
            totals.fees += line.settlement.transaction_fee
        if line.kind not in (Kind.MATCHED, Kind.NOT_COMPARED):
            if len(self.differences) < self.max_differences:
                self.differences.append(line)
            else:
                self.differences_cut += 1
        return line

    @property
    def difference_count(self) -> int:
        return sum(self.counts[kind] for kind in CLASSES if kind is not Kind.MATCHED)

    def summary(self) -> dict[str, Any]:
        """Counts, totals and per-class sums, camelCase: what the report and the event both carry."""
        return {
            "counts": {kind.value: self.counts[kind] for kind in CLASSES},
            "notCompared": self.counts[Kind.NOT_COMPARED],
            "totals": {currency: t.to_api(currency) for currency, t in sorted(self.totals.items())},
            "sums": {
                kind.value: {c: amount_text(a, c) for c, a in sorted(self.sums[kind].items())}
                for kind in CLASSES
            },
        }

    def report(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "differences": [line.difference() for line in self.differences],
            "differencesCut": self.differences_cut,
        }
