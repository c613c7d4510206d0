"""Reconciliation: webhooks get lost, shoppers walk away, Lambdas die mid-call. This finds all three.

Each checkout with something left to do carries `dueAt` (and its `dueShard`) in a sparse index. A run
reads the due entries shard by shard with a Query (never a Scan), asks Halo about each open checkout,
applies a final outcome through the same path as a webhook, expires what is past `expiresAt` plus a
grace period, and moves everything else to its next check on a backoff. Every checkout it touches
leaves the due window or moves forward in it, so a backlog drains over several bounded runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from halotap.app.checkouts import CheckoutService
from halotap.app.outcomes import OutcomeService
from halotap.app.ports import Halo
from halotap.app.refunds import RefundService
from halotap.domain import timing
from halotap.domain.errors import HalotapError
from halotap.domain.halo import ReportedOutcome
from halotap.domain.models import Checkout, iso, utc_now
from halotap.domain.notifications import pending_events
from halotap.domain.refunds import next_due
from halotap.domain.states import CheckoutStatus

logger = logging.getLogger(__name__)


@dataclass
class RunReport:
    examined: int = 0
    applied: int = 0
    expired: int = 0
    rescheduled: int = 0
    abandoned: int = 0
    published: int = 0
    refunds_retried: int = 0
    refunds_overdue: int = 0  # pending refunds older than timing.REFUND_PENDING_ALARM_AFTER (an alarm)
    errors: int = 0
    stopped: str = ""  # why the run stopped before the due window was empty, if it did
    outcomes: dict[str, str] = field(default_factory=dict)  # checkout id -> what happened


@dataclass
class Reconciler:
    service: CheckoutService
    outcomes: OutcomeService
    refunds: RefundService
    shards: int  # how many shards the due index has (adapters/tables.py)
    grace: timedelta = timedelta(seconds=timing.EXPIRY_GRACE_SECONDS)
    batch_size: int = 200
    clock: Callable[[], datetime] = utc_now

    @property
    def halo(self) -> Halo:
        return self.service.halo

    def run(self, time_left: Callable[[], float] = lambda: 60.0) -> RunReport:
        report = RunReport()
        now = self.clock()
        first = int(now.timestamp() // 60) % self.shards  # rotate the starting shard between runs
        for offset in range(self.shards):
            shard = (first + offset) % self.shards
            room = self.batch_size - report.examined
            if room <= 0:
                report.stopped = "batch full"
                break
            for checkout in self.service.store.due(shard, iso(now), limit=room):
                if time_left() < timing.RECONCILE_MIN_TIME_LEFT_SECONDS:
                    report.stopped = "out of time"
                    return report
                if self.halo.breaker.is_open:
                    report.stopped = "Halo circuit open"
                    return report
                report.examined += 1
                report.outcomes[checkout.id] = self._check(checkout, now, report)
        return report

    def _check(self, checkout: Checkout, now: datetime, report: RunReport) -> str:
        try:
            if checkout.status == CheckoutStatus.CREATING:
                self.service.abandon(
                    checkout, "creation_interrupted", "the create call never finished", source="reconcile"
                )
                report.abandoned += 1
                return "abandoned"
            if checkout.status != CheckoutStatus.OPEN:
                return self._check_final(checkout, now, report)
            return self._check_open(checkout, now, report)
        except HalotapError as error:
            # Halo down or DynamoDB throttled: nothing was changed; look again shortly, after the others.
            report.errors += 1
            logger.warning(
                "reconciliation could not check a checkout",
                extra={"checkoutId": checkout.id, "code": error.code, "detail": error.detail},
            )
            self._quietly_reschedule(checkout, now + timing.RECONCILE_AFTER_ERROR)
            return f"error:{error.code}"

    def _check_final(self, checkout: Checkout, now: datetime, report: RunReport) -> str:
        """Final: due only while a notification waits in its outbox (a crash after the change) or a
        refund waits for Halo's definite answer."""
        done = []
        if pending_events(checkout):
            checkout = self.service.publish(checkout)
            report.published += 1
            done.append("published" if not pending_events(checkout) else "publish_failed")
        checkout, retried, overdue = self.refunds.retry_due(checkout, now)
        report.refunds_retried += retried
        report.refunds_overdue += overdue
        if retried:
            done.append(f"refunds_retried:{retried}")
        if done:
            return ",".join(done)
        self.service.store.update(checkout, {"dueAt": next_due(checkout)}, [])
        return "cleared"

    def _check_open(self, checkout: Checkout, now: datetime, report: RunReport) -> str:
        merchant = self.service.secret_store.merchant(checkout.merchant_id)
        assert checkout.halo_reference is not None  # an open checkout always has one
        transaction = self.halo.transaction(merchant, checkout.halo_reference)
        if transaction is not None and transaction.disposition is not None:
            outcome = ReportedOutcome(
                disposition=transaction.disposition,
                merchant_reference=checkout.id,
                halo_reference=checkout.halo_reference,
                halo_transaction_id=transaction.transaction_id,
                authorisation_code=transaction.authorisation_code,
                response_code=transaction.response_code,
                amount=transaction.amount,
                currency=transaction.currency,
            )
            result = self.outcomes.apply(checkout, outcome, "reconcile", from_halo=True)
            report.applied += 1
            return f"applied:{result.checkout.status.value}" if result else "applied"
        deadline = datetime.fromisoformat(checkout.expires_at) + self.grace
        if now >= deadline:
            self.service.expire(checkout)
            report.expired += 1
            return "expired"
        delay = timing.reconcile_delay(checkout.checks, self.service.check_backoff)
        self.service.reschedule(checkout, min(now + delay, deadline))
        report.rescheduled += 1
        return "rescheduled"

    def _quietly_reschedule(self, checkout: Checkout, due_at: datetime) -> None:
        try:
            self.service.reschedule(checkout, due_at)
        except HalotapError:
            logger.warning("could not reschedule; the checkout stays due", extra={"checkoutId": checkout.id})


__all__ = ["Reconciler", "RunReport"]
