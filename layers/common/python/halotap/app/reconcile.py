"""Reconciliation: webhooks get lost, shoppers walk away, Lambdas die mid-call. This finds all three.

Each checkout with something left to do carries `dueAt` (and its `dueShard`) in a sparse index. A run
reads the due entries of every shard with a Query (never a Scan) and works through the oldest first,
across all shards, so no shard and no checkout waits behind others that are due later. It asks Halo
about each open checkout, applies a final outcome through the same path as a webhook, expires what is
past `expiresAt` plus a grace period, and moves everything else to its next check on a capped backoff.

The guarantee is progress: every checkout a run examines settles, expires, or has its `dueAt` moved
forward, errors included. A checkout that cannot be settled now therefore never holds a slot at the
head of the queue, and a backlog drains over bounded runs (docs/architecture.md, "Reconciliation").

A run examines `workers` checkouts at once, in threads, since each examination mostly waits for one
Halo status GET. They are taken oldest first, as submitted. Each examination fills its own RunReport,
which the run adds up afterwards, so no thread writes to another's counts. The rest of what the threads
share is safe to share: the adapters' clients are built before they start (`prepare`), Halo's circuit
breaker holds a lock, and each checkout is examined by one thread only (a checkout has one due entry).
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from halotap.app.attempts import check_earlier, reported
from halotap.app.checkouts import CheckoutService
from halotap.app.outcomes import OutcomeService
from halotap.app.ports import Halo
from halotap.app.refunds import RefundService
from halotap.domain import timing
from halotap.domain.clock import iso, utc_now
from halotap.domain.errors import HalotapError, HaloUnavailable
from halotap.domain.halo import HaloTransaction
from halotap.domain.models import Checkout
from halotap.domain.notifications import pending_events
from halotap.domain.states import CheckoutStatus, Disposition, Verdict
from halotap.domain.watch import attention, next_due, next_watch

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
    watched: int = 0  # final checkouts asked about again (watching after final)
    watch_changes: int = 0  # of those, the ones where Halo showed a change, applied as a webhook would be
    needs_attention: int = 0  # Indeterminate outcomes flagged for a person (an alarm)
    errors: int = 0
    lag_seconds: int = 0  # how long the oldest due checkout had been due when the run began
    stopped: str = ""  # why the run stopped before the due window was empty, if it did
    outcomes: dict[str, str] = field(default_factory=dict)  # checkout id -> what happened

    def add(self, part: RunReport) -> None:
        """Add one examination's counts and outcome to the run's."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(part, name))
        self.outcomes.update(part.outcomes)


# What an examination counts and a run adds up: every field but the run's own and the outcomes.
COUNTS = tuple(f.name for f in fields(RunReport) if f.name not in ("lag_seconds", "stopped", "outcomes"))


def _nothing_to_prepare() -> None:
    return None


@dataclass
class Reconciler:
    service: CheckoutService
    outcomes: OutcomeService
    refunds: RefundService
    shards: int  # how many shards the due index has (adapters/tables.py)
    grace: timedelta = timedelta(seconds=timing.EXPIRY_GRACE_SECONDS)
    batch_size: int = timing.RECONCILE_BATCH
    workers: int = timing.RECONCILE_WORKERS  # how many checkouts are examined at once, in threads
    after_error: timedelta = timing.RECONCILE_AFTER_ERROR  # how soon a checkout Halo failed on is due again
    clock: Callable[[], datetime] = utc_now
    # Builds, in the calling thread, whatever the examinations would otherwise build lazily and share
    # (clients, connection pools), so that no two worker threads build one at once (wiring.py).
    prepare: Callable[[], None] = _nothing_to_prepare

    @property
    def halo(self) -> Halo:
        return self.service.halo

    def run(self, time_left: Callable[[], float] = lambda: 60.0) -> RunReport:
        report = RunReport()
        now = self.clock()
        due = self._oldest_due(now)
        if not due:
            return report
        oldest = datetime.fromisoformat(due[0].due_at or iso(now))
        report.lag_seconds = max(0, int((now - oldest).total_seconds()))
        self.prepare()  # before any worker starts: see the field
        stop = threading.Event()  # set once out of time (or on a failure): no examination starts after
        with ThreadPoolExecutor(
            max_workers=max(1, min(self.workers, len(due))), thread_name_prefix="reconcile"
        ) as pool:
            # Submitted oldest first; the pool starts them in that order.
            examinations = [pool.submit(self._examine, checkout, now, time_left, stop) for checkout in due]
            try:
                for examination in examinations:
                    part = examination.result()
                    if part is None:
                        report.stopped = "out of time"
                    else:
                        report.add(part)
            except BaseException:
                # Not a HalotapError (those are handled per checkout): a bug, say. As before the run
                # fails, once the examinations already under way have finished; none starts after.
                stop.set()
                raise
        if not report.stopped and len(due) >= self.batch_size:
            report.stopped = "batch full"
        return report

    def _examine(
        self, checkout: Checkout, now: datetime, time_left: Callable[[], float], stop: threading.Event
    ) -> RunReport | None:
        """One checkout, in a worker thread: its own report, or None if the run is out of time.

        The time check is made as each examination starts, as it was when they ran one after another.
        """
        if stop.is_set() or time_left() < timing.RECONCILE_MIN_TIME_LEFT_SECONDS:
            stop.set()
            return None
        part = RunReport(examined=1)
        try:
            part.outcomes[checkout.id] = self._check(checkout, now, part)
        except BaseException:
            stop.set()  # not a HalotapError, which _check handles: the run fails (see run)
            raise
        return part

    def _oldest_due(self, now: datetime) -> list[Checkout]:
        """The `batch_size` checkouts that have been due longest, across every shard.

        Each shard's Query is oldest first, so the oldest of all are among the heads of the shards. Taking
        them in one order, rather than shard by shard, means a full shard never starves the others.
        """
        heads = [
            self.service.store.due(shard, iso(now), limit=self.batch_size) for shard in range(self.shards)
        ]
        return heapq.nsmallest(
            self.batch_size, (c for head in heads for c in head), key=lambda c: (c.due_at or "", c.id)
        )

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
            # Halo down, its circuit open, or DynamoDB throttled: nothing was changed. Past its deadline,
            # the checkout expires anyway (a late approval still wins); otherwise it is looked at again
            # shortly, behind the others, so it never holds the head of the queue.
            report.errors += 1
            logger.warning(
                "reconciliation could not check a checkout",
                extra={"checkoutId": checkout.id, "code": error.code, "detail": error.detail},
            )
            if checkout.status == CheckoutStatus.OPEN and now >= self._deadline(checkout):
                return self._expire_without_halo(checkout, report, error)
            self._quietly_reschedule(checkout, now + self.after_error)
            return f"error:{error.code}"

    def _check_final(self, checkout: Checkout, now: datetime, report: RunReport) -> str:
        """Final: due while a notification waits in its outbox (a crash after the change), a refund waits
        for Halo's definite answer, a watch check is due, or an Indeterminate outcome reaches its deadline."""
        done = []
        if pending_events(checkout):
            checkout = self.service.publish(checkout)
            report.published += 1
            if pending_events(checkout):
                # The queue refused it: try again after the others, never from the head of the queue.
                self._quietly_reschedule(checkout, now + self.after_error)
                done.append("publish_failed")
            else:
                done.append("published")
        checkout, retried, overdue = self.refunds.retry_due(checkout, now)
        report.refunds_retried += retried
        report.refunds_overdue += overdue
        if retried:
            done.append(f"refunds_retried:{retried}")
        if checkout.watch_due and checkout.watch_due <= iso(now) and "publish_failed" not in done:
            checkout, found = self._watch(checkout, now, report)
            done.append(found)
        if checkout.attention_due and checkout.attention_due <= iso(now) and "publish_failed" not in done:
            checkout = self._flag_for_attention(checkout, now, report)
            done.append("needs_attention" if checkout.needs_attention else "attention_cleared")
        if "publish_failed" in done:
            return ",".join(done)
        due = next_due(checkout)
        if due is not None and due <= iso(now):
            due = iso(now + self.after_error)  # never left at the head of the queue (the guarantee)
        if checkout.due_at != due:
            self.service.store.save(checkout, checkout.but(due_at=due))
        return ",".join(done) or "cleared"

    def _watch(self, checkout: Checkout, now: datetime, report: RunReport) -> tuple[Checkout, str]:
        """Ask Halo again about a final checkout. A change goes through the webhook's apply path (money
        wins, the PSP is told, history records it, a late approval is refunded if the client wants it);
        otherwise the watch moves on to its next offset, or ends."""
        report.watched += 1
        checkout = check_earlier(self.outcomes, checkout)  # a second approval is refunded
        transaction = self._ask_halo(checkout)
        if transaction is not None and transaction.disposition is not None:
            result = self.outcomes.apply(
                checkout, reported(checkout, transaction), "reconcile", from_halo=True
            )
            if result is not None and result.verdict is Verdict.TRANSITION:
                report.watch_changes += 1
                logger.warning(
                    "a final checkout changed at Halo after its webhook was lost or never sent",
                    extra={
                        "checkoutId": checkout.id,
                        "from": checkout.status.value,
                        "to": result.checkout.status.value,
                    },
                )
                # The change restarted (or ended) the watch and published; nothing more is due for it.
                return result.checkout, f"watch_changed:{result.checkout.status.value}"
            if result is not None:
                checkout = result.checkout  # an anomaly may have been recorded: a newer version
        updated = checkout.but(**next_watch(checkout, self.service.watch_schedule))
        written = self.service.store.save(checkout, updated.but(due_at=next_due(updated)))
        return written, "watch_ended" if written.watch_due is None else "watched"

    def _flag_for_attention(self, checkout: Checkout, now: datetime, report: RunReport) -> Checkout:
        """An Indeterminate outcome that nothing replaced by its deadline: flag it for a person."""
        still_indeterminate = (
            checkout.status is CheckoutStatus.FAILED
            and checkout.outcome is not None
            and checkout.outcome.disposition == Disposition.INDETERMINATE.value
        )
        updated = checkout.but(attention_due=None)
        if still_indeterminate and checkout.needs_attention is None:
            updated = updated.but(needs_attention=attention(checkout, now))
            report.needs_attention += 1
            logger.error(
                "an Indeterminate outcome needs a person: reverse it in Halo's merchant portal if the "
                "shopper was charged (docs/operations.md, IndeterminateNeedsAttention)",
                extra={"checkoutId": checkout.id, "merchantId": checkout.merchant_id},
            )
        return self.service.store.save(checkout, updated.but(due_at=next_due(updated)))

    def _ask_halo(self, checkout: Checkout) -> HaloTransaction | None:
        if self.halo.breaker.is_open:
            # Fail fast, without a call: the error path expires or reschedules it.
            raise HaloUnavailable("Halo's circuit is open; not asking it now")
        merchant = self.service.secret_store.merchant(checkout.merchant_id)
        assert checkout.halo_reference is not None  # open and watched checkouts always have one
        return self.halo.transaction(merchant, checkout.halo_reference)

    def _check_open(self, checkout: Checkout, now: datetime, report: RunReport) -> str:
        deadline = self._deadline(checkout)
        checkout = check_earlier(self.outcomes, checkout)  # a late approval of an earlier attempt
        if checkout.status.is_final:
            return f"applied:{checkout.status.value}"
        transaction = self._ask_halo(checkout)
        if transaction is not None and transaction.disposition is not None:
            result = self.outcomes.apply(
                checkout, reported(checkout, transaction), "reconcile", from_halo=True
            )
            report.applied += 1
            if result is None or result.checkout.status.is_final:
                return f"applied:{result.checkout.status.value}" if result else "applied"
            # A failed attempt with attempts left: still open, and its expiry covers every attempt.
            checkout = result.checkout
        if now >= deadline:
            self.service.expire(checkout)
            report.expired += 1
            return "expired"
        delay = timing.reconcile_delay(checkout.checks, self.service.check_backoff)
        self.service.reschedule(checkout, min(now + delay, deadline))
        report.rescheduled += 1
        return "rescheduled"

    def _deadline(self, checkout: Checkout) -> datetime:
        return datetime.fromisoformat(checkout.expires_at) + self.grace

    def _expire_without_halo(self, checkout: Checkout, report: RunReport, error: HalotapError) -> str:
        """Past expiry plus grace and Halo cannot be asked: expire now rather than stay due for as long as
        Halo is down. If the shopper did pay, Halo's webhook (or a later look) records the approval over
        `expired` by the money-wins rule, with `replacedStatus`, so nothing is lost by not waiting."""
        try:
            self.service.expire(checkout)
        except HalotapError:
            self._quietly_reschedule(checkout, self.clock() + self.after_error)
            return f"error:{error.code}"
        report.expired += 1
        logger.warning(
            "expired without Halo's word: Halo could not be asked",
            extra={"checkoutId": checkout.id, "code": error.code},
        )
        return "expired_without_halo"

    def _quietly_reschedule(self, checkout: Checkout, due_at: datetime) -> None:
        try:
            self.service.reschedule(checkout, due_at)
        except HalotapError:
            logger.warning("could not reschedule; the checkout stays due", extra={"checkoutId": checkout.id})


__all__ = ["Reconciler", "RunReport"]
