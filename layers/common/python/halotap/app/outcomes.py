"""Applying Halo's outcomes: a webhook (confirmed with Halo first) or Halo's own status, to one checkout.

The rules of what an outcome does live in `halotap.domain.states.decide`; this module finds the
checkout, confirms, writes the decision with a conditional update (re-reading on a lost race), and
queues the PSP's notification through the checkout's outbox.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from halotap.app.attempts import write_outcome
from halotap.app.checkouts import CheckoutService
from halotap.app.confirm import Confirmation, ConfirmWithHalo
from halotap.app.races import retry_on_conflict
from halotap.app.refunds import RefundService
from halotap.domain import json_input, timing
from halotap.domain.attempts import Plan, attempt_changes, attempt_for, checkout_id_of, plan
from halotap.domain.clock import iso
from halotap.domain.errors import HalotapError, InvalidRequest, RetryLater
from halotap.domain.halo import ReportedOutcome, parse_outcome
from halotap.domain.models import Attempt, Checkout, HistoryEntry, Outcome, settlement_keys
from halotap.domain.notifications import outbox_changes
from halotap.domain.states import CheckoutStatus, Decision, Verdict, decide

logger = logging.getLogger(__name__)

# Anomalies beyond this many history entries are logged and counted, not stored: a forged flood cannot grow the item.
MAX_HISTORY = 50


@dataclass(frozen=True)
class ApplyResult:
    verdict: Verdict
    checkout: Checkout
    decision: Decision
    mismatches: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class EventResult:
    """What became of one queued Halo webhook."""

    outcome: Literal["applied", "dropped", "left_to_reconcile"]
    reason: str = ""
    applied: ApplyResult | None = None
    reported: ReportedOutcome | None = None


@dataclass
class OutcomeService:
    checkouts: CheckoutService
    confirmer: ConfirmWithHalo
    refunds: RefundService
    confirm_retry_seconds: int = timing.CONFIRM_RETRY_SECONDS

    def handle_webhook(self, message_body: str, receives: int) -> EventResult:
        """One queued Halo webhook: parse, find its checkout, confirm with Halo, apply.

        Raises RetryLater while Halo shows nothing final yet, a bounded number of times; after that the
        checkout is left to reconciliation, which keeps asking Halo on its own schedule.
        """
        try:
            payload = json_input.load(json.loads(message_body)["payload"], what="the queued webhook")
        except InvalidRequest as error:
            # Queued before intake checked as much: it will never parse, so it must not be retried.
            return EventResult("dropped", f"unreadable webhook: {error.detail}")
        if not isinstance(payload, dict) or not isinstance(payload.get("disposition"), str):
            return EventResult("dropped", "unreadable webhook: not an object with a disposition")
        try:
            reported = parse_outcome(payload)
        except ValueError as error:
            return EventResult("dropped", f"undocumented disposition: {error}")
        if payload.get("amount") not in (None, "") and reported.amount is None:
            logger.warning(
                "ignored a webhook amount that is not a finite number",
                extra={"merchantReference": reported.merchant_reference},
            )
        checkout = self.locate(reported)
        if checkout is None:
            return EventResult("dropped", "no known checkout", reported=reported)
        result = self.apply(checkout, reported, source="halo_webhook")
        if result is not None:
            return EventResult("applied", applied=result, reported=reported)
        delay = timing.confirm_retry_delay(receives, self.confirm_retry_seconds)
        if delay is None:
            return EventResult(
                "left_to_reconcile", f"Halo still shows nothing final after {receives} receives"
            )
        raise RetryLater(delay, f"Halo shows nothing final for {checkout.id} yet (receive {receives})")

    def locate(self, reported: ReportedOutcome) -> Checkout | None:
        """One GetItem by merchantReference (an attempt's reference); the haloReference index is the fallback."""
        # Any attempt's paymentReference names its checkout: `<checkoutId>` or `<checkoutId>.<n>`.
        checkout_id = checkout_id_of(reported.merchant_reference or "")
        if checkout_id is not None:
            checkout = self.checkouts.store.get(checkout_id)
            if checkout is not None:
                return checkout
        for halo_reference in (reported.halo_reference, reported.consumer_transaction_id):
            if halo_reference:
                checkout = self.checkouts.store.find_by_halo_reference(halo_reference)
                if checkout is not None:
                    return checkout
        return None

    def apply(
        self, checkout: Checkout, reported: ReportedOutcome, source: str, *, from_halo: bool = False
    ) -> ApplyResult | None:
        """Apply an outcome with a conditional write; on a lost race, re-read and decide again.

        A reported outcome is first confirmed with Halo, unless it was read from Halo (`from_halo`).
        Returns None when Halo shows nothing final yet.
        """
        attempt = attempt_for(checkout, reported.merchant_reference, reported.halo_reference)
        reference = attempt.halo_reference if attempt is not None else None
        confirmation = (
            Confirmation(reported) if from_halo else self.confirmer.confirm(checkout, reported, reference)
        )
        confirmed = confirmation.outcome
        if confirmed is None:
            return None
        return retry_on_conflict(
            checkout,
            lambda current: self._settle(current, confirmed, source, confirmation),
            self.checkouts.store.get,
            gave_up=f"checkout {checkout.id} is changing too fast; the event will be retried",
        )

    def _settle(
        self, checkout: Checkout, outcome: ReportedOutcome, source: str, confirmation: Confirmation
    ) -> ApplyResult:
        """An outcome about one attempt only (a failure with attempts left, a second approval) is the
        attempt's to record (app/attempts.py); any other is the checkout's, as `decide` rules."""
        attempt = attempt_for(checkout, outcome.merchant_reference, outcome.halo_reference)
        if attempt is not None:
            how = plan(checkout, attempt, outcome.disposition, outcome.error_code)
            if how is not Plan.CHECKOUT:
                verdict, updated, decision = write_outcome(
                    self.checkouts,
                    self.refunds,
                    checkout,
                    attempt=attempt,
                    outcome=outcome,
                    how=how,
                    source=source,
                )
                return ApplyResult(verdict, updated, decision, confirmation.mismatches)
        decision = decide(checkout.status, outcome.disposition)
        return self._write(checkout, outcome, decision, source, confirmation, attempt=attempt)

    def _write(
        self,
        checkout: Checkout,
        outcome: ReportedOutcome,
        decision: Decision,
        source: str,
        confirmation: Confirmation,
        *,
        attempt: Attempt | None = None,
    ) -> ApplyResult:
        at = iso(self.checkouts.clock())
        disposition = outcome.disposition.value
        mismatches = confirmation.mismatches
        anomalies = []
        if mismatches:
            # A webhook that disagrees with Halo is recorded once per distinct disagreement.
            detail = "mismatch: " + confirmation.describe()
            if not any(e.type == "anomaly" and e.detail == detail for e in checkout.history):
                anomalies.append(
                    HistoryEntry(at=at, type="anomaly", source=source, disposition=disposition, detail=detail)
                )
        if decision.verdict == Verdict.ANOMALY and not any(
            e.type == "anomaly" and e.detail == decision.reason for e in checkout.history
        ):
            anomalies.append(
                HistoryEntry(
                    at=at, type="anomaly", source=source, disposition=disposition, detail=decision.reason
                )
            )
        if decision.verdict != Verdict.TRANSITION:
            if not anomalies or len(checkout.history) >= MAX_HISTORY:
                return ApplyResult(decision.verdict, checkout, decision, mismatches=mismatches)
            updated = self.checkouts.store.save(checkout, checkout, anomalies)
            return ApplyResult(decision.verdict, updated, decision, mismatches)
        assert decision.new_status is not None
        changes: dict[str, Any] = {
            "status": decision.new_status,
            "updated_at": at,
            "outcome": Outcome(
                disposition=disposition,
                authorisation_code=outcome.authorisation_code,
                response_code=outcome.response_code,
                halo_transaction_id=outcome.halo_transaction_id,
                payment_provider_reference=outcome.payment_provider_reference,
                error_code=outcome.error_code,
                decided_at=at,
            ),
        }
        if outcome.halo_transaction_id and decision.new_status == CheckoutStatus.APPROVED:
            changes["halo_transaction_id"] = outcome.halo_transaction_id  # what a refund names
        changes.update(attempt_changes(checkout, attempt, outcome))
        late_refund = None
        if decision.replaced_status is not None:
            changes["replaced_status"] = decision.replaced_status
            if decision.replaced_status in (CheckoutStatus.CANCELLED, CheckoutStatus.EXPIRED):
                late_refund = self.refunds.late_approval_changes(checkout)
                if late_refund is not None:
                    changes.update(late_refund[1])
        entry = HistoryEntry(
            at=at,
            type="status_changed",
            source=source,
            from_status=checkout.status.value,
            to_status=decision.new_status.value,
            disposition=disposition,
            detail=decision.reason or None,
        )
        moment = self.checkouts.clock()
        changes.update(
            self.checkouts.final_changes(checkout, decision.new_status, outcome.disposition, moment)
        )
        if outcome.settlement is not None and not outcome.settlement.is_empty:
            changes["settlement"] = settlement_keys(outcome.settlement)
        changes.update(outbox_changes(checkout, decision.new_status, moment))
        written = self.checkouts.store.save(checkout, checkout.but(**changes), [*anomalies, entry])
        updated = self.checkouts.publish(written)
        if late_refund is not None:
            # The refund is reserved with the approval; if this call fails, reconciliation sends it.
            try:
                self.refunds.send(updated, late_refund[0], retry=False)
            except HalotapError:
                logger.warning(
                    "late-approval refund left to reconciliation", extra={"checkoutId": checkout.id}
                )
            updated = self.checkouts.store.get(checkout.id) or updated
        return ApplyResult(decision.verdict, updated, decision, mismatches)
