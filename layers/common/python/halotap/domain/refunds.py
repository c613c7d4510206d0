"""Refunds: what a checkout can still give back, and what Halo's answer to a refund call means. Pure.

A refund is stored inside its checkout's item (`refunds.<id>`), beside two running totals in minor
units: `reservedMinor` (pending + succeeded) and `refundedMinor` (succeeded). The store reserves a
refund with one conditional UpdateItem on `reservedMinor + amount <= amount`, so "never more back than
was taken" holds however many requests race; nothing here reads a total and then checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from halotap.domain.halo import RefundAnswer
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


def judge(answer: RefundAnswer | None, *, retry: bool) -> Judgement:
    """Halo's answer -> the refund's status (docs/architecture.md, "Refunds").

    `answer` is None when Halo's answer is unknown (a timeout, a 5xx, a garbled body): the refund stays
    pending. `retry` says halotap already sent this refund once without seeing the answer: then 213
    "Refund Already Processed" can only be that earlier call, which Halo approved.
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
    if answer.error_code == HALO_REFUND_ALREADY_PROCESSED and retry:
        return Judgement(RefundStatus.SUCCEEDED, halo_reference=answer.halo_reference)
    if answer.error_code is None and answer.type is None:
        return PENDING  # neither an approval nor a refusal: nothing definite was said
    code = f"halo_{answer.error_code}" if answer.error_code is not None else "halo_declined"
    message = answer.message or f"Halo answered {answer.type or 'without a type'}"
    return Judgement(RefundStatus.FAILED, RefundFailure(code=code, message=message))


def next_due(checkout: Checkout) -> str | None:
    """When reconciliation must next look at the checkout for its refunds: the earliest pending retry."""
    times = [
        refund.next_attempt_at
        for refund in checkout.refunds.values()
        if refund.status == RefundStatus.PENDING and refund.next_attempt_at
    ]
    return min(times) if times else None
