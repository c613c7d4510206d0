"""The daily ledger: prove one merchant's UTC day against Halo's transaction history.

How the day is read without holding it:
1. Halo's records of the day come first, page by page. Payments are looked up in batches (one
   BatchGetItem per 100 checkout ids); a refund's checkout is found by the payment's Halo transaction id.
   Each record is classed at once (domain/ledger.py), written to the CSV and added to the tally; the ids
   Halo named are kept in two sets. A set of ids for one day is what does grow with the day: 100,000
   ids of 30 characters are about 10 MB in CPython, well inside the function's memory.
2. Halo's records of the first hours after midnight (`late_window`) are read too, only to add to those
   sets: a payment created at 23:59:59 may be approved at Halo after midnight, and is not missing.
3. halotap's approved checkouts of the day (and, for their refunds, of `refund_lookback` before it) are
   listed from the merchant's index; each approved payment or succeeded refund of the day that Halo did
   not name is `missing_at_halo`.

A `status_mismatch` on a payment is healed through the confirmed apply path, as reconcile does: Halo's
status endpoint confirms the outcome before anything is written, so a wrong ledger record changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from halotap.app.outcomes import OutcomeService
from halotap.app.ports import EventRecorder, Halo, Queue, Secrets
from halotap.domain.clock import iso, utc_now
from halotap.domain.errors import HalotapError, InvalidRequest, LedgerNotFound, MerchantNotFound
from halotap.domain.events import Event
from halotap.domain.halo import HaloLedgerEntry, ReportedOutcome
from halotap.domain.ledger import (
    CSV_HEADER,
    Kind,
    LedgerTally,
    Line,
    checkout_id_of,
    classify_payment,
    classify_refund,
    is_approved,
    missing_payment,
    missing_refund,
)
from halotap.domain.models import Checkout, RefundStatus, settlement_keys
from halotap.domain.notifications import LEDGER_EVENT_TYPES, NotificationMessage
from halotap.domain.parties import Caller, MerchantCredentials
from halotap.domain.states import CheckoutStatus

logger = logging.getLogger(__name__)

EVENT_TYPE = LEDGER_EVENT_TYPES[0]  # ledger.completed
PAGE = 100  # Halo records classed together: one BatchGetItem for their checkouts
LATE_WINDOW = timedelta(hours=3)  # the schedule runs at 03:00 UTC: what Halo recorded since midnight
REFUND_LOOKBACK = timedelta(days=1)  # halotap's refunds of checkouts created this long before the day


class LedgerReads(Protocol):
    def checkouts(self, checkout_ids: Sequence[str]) -> dict[str, Checkout]: ...
    def by_halo_transaction(self, transaction_id: str) -> Checkout | None: ...
    def approved(self, merchant_id: str, window: tuple[str, str]) -> Iterator[Checkout]: ...


class RowWriter(Protocol):
    def writerow(self, row: Sequence[str]) -> Any: ...


class Reports(Protocol):
    def put_json(self, merchant_id: str, date: str, body: dict[str, Any]) -> str: ...
    def get(self, merchant_id: str, date: str, extension: str) -> bytes | str | None: ...
    def csv(
        self, merchant_id: str, date: str, header: Sequence[str]
    ) -> AbstractContextManager[RowWriter]: ...


def parse_day(text: str, today: date) -> date:
    """A report's day: `YYYY-MM-DD`, not in the future (400 otherwise, naming what is wrong)."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"date must be a day as YYYY-MM-DD, not {text!r}", field="date") from None
    if day > today:
        raise InvalidRequest(f"{text} is in the future; a ledger covers a day that has begun", field="date")
    return day


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1) - timedelta(milliseconds=1)


@dataclass
class RunResult:
    merchant_id: str
    date: str
    report: dict[str, Any]
    healed: int
    differences: int


def running_report(merchant_id: str, day: str, at: datetime) -> dict[str, Any]:
    """What GET shows from the moment a run is asked for until it completes (or fails)."""
    return {"merchantId": merchant_id, "date": day, "status": "running", "requestedAt": iso(at)}


@dataclass
class LedgerReportService:
    """The PSP's side of the ledger: read a report, or ask for a run. It needs only the reports, the
    merchants' secrets and the queue, so the API's function is given nothing of the checkouts table."""

    secrets: Secrets
    reports: Reports
    runs: Queue  # the ledger function's queue
    clock: Callable[[], datetime] = utc_now

    def read(self, caller: Caller, merchant_id: str, day_text: str, extension: str) -> bytes | str:
        """The report's bytes, or (too big to answer inline) a short-lived link to them."""
        _check_access(caller, merchant_id)
        day = parse_day(day_text, self.clock().date())
        body = self.reports.get(merchant_id, day.isoformat(), extension)
        if body is None:
            raise LedgerNotFound(f"no ledger for {merchant_id} on {day}; POST .../run to make one")
        return body

    def request_run(self, caller: Caller, merchant_id: str, day_text: str) -> dict[str, Any]:
        """Mark the report running at once (so GET shows it) and queue the run for the ledger function."""
        _check_access(caller, merchant_id)
        day = parse_day(day_text, self.clock().date()).isoformat()
        self.secrets.merchant(merchant_id)  # 404 for a merchant that is not configured
        running = running_report(merchant_id, day, self.clock())
        self.reports.put_json(merchant_id, day, running)
        self.runs.send(json.dumps({"merchantId": merchant_id, "date": day}))
        return running


def _check_access(caller: Caller, merchant_id: str) -> None:
    if not caller.may_use(merchant_id):
        raise MerchantNotFound(f"merchant {merchant_id!r} is not available to this API key")


@dataclass
class LedgerService:
    halo: Halo
    secrets: Secrets
    reads: LedgerReads
    reports: Reports
    outcomes: OutcomeService
    events: EventRecorder
    notifications: Queue
    clock: Callable[[], datetime] = utc_now
    late_window: timedelta = LATE_WINDOW
    refund_lookback: timedelta = REFUND_LOOKBACK

    # -- the run -----------------------------------------------------------------------------------------
    def run(self, merchant_id: str, day: date) -> RunResult:
        merchant = self.secrets.merchant(merchant_id)
        text = day.isoformat()
        self.reports.put_json(merchant_id, text, running_report(merchant_id, text, self.clock()))
        try:
            return self._run(merchant, day)
        except BaseException as error:
            failed = {
                **running_report(merchant_id, text, self.clock()),
                "status": "failed",
                "error": str(error)[:500],
            }
            self.reports.put_json(merchant_id, text, failed)
            raise

    def _run(self, merchant: MerchantCredentials, day: date) -> RunResult:
        start, end = _bounds(day)
        tally = LedgerTally()
        seen_payments: set[str] = set()
        seen_refunds: set[str] = set()
        healed = 0
        with self.reports.csv(merchant.merchant_id, day.isoformat(), CSV_HEADER) as csv_rows:

            def write(line: Line) -> None:
                tally.add(line)
                csv_rows.writerow(line.csv_row())

            for page in _pages(self.halo.history(merchant, start=start, end=end)):
                for line, checkout in self._classify(page, seen_payments, seen_refunds):
                    write(line)
                    if line.kind is Kind.STATUS_MISMATCH and checkout is not None:
                        healed += self._heal(checkout, line)
                    elif line.kind is Kind.MATCHED and checkout is not None:
                        self._keep_settlement(checkout, line)
            self._mark_late(merchant, end, seen_payments, seen_refunds)
            for line in self._unseen(merchant.merchant_id, day, start, seen_payments, seen_refunds):
                write(line)
        report = {
            "merchantId": merchant.merchant_id,
            "date": day.isoformat(),
            "status": "complete",
            "generatedAt": iso(self.clock()),
            **tally.report(),
            "healed": healed,
            "csv": f"ledger/{merchant.merchant_id}/{day.isoformat()}.csv",
        }
        path = self.reports.put_json(merchant.merchant_id, day.isoformat(), report)
        self._publish(merchant.merchant_id, {**tally.summary(), **_head(report), "report": path})
        return RunResult(merchant.merchant_id, day.isoformat(), report, healed, tally.difference_count)

    def _classify(
        self, page: list[HaloLedgerEntry], seen_payments: set[str], seen_refunds: set[str]
    ) -> Iterator[tuple[Line, Checkout | None]]:
        ids = [checkout_id_of(e.merchant_reference) for e in page if not e.is_refund]
        found = self.reads.checkouts([i for i in ids if i])
        by_transaction = {c.halo_transaction_id: c for c in found.values() if c.halo_transaction_id}
        for entry in page:
            if entry.is_refund:
                checkout = self._refunded_checkout(entry, by_transaction)
                refund = checkout.refunds.get(entry.merchant_reference or "") if checkout else None
                if refund is not None:
                    seen_refunds.add(refund.id)
                yield classify_refund(entry, refund), None
                continue
            checkout_id = checkout_id_of(entry.merchant_reference)
            payment = found.get(checkout_id or "")
            line = classify_payment(entry, payment)
            if payment is not None:
                if (
                    payment.id in seen_payments
                    and is_approved(entry.disposition)
                    and payment.halo_transaction_id is None
                ):
                    # A second approval of a checkout whose kept transaction Halo never named: money taken
                    # twice, which halotap knows once (with the id, classify_payment tells them apart).
                    line = classify_payment(entry, None)
                seen_payments.add(payment.id)
            yield line, payment

    def _keep_settlement(self, checkout: Checkout, line: Line) -> None:
        """An approved payment whose webhook did not carry the acquirer's keys gets them from the ledger.

        Best effort: a lost race (the checkout changed since the batch read) or a throttled write leaves it
        for the next run; the CSV carries the keys whatever happens here.
        """
        if (
            checkout.status is not CheckoutStatus.APPROVED
            or checkout.settlement is not None
            or line.settlement.is_empty
        ):
            return
        store = self.outcomes.checkouts.store
        try:
            store.save(checkout, checkout.but(settlement=settlement_keys(line.settlement)))
        except HalotapError as error:
            logger.info(
                "settlement keys not stored on the checkout this run; the next run will",
                extra={"checkoutId": checkout.id, "code": error.code},
            )

    def _refunded_checkout(
        self, entry: HaloLedgerEntry, by_transaction: dict[str, Checkout]
    ) -> Checkout | None:
        original = entry.original_transaction_id
        if not original:
            return None
        return by_transaction.get(original) or self.reads.by_halo_transaction(original)

    def _heal(self, checkout: Checkout, line: Line) -> int:
        """Hand Halo's outcome to the confirmed apply path (Halo's status endpoint decides); 1 if it moved."""
        if line.halo_disposition is None:
            return 0
        reported = ReportedOutcome(
            disposition=line.halo_disposition,
            merchant_reference=checkout.id,
            halo_reference=checkout.halo_reference,
            halo_transaction_id=line.halo_transaction_id,
            amount=line.halo_amount,
            currency=line.currency,
        )
        try:
            result = self.outcomes.apply(checkout, reported, "ledger")
        except HalotapError as error:
            logger.warning(
                "ledger could not heal a status mismatch; reconcile and the next run will",
                extra={"checkoutId": checkout.id, "code": error.code},
            )
            return 0
        return int(result is not None and result.checkout.status is not checkout.status)

    def _mark_late(
        self, merchant: MerchantCredentials, end: datetime, seen_payments: set[str], seen_refunds: set[str]
    ) -> None:
        late_end = min(end + self.late_window, self.clock())
        if late_end <= end:
            return
        for entry in self.halo.history(merchant, start=end + timedelta(milliseconds=1), end=late_end):
            if entry.is_refund:
                seen_refunds.add(entry.merchant_reference or "")
            else:
                seen_payments.add(checkout_id_of(entry.merchant_reference) or "")

    def _unseen(
        self, merchant_id: str, day: date, start: datetime, seen_payments: set[str], seen_refunds: set[str]
    ) -> Iterator[Line]:
        day_start, day_end = iso(start), iso(start + timedelta(days=1) - timedelta(milliseconds=1))
        window = (iso(start - self.refund_lookback), day_end)
        for checkout in self.reads.approved(merchant_id, window):
            if checkout.created_at >= day_start and checkout.id not in seen_payments:
                yield missing_payment(checkout)
            for refund in checkout.refunds.values():
                if (
                    refund.status is RefundStatus.SUCCEEDED
                    and day_start <= refund.created_at <= day_end
                    and refund.id not in seen_refunds
                ):
                    yield missing_refund(refund)

    def _publish(self, merchant_id: str, data: dict[str, Any]) -> None:
        """`ledger.completed` to every client that may use the merchant: an event in its feed and a webhook."""
        at = iso(self.clock())
        for client in self.secrets.clients():
            if client.merchants is not None and merchant_id not in client.merchants:
                continue
            digest = hashlib.sha256(f"{client.client_id}|{merchant_id}|{data['date']}|{at}".encode())
            event_id = f"evt_ledger_{digest.hexdigest()[:26]}"
            body = json.dumps({"type": EVENT_TYPE, "timestamp": at, "data": data}, separators=(",", ":"))
            # No checkout: the deliverer sends it without a checkout's delivery record (app/notifications.py).
            event = self.events.record(Event(event_id, client.client_id, "", EVENT_TYPE, body))
            self.notifications.send(NotificationMessage.of_event(event, replay=False).to_json())


def _head(report: dict[str, Any]) -> dict[str, Any]:
    return {key: report[key] for key in ("merchantId", "date", "status", "generatedAt")}


def _pages(entries: Iterator[HaloLedgerEntry]) -> Iterator[list[HaloLedgerEntry]]:
    page: list[HaloLedgerEntry] = []
    for entry in entries:
        page.append(entry)
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page
