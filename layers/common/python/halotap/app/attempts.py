"""Attempts: a new Halo transaction for an open checkout whose current one failed, and what Halo's outcomes
on one attempt do when they are not the checkout's own (a failure with attempts left, a second approval).

A new attempt is made in three writes, each safe to repeat (docs/architecture.md, "Attempts"):

1. Attempt n+1 is reserved, without a link, by a conditional `save` on the checkout's version. Two racing
   presses cannot both reserve it: the loser re-reads, finds n+1 and finishes or waits for it.
2. Halo is asked for a link under paymentReference `<checkoutId>.<n+1>`. Halo refuses a reference used
   twice (E124), so however often this runs, Halo holds at most one transaction for attempt n+1.
3. The link is written to the attempt. A crash before this leaves n+1 linkless: once no call can still be
   in flight, the next press asks Halo again; E124 then means the link was made and lost, so n+1 is marked
   `lost` (nobody can tap it, it is not counted) and n+2 is reserved instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from halotap.app.checkouts import CheckoutService
from halotap.app.races import retry_on_conflict
from halotap.domain import timing
from halotap.domain.attempts import (
    Plan,
    attempts_of,
    check_new,
    current,
    payment_reference,
    with_attempt,
)
from halotap.domain.attempts import (
    recorded as recorded_attempt,
)
from halotap.domain.clock import iso
from halotap.domain.errors import CheckoutNotFound, HaloRejected, HalotapError
from halotap.domain.models import Attempt, Checkout, HistoryEntry
from halotap.domain.money import Money
from halotap.domain.notifications import attempt_outbox_changes
from halotap.domain.parties import Caller
from halotap.domain.refunds import minor
from halotap.domain.states import Decision, Disposition, Verdict

if TYPE_CHECKING:
    from halotap.app.outcomes import OutcomeService
    from halotap.app.refunds import RefundService
    from halotap.domain.halo import HaloTransaction, ReportedOutcome

logger = logging.getLogger(__name__)

HALO_DUPLICATE_REFERENCE = 124  # Halo: "Duplicate Merchant Reference"
DUPLICATE_PAYMENT = "duplicate_payment"  # the reason of the refund of a second approval


@dataclass
class AttemptService:
    checkouts: CheckoutService
    # While a call to Halo for a reserved attempt may still be under way, another caller leaves it be.
    in_flight: timedelta = field(
        default_factory=lambda: timing.refund_first_call_window(
            timing.HALO_CONNECT_TIMEOUT_SECONDS, timing.HALO_READ_TIMEOUT_SECONDS
        )
    )

    def create(self, caller: Caller, checkout_id: str, replaces: str | None = None) -> Checkout:
        """The PSP's POST /v1/checkouts/{id}/attempts."""
        return self.next(self.checkouts.get(caller, checkout_id), replaces)

    def for_shopper(self, checkout_id: str, replaces: str | None = None) -> Checkout:
        """The page's "Try again" (POST /pay/{id}/attempts): whoever holds the link may pay."""
        checkout = self.checkouts.for_shopper(checkout_id)
        if checkout is None:
            raise CheckoutNotFound(f"no checkout {checkout_id!r}")
        return self.next(checkout, replaces)

    def next(self, checkout: Checkout, replaces: str | None = None) -> Checkout:
        """Attempt n+1 with its link; the checkout as it then is. `replaces` names the failed attempt the
        caller saw: if a newer one exists already, this is a repeat of the call that made it."""
        for _ in range(2):  # a second round only after an attempt's link was lost
            reserved, mine = retry_on_conflict(
                checkout,
                lambda c, replaces=replaces: self._reserve(c, replaces),  # type: ignore[misc]
                self.checkouts.store.get,
                gave_up=f"checkout {checkout.id} is changing too fast; retry",
            )
            attempt = current(reserved)
            if attempt is None or attempt.deep_link is not None or attempt.lost:
                return reserved
            if (
                not mine
                and self.checkouts.clock() - datetime.fromisoformat(attempt.created_at) < self.in_flight
            ):
                return reserved  # another call is asking Halo for this very attempt's link
            linked = self._link(reserved, attempt)
            if linked is not None:
                return linked
            checkout, replaces = self._fresh(reserved.id), None
        raise AssertionError("unreachable: a lost link is followed by one new attempt")

    def _reserve(self, checkout: Checkout, replaces: str | None) -> tuple[Checkout, bool]:
        found = attempts_of(checkout)
        now = found[-1] if found else None
        if now is not None and now.deep_link is None and not now.lost:
            return checkout, False  # reserved by an earlier call, which may have died: finished below
        if (
            replaces is not None
            and now is not None
            and now.id != replaces
            and any(a.id == replaces for a in found)
        ):
            return checkout, False  # the attempt after `replaces` exists: this call is a repeat
        check_new(checkout)
        at = iso(self.checkouts.clock())
        attempt = Attempt(id=payment_reference(checkout.id, len(found) + 1), status="open", created_at=at)
        entry = HistoryEntry(at=at, type="attempt_created", source="api", detail=attempt.id)
        after = checkout.but(updated_at=at, **with_attempt(checkout, attempt))
        return self.checkouts.store.save(checkout, after, [entry]), True

    def _link(self, checkout: Checkout, attempt: Attempt) -> Checkout | None:
        """Ask Halo for the attempt's link and write it; None if Halo made one earlier that was lost."""
        service = self.checkouts
        merchant = service.secret_store.merchant(checkout.merchant_id)
        try:
            link = service.halo.create_deep_link(
                merchant,
                payment_reference=attempt.id,
                money=Money.parse(checkout.amount, checkout.currency),
                is_consumer_app=checkout.is_consumer_app,
                want_qr=checkout.wants_qr_code,
            )
        except HaloRejected as error:
            if error.extensions.get("haloErrorCode") != HALO_DUPLICATE_REFERENCE:
                self._lose(checkout.id, attempt.id, error.code)
                raise
            fresh = self._fresh(checkout.id)
            mine = current(fresh)
            if mine is not None and mine.id == attempt.id and mine.deep_link is not None:
                return fresh  # a racing call got the link and wrote it
            self._lose(checkout.id, attempt.id, "halo_duplicate_reference")
            return None
        except HalotapError as error:
            # Halo may or may not have made it; its link did not reach us, so nobody can tap it.
            self._lose(checkout.id, attempt.id, error.code)
            raise

        def write(fresh: Checkout) -> Checkout:
            now = current(fresh)
            if now is None or now.id != attempt.id or now.deep_link is not None:
                return fresh
            moment = service.clock()
            opened = now.but(halo_reference=link.reference, deep_link=link.url)
            after = fresh.but(
                deep_link=link.url,
                halo_reference=link.reference,
                updated_at=iso(moment),
                due_at=iso(moment + timedelta(seconds=service.check_backoff[0])),
                checks=0,
                **with_attempt(fresh, opened),
            )
            entry = HistoryEntry(at=iso(moment), type="attempt_opened", source="api", detail=attempt.id)
            return service.store.save(fresh, after, [entry])

        written = retry_on_conflict(
            checkout, write, service.store.get, gave_up="the new link could not be written"
        )
        logger.info(
            "checkout attempt opened",
            extra={"checkoutId": checkout.id, "attempt": attempt.id, "haloReference": link.reference},
        )
        return written

    def _lose(self, checkout_id: str, attempt_id: str, why: str) -> None:
        def write(fresh: Checkout) -> Checkout:
            now = current(fresh)
            if now is None or now.id != attempt_id or now.deep_link is not None:
                return fresh
            at = iso(self.checkouts.clock())
            entry = HistoryEntry(at=at, type="attempt_lost", source="api", detail=f"{attempt_id}: {why}")
            lost = now.but(lost=True, status="failed")
            return self.checkouts.store.save(
                fresh, fresh.but(updated_at=at, **with_attempt(fresh, lost)), [entry]
            )

        try:
            retry_on_conflict(self._fresh(checkout_id), write, self.checkouts.store.get, gave_up="busy")
        except HalotapError:
            logger.warning(
                "could not mark an attempt lost", extra={"checkoutId": checkout_id, "attempt": attempt_id}
            )

    def _fresh(self, checkout_id: str) -> Checkout:
        fresh = self.checkouts.store.get(checkout_id)
        assert fresh is not None, f"checkout {checkout_id} vanished"
        return fresh


# -- Halo's outcomes on one attempt ----------------------------------------------------------------------
def write_outcome(
    checkouts: CheckoutService,
    refunds: RefundService,
    checkout: Checkout,
    *,
    attempt: Attempt,
    outcome: ReportedOutcome,
    how: Plan,
    source: str,
) -> tuple[Verdict, Checkout, Decision]:
    """Record an outcome that concerns the attempt only (`plan` said so): the checkout's status stays."""
    if how is Plan.REPEAT:
        return (
            Verdict.REPEAT,
            checkout,
            Decision(Verdict.REPEAT, reason=f"attempt {attempt.id} already says so"),
        )
    moment = checkouts.clock()
    at = iso(moment)
    disposition = outcome.disposition
    recorded = recorded_attempt(attempt, outcome)
    changes: dict[str, Any] = {"updated_at": at}
    refund_id = None
    if how is Plan.ATTEMPT_FAILED:
        changes.update(attempt_outbox_changes(checkout, attempt.id, moment))
    elif how is Plan.DUPLICATE and recorded.halo_transaction_id:
        refund_id, refund_changes = _duplicate_changes(refunds, checkout, recorded.halo_transaction_id)
        recorded = recorded.but(duplicate_refund=refund_id)
        changes.update(refund_changes)
    changes.update(with_attempt(checkout, recorded))
    entry = HistoryEntry(
        at=at,
        type=f"attempt_{how.value}" if how is not Plan.ATTEMPT_ONLY else "attempt_changed",
        source=source,
        disposition=disposition.value,
        detail=attempt.id,
    )
    written = checkouts.store.save(checkout, checkout.but(**changes), [entry])
    updated = checkouts.publish(written)
    if refund_id is not None:
        logger.warning(
            "a second approval of one checkout is refunded",
            extra={"checkoutId": checkout.id, "attempt": attempt.id, "refundId": refund_id},
        )
        try:  # reserved with the approval's write; if this call fails, reconciliation sends it
            refunds.send(updated, refund_id, retry=False)
        except HalotapError:
            logger.warning(
                "duplicate-payment refund left to reconciliation", extra={"checkoutId": checkout.id}
            )
        updated = checkouts.store.get(checkout.id) or updated
    return (
        Verdict.TRANSITION,
        updated,
        Decision(Verdict.TRANSITION, reason=f"attempt {attempt.id}: {how.value}"),
    )


def _duplicate_changes(
    refunds: RefundService, checkout: Checkout, transaction_id: str
) -> tuple[str, dict[str, Any]]:
    """The full refund of a second approval, as changes for the write that records it (so it cannot be lost
    between the two), whatever the client's lateApprovals. It names its own payment and never counts towards
    the kept payment's totals (`amountRefunded`, what the PSP may still refund)."""
    from halotap.domain.requests import CreateRefundRequest

    request = CreateRefundRequest(reference=f"duplicate:{transaction_id}", reason=DUPLICATE_PAYMENT)
    refund = refunds._refund(checkout, request, minor(checkout.amount, checkout.currency))
    refund = refund.but(halo_transaction_id=transaction_id)
    return refund.id, {
        "refunds": {**checkout.refunds, refund.id: refund},
        "refund_references": {**checkout.refund_references, request.reference: refund.id},
        "refund_count": checkout.refund_count + 1,
    }


def reported(
    checkout: Checkout, transaction: HaloTransaction, attempt: Attempt | None = None
) -> ReportedOutcome:
    """Halo's own status of an attempt (the current one unless named) as an outcome: confirmed already."""
    from halotap.domain.halo import ReportedOutcome

    assert transaction.disposition is not None
    attempt = attempt or current(checkout)
    return ReportedOutcome(
        disposition=transaction.disposition,
        merchant_reference=attempt.id if attempt else checkout.id,
        halo_reference=attempt.halo_reference if attempt else checkout.halo_reference,
        halo_transaction_id=transaction.transaction_id,
        authorisation_code=transaction.authorisation_code,
        response_code=transaction.response_code,
        amount=transaction.amount,
        currency=transaction.currency,
        settlement=transaction.settlement,
        error_code=transaction.error_code,  # why a tap failed: the shopper's page says what to do
    )


def check_earlier(outcomes: OutcomeService, checkout: Checkout) -> Checkout:
    """Ask Halo about each earlier attempt that failed: a late approval of one (its link or QR code tapped
    after all) is applied as a webhook's would be, and refunded if another approval was kept."""
    service = outcomes.checkouts
    found = attempts_of(checkout)
    for attempt in found[:-1]:
        if attempt.status not in ("declined", "failed") or attempt.lost or not attempt.halo_reference:
            continue
        merchant = service.secret_store.merchant(checkout.merchant_id)
        transaction = service.halo.transaction(merchant, attempt.halo_reference)
        if transaction is not None and transaction.disposition is Disposition.APPROVED:
            result = outcomes.apply(
                checkout, reported(checkout, transaction, attempt), "reconcile", from_halo=True
            )
            checkout = result.checkout if result is not None else checkout
    return checkout


__all__ = ["DUPLICATE_PAYMENT", "AttemptService", "check_earlier", "reported", "write_outcome"]
