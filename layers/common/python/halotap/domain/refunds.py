"""Refunds: what a checkout can still give back, and what Halo's answer to a refund call means. Pure.

A refund is stored inside its checkout's item (`refunds.<id>`), beside two running totals in minor
units: `reservedMinor` (pending + succeeded) and `refundedMinor` (succeeded). The store reserves a
refund with one conditional UpdateItem on `reservedMinor + amount <= amount`, so "never more back than
was taken" holds however many requests race; nothing here reads a total and then checks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from halotap.domain.halo import HaloLedgerEntry, RefundAnswer
from halotap.domain.models import Checkout, RefundFailure, RefundStatus
from halotap.domain.money import Money
from halotap.domain.states import CheckoutStatus

# The reference of the refund halotap makes itself for a late approval (client setting lateApprovals: refund).
LATE_APPROVAL_REFERENCE = "late-approval"
# A checkout item holds its refunds; this bounds the item well inside DynamoDB's 400 KB.
MAX_REFUNDS_PER_CHECKOUT = 50
HALO_REFUND_TOO_LATE = 212
HALO_REFUND_ALREADY_PROCESSED = 213


def minor(amount: str, currency: str) -> int:
    """A stored decimal amount in integer minor units."""
    return Money.parse(amount, currency).minor_units


def refundable(checkout: Checkout) -> int:
    """Minor units not yet reserved by a pending or succeeded refund."""
    return minor(checkout.amount, checkout.currency) - checkout.reserved_minor


def refund_amount(checkout: Checkout, requested: str | None) -> int:
    """The amount a new refund asks for, in minor units. Raises MoneyError for a malformed amount.

    Whether it still fits is the store's conditional write to decide, not this read.
    """
    if requested is None:
        return refundable(checkout)
    return Money.parse(requested, checkout.currency).minor_units


def can_refund(status: CheckoutStatus) -> bool:
    return status == CheckoutStatus.APPROVED


@dataclass(frozen=True)
class Judgement:
    """What one answer (or non-answer) from Halo makes of a pending refund."""

    status: RefundStatus
    failure: RefundFailure | None = None
    halo_reference: str | None = None


PENDING = Judgement(RefundStatus.PENDING)


def judge(answer: RefundAnswer | None) -> Judgement:
    """Halo's answer -> the refund's status (docs/architecture.md, "Refunds").

    `answer` is None when Halo's answer is unknown (a timeout, a 5xx, a garbled body): the refund stays
    pending. 213 "Refund Already Processed" means Halo has this refund: halotap is the only sender of its
    `refundReference` (the refund id), so a 213, even to what halotap thinks is its first call, answers an
    earlier call whose answer was lost. The refund succeeded, and its amount is never freed.
    """
    if answer is None:
        return PENDING
    if answer.type is not None and answer.type.casefold() == "approved":
        return Judgement(RefundStatus.SUCCEEDED, halo_reference=answer.halo_reference)
    if answer.error_code == HALO_REFUND_TOO_LATE:
        return Judgement(
            RefundStatus.FAILED,
            RefundFailure(code="refund_too_late", message=answer.message or "Halo: Refund Too Late"),
        )
    if answer.error_code == HALO_REFUND_ALREADY_PROCESSED:
        return Judgement(RefundStatus.SUCCEEDED, halo_reference=answer.halo_reference)
    if answer.error_code is None and answer.type is None:
        return PENDING  # neither an approval nor a refusal: nothing definite was said
    code = f"halo_{answer.error_code}" if answer.error_code is not None else "halo_declined"
    message = answer.message or f"Halo answered {answer.type or 'without a type'}"
    return Judgement(RefundStatus.FAILED, RefundFailure(code=code, message=message))


def judge_history(entries: Iterable[HaloLedgerEntry], transaction_id: str | None) -> Judgement | None:
    """What Halo's transaction history says of a refund whose answer was lost; None if it shows none.

    `entries` are the history's records under the refund's reference; the one that counts is a refund of
    this payment (`originalTransactionId`), when Halo names the payment.
    """
    for entry in entries:
        if not entry.is_refund:
            continue
        if transaction_id and entry.original_transaction_id not in (None, transaction_id):
            continue
        if entry.disposition is None:
            # Halo's documented history writes its disposition as an undocumented number: the refund is
            # there, but not what became of it. Neither final state can be proven, and sending it again could
            # meet a refusal for money that went back, so it stays pending (RefundPendingTooLong alarms).
            return PENDING
        if entry.disposition.casefold() == "approved":
            return Judgement(RefundStatus.SUCCEEDED, halo_reference=entry.id)
        return Judgement(
            RefundStatus.FAILED,
            RefundFailure(
                code="halo_declined",
                message=f"Halo's transaction history shows this refund {entry.disposition or 'without a disposition'}",
            ),
        )
    return None
