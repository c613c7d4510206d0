"""Refunds through Halo: reserve with a conditional write, ask Halo once, record its answer, retry the unknown.

A refund is reserved in its checkout's item before Halo is called (`CheckoutStore.reserve_refund`), so a
crash mid-call leaves a pending refund that is due for reconciliation, never money sent back unrecorded.
Halo's answer is recorded with a conditional update that also fills the outbox, so the PSP hears of each
outcome exactly once (refund.succeeded or refund.failed). An unknown answer leaves the refund pending;
reconciliation sends it again with the same refundReference (the refund id) until Halo answers definitely.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from halotap.app.checkouts import CheckoutService
from halotap.app.races import retry_on_conflict
from halotap.domain import timing
from halotap.domain.clock import iso
from halotap.domain.errors import (
    CheckoutNotRefundable,
    ConcurrentUpdate,
    HaloBadResponse,
    HalotapError,
    InvalidRequest,
    RefundExceedsAmount,
    RefundLimitReached,
    RefundNotFound,
    RefundReferenceUsed,
)
from halotap.domain.ids import is_refund_id, new_refund_id
from halotap.domain.models import Checkout, Refund, RefundStatus
from halotap.domain.money import Money, MoneyError, from_minor
from halotap.domain.notifications import pending_events, refund_outbox_changes
from halotap.domain.parties import Caller, MerchantCredentials
from halotap.domain.refunds import (
    LATE_APPROVAL_REFERENCE,
    MAX_REFUNDS_PER_CHECKOUT,
    PENDING,
    Judgement,
    can_refund,
    judge,
    judge_history,
    minor,
    refund_amount,
    refundable,
)
from halotap.domain.watch import next_due

if TYPE_CHECKING:
    from halotap.domain.requests import CreateRefundRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefundCreated:
    refund: Refund
    replayed: bool  # the same reference and body again: the first refund, unchanged


@dataclass
class RefundService:
    checkouts: CheckoutService
    # No retry while the first call may still be in flight (domain/timing.py, refund_first_call_window).
    first_call_window: timedelta = field(
        default_factory=lambda: timing.refund_first_call_window(
            timing.HALO_CONNECT_TIMEOUT_SECONDS, timing.HALO_READ_TIMEOUT_SECONDS
        )
    )

    # -- the PSP's calls --------------------------------------------------------------------------------
    def create(self, caller: Caller, checkout_id: str, request: CreateRefundRequest) -> RefundCreated:
        checkout = self.checkouts.get(caller, checkout_id)  # 404 outside the caller's merchants
        known_transaction = checkout.halo_transaction_id

        def attempt(checkout: Checkout) -> RefundCreated:
            nonlocal known_transaction
            existing = _same_reference(checkout, request)
            if existing is not None:
                return RefundCreated(existing, replayed=True)
            refund = self._new_refund(checkout, request)
            if known_transaction is None:
                # An approval recorded before halotap kept Halo's id: read it now (a status read is safe to
                # repeat), so the first refund call follows its reservation at once.
                known_transaction = self._transaction_id(checkout)
                if known_transaction is None:
                    raise HaloBadResponse(f"Halo's status of checkout {checkout.id} names no transactionId")
            reserved = self.checkouts.store.reserve_refund(checkout, refund)
            if reserved is None:
                # The condition failed: another refund took the room or the reference, or the status
                # moved. Read again and say which (or succeed, if this was only a stale read).
                raise ConcurrentUpdate(f"checkout {checkout.id} changed while the refund was reserved")
            logger.info(
                "refund reserved",
                extra={"checkoutId": checkout.id, "refundId": refund.id, "amount": refund.amount},
            )
            sent = self.send(reserved, refund.id, retry=False, transaction_id=known_transaction)
            return RefundCreated(sent, replayed=False)

        return retry_on_conflict(
            checkout,
            attempt,
            self.checkouts.store.get,
            gave_up=f"checkout {checkout_id} is changing too fast; retry with the same reference",
        )

    def get(self, caller: Caller, checkout_id: str, refund_id: str) -> Refund:
        checkout = self.checkouts.get(caller, checkout_id)
        refund = checkout.refunds.get(refund_id) if is_refund_id(refund_id) else None
        if refund is None:
            raise RefundNotFound(f"checkout {checkout.id} has no refund {refund_id!r}")
        return refund

    def _new_refund(self, checkout: Checkout, request: CreateRefundRequest) -> Refund:
        """The refund this request asks for, judged on the checkout as read: a fast, clear refusal.

        Passing here proves nothing about the total: `reserve_refund`'s condition is what holds it.
        """
        if not can_refund(checkout.status):
            raise CheckoutNotRefundable(
                f"checkout {checkout.id} is {checkout.status.value}; only an approved checkout can be refunded",
                currentStatus=checkout.status.value,
            )
        if checkout.refund_count >= MAX_REFUNDS_PER_CHECKOUT:
            raise RefundLimitReached(f"checkout {checkout.id} already has {checkout.refund_count} refunds")
        try:
            amount = refund_amount(checkout, request.amount)
        except MoneyError as error:
            raise InvalidRequest(
                f"amount: {error}", errors=[{"field": "amount", "message": str(error)}]
            ) from None
        left = refundable(checkout)
        if amount <= 0 or amount > left:
            raise RefundExceedsAmount(
                f"{checkout.currency} {from_minor(left, checkout.currency)} is left to refund",
                amountRefundable=from_minor(left, checkout.currency),
            )
        return self._refund(checkout, request, amount)

    def _refund(self, checkout: Checkout, request: CreateRefundRequest, amount: int) -> Refund:
        moment = self.checkouts.clock()
        return Refund(
            id=new_refund_id(),
            checkout_id=checkout.id,
            amount=from_minor(amount, checkout.currency),
            currency=checkout.currency,
            reference=request.reference,
            status=RefundStatus.PENDING,
            reason=request.reason,
            metadata=request.metadata,
            created_at=iso(moment),
            updated_at=iso(moment),
            requested_amount=request.amount,
            attempts=1,  # the first send follows the reservation at once
            # If this process dies before Halo's answer is recorded, reconciliation sends it again then,
            # and never while the first call may still be on its way.
            next_attempt_at=iso(
                moment
                + max(timing.refund_retry_delay(1, self.checkouts.check_backoff), self.first_call_window)
            ),
        )

    # -- a late approval ---------------------------------------------------------------------------------
    def late_approval_changes(self, checkout: Checkout) -> tuple[str, dict[str, Any]] | None:
        """The full refund of a late approval, as changes (`Checkout.but`) for the approval's own write, if
        the client wants it.

        Reserved in the same conditional update that records the approval, so the refund cannot be lost
        between the two; the caller sends it once the write has landed.
        """
        client = next(
            (c for c in self.checkouts.secret_store.clients() if c.client_id == checkout.client_id), None
        )
        if client is None or not client.refunds_late_approvals:
            return None
        # Rare (a late approval for a client that asked for it), so the request bodies load only here.
        from halotap.domain.requests import CreateRefundRequest

        amount = minor(checkout.amount, checkout.currency)
        refund = self._refund(
            checkout,
            CreateRefundRequest(
                reference=LATE_APPROVAL_REFERENCE, reason="approved after the checkout closed"
            ),
            amount,
        )
        return refund.id, {
            "refunds": {**checkout.refunds, refund.id: refund},
            "refund_references": {**checkout.refund_references, LATE_APPROVAL_REFERENCE: refund.id},
            "reserved_minor": checkout.reserved_minor + amount,
            "refund_count": checkout.refund_count + 1,
        }

    # -- Halo ----------------------------------------------------------------------------------------------
    def send(
        self, checkout: Checkout, refund_id: str, *, retry: bool, transaction_id: str | None = None
    ) -> Refund:
        """Ask Halo for one pending refund and record what its answer makes of it.

        `retry`: halotap has sent this refund before without recording an answer. Halo may have made it,
        so its transaction history is read first: a refund found there is recorded as Halo shows it and not
        sent again. Only a refund the history does not show is sent again (a 213 then is the earlier call's
        approval too). If the history cannot be read, the refund stays pending: a retry could otherwise meet a
        refusal (212, say) for money that went back (docs/architecture.md, "Refunds").
        """
        refund = checkout.refunds[refund_id]
        try:
            merchant = self.checkouts.secret_store.merchant(checkout.merchant_id)
            transaction_id = (
                transaction_id
                or refund.halo_transaction_id
                or checkout.halo_transaction_id
                or self._transaction_id(checkout)
            )
            if transaction_id is None:
                logger.error(
                    "Halo does not name the transaction to refund", extra={"checkoutId": checkout.id}
                )
                judgement = PENDING
            elif retry and (found := self._in_history(merchant, refund, transaction_id)) is not None:
                judgement = found
            else:
                answer = self.checkouts.halo.refund(
                    merchant,
                    transaction_id,
                    money=Money.parse(refund.amount, refund.currency),
                    refund_reference=refund.id,
                )
                judgement = judge(answer)
        except HalotapError as error:
            # A timeout, a 5xx, a garbled answer, Halo's circuit open: Halo's decision is unknown.
            logger.warning(
                "refund answer unknown; it stays pending and is retried",
                extra={"checkoutId": checkout.id, "refundId": refund_id, "code": error.code},
            )
            judgement = PENDING
        return self.record(checkout, refund_id, judgement)

    def _in_history(
        self, merchant: MerchantCredentials, refund: Refund, transaction_id: str
    ) -> Judgement | None:
        """Halo's transaction history on this refund (its reference is the refund id); None: not there."""
        entries = self.checkouts.halo.history(merchant, merchant_reference=refund.id, page_size=10)
        judgement = judge_history(entries, transaction_id)
        if judgement is not None:
            logger.info(
                "a refund whose answer was lost was found in Halo's transaction history",
                extra={"refundId": refund.id, "status": judgement.status.value},
            )
        return judgement

    def _transaction_id(self, checkout: Checkout) -> str | None:
        """Halo's backend id, for an approval recorded before halotap stored it: a status read, safe to repeat."""
        if not checkout.halo_reference:
            return None
        merchant = self.checkouts.secret_store.merchant(checkout.merchant_id)
        transaction = self.checkouts.halo.transaction(merchant, checkout.halo_reference)
        return transaction.transaction_id if transaction else None

    def record(self, checkout: Checkout, refund_id: str, judgement: Judgement) -> Refund:
        """Write Halo's answer, conditioned on the refund still being pending; queue its notification."""
        refund = checkout.refunds[refund_id]
        if refund.status != RefundStatus.PENDING:
            return refund
        updated = self.checkouts.store.settle_refund(
            checkout, self._settled(checkout, refund, judgement), refund_id
        )
        if updated is None:
            # Settled meanwhile by a concurrent retry, whose write also queued the one notification.
            fresh = self.checkouts.store.get(checkout.id)
            assert fresh is not None
            return fresh.refunds[refund_id]
        if judgement.status != RefundStatus.PENDING:
            logger.info(
                "refund settled",
                extra={"checkoutId": checkout.id, "refundId": refund_id, "status": judgement.status.value},
            )
            updated = self.checkouts.publish(updated)
        return updated.refunds[refund_id]

    def _settled(self, checkout: Checkout, refund: Refund, judgement: Judgement) -> Checkout:
        """The checkout once Halo's answer on `refund` is recorded (the store writes only what differs)."""
        moment = self.checkouts.clock()
        at = iso(moment)
        if judgement.status == RefundStatus.PENDING:
            retry_at = iso(moment + timing.refund_retry_delay(refund.attempts, self.checkouts.check_backoff))
            due = [retry_at, *([checkout.due_at] if checkout.due_at and pending_events(checkout) else [])]
            others = next_due(checkout, without_refund=refund.id)
            retried = refund.but(next_attempt_at=retry_at, attempts=refund.attempts + 1)
            return checkout.but(
                refunds={**checkout.refunds, refund.id: retried},
                due_at=min([*due, *([others] if others else [])]),
            )
        amount = minor(refund.amount, refund.currency)
        settled = refund.but(status=judgement.status, updated_at=at, next_attempt_at=None)
        if refund.halo_transaction_id is not None:
            totals: dict[
                str, int
            ] = {}  # a duplicate payment's refund: the kept payment's totals never held it
            settled = settled.but(halo_reference=judgement.halo_reference, failure=judgement.failure)
        elif judgement.status == RefundStatus.SUCCEEDED:
            totals = {"refunded_minor": checkout.refunded_minor + amount}
            if judgement.halo_reference:
                settled = settled.but(halo_reference=judgement.halo_reference)
        else:
            assert judgement.failure is not None
            totals = {"reserved_minor": checkout.reserved_minor - amount}  # a failed refund frees its room
            settled = settled.but(failure=judgement.failure)
        return checkout.but(
            refunds={**checkout.refunds, refund.id: settled},
            updated_at=at,
            **totals,
            **refund_outbox_changes(checkout, refund.id, f"refund.{judgement.status.value}", moment),
        )

    # -- reconciliation ------------------------------------------------------------------------------------
    def retry_due(self, checkout: Checkout, now: datetime) -> tuple[Checkout, int, int]:
        """Send again every pending refund whose retry is due. Returns (checkout, retried, overdue)."""
        retried = overdue = 0
        for refund in list(checkout.refunds.values()):
            if refund.status != RefundStatus.PENDING or (refund.next_attempt_at or "") > iso(now):
                continue
            if now - datetime.fromisoformat(refund.created_at) > timing.REFUND_PENDING_ALARM_AFTER:
                overdue += 1
                logger.error(
                    "refund pending too long",
                    extra={"checkoutId": checkout.id, "refundId": refund.id, "createdAt": refund.created_at},
                )
            self.send(checkout, refund.id, retry=True)
            retried += 1
            fresh = self.checkouts.store.get(checkout.id)
            assert fresh is not None
            checkout = fresh
        return checkout, retried, overdue


def _same_reference(checkout: Checkout, request: CreateRefundRequest) -> Refund | None:
    """The refund already made with this reference, if the body is the same; 409 if it is not."""
    refund_id = checkout.refund_references.get(request.reference)
    if refund_id is None:
        return None
    refund = checkout.refunds[refund_id]
    if not refund.same_request(request):
        raise RefundReferenceUsed(
            f"reference {request.reference!r} was used for refund {refund_id} with another body",
            refundId=refund_id,
        )
    return refund
