"""The daily ledger on moto: a merchant-day's report in S3 (JSON and CSV), a status mismatch healed through
Halo's confirmation, and `ledger.completed` in the feed and the notifications queue."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from halotap.adapters import aws
from halotap.app.checkouts import Caller
from halotap.domain.errors import InvalidRequest, LedgerNotFound, MerchantNotFound
from halotap.domain.halo import HaloLedgerEntry, ReportedOutcome, Settlement
from halotap.domain.models import Checkout
from halotap.domain.notifications import NotificationMessage
from halotap.domain.requests import CreateCheckoutRequest
from halotap.domain.states import CheckoutStatus, Disposition
from halotap.settings import settings
from tests.fakes import FakeClock
from tests.wiring import build_services

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))
DAY = date(2026, 12, 7)


class HaloLedger:
    """Halo's transaction history as the port gives it: the records whose createdAt is in [start, end]."""

    def __init__(self) -> None:
        self.entries: list[HaloLedgerEntry] = []

    def add(self, reference, amount, disposition="Approved", kind="Purchase", id=None, original=None):
        self.entries.append(
            HaloLedgerEntry(
                id=id or f"halo-{len(self.entries)}",
                transaction_type=kind,
                merchant_reference=reference,
                disposition=disposition,
                amount=Decimal(amount),
                currency="ZAR",
                created_at=datetime(2026, 12, 7, 11, tzinfo=UTC),
                original_transaction_id=original,
                settlement=Settlement("recon-7", "20261207", "110000", Decimal("0.50")),
            )
        )

    def history(self, merchant, *, start=None, end=None, merchant_reference=None, page_size=500):
        return iter([e for e in self.entries if start <= e.created_at <= end])


@pytest.fixture
def clock():
    clock = FakeClock()
    clock.now = datetime(2026, 12, 7, 10, tzinfo=UTC)
    return clock


@pytest.fixture
def services(moto_env, halo, clock):
    return build_services(halo, clock=clock)


def create(services, reference, amount="25.50") -> Checkout:
    request = CreateCheckoutRequest.validate(
        {"merchantId": "demo-merchant", "reference": reference, "amount": amount, "currency": "ZAR"}
    )
    created = services.checkouts.create(CALLER, request)
    checkout = services.store.get(created.id)
    assert checkout is not None
    return checkout


def approve(services, halo, checkout) -> Checkout:
    halo.tap(checkout.halo_reference, "Approved")
    outcome = ReportedOutcome(Disposition.APPROVED, checkout.id, checkout.halo_reference)
    result = services.outcomes.apply(checkout, outcome, "test")
    assert result is not None
    return result.checkout


def report_object(extension):
    name = settings().ledger_bucket
    return aws.client("s3").get_object(Bucket=name, Key=f"ledger/demo-merchant/2026-12-07.{extension}")


def test_a_run_writes_each_class_to_json_and_csv_and_heals_the_status_mismatch(services, halo, clock):
    matched = approve(services, halo, create(services, "matched"))
    missing_at_halo = approve(services, halo, create(services, "not-at-halo"))
    mismatched_amount = approve(services, halo, create(services, "amount"))
    lost_approval = create(services, "lost")  # open at halotap; Halo approved it
    ledger = HaloLedger()
    ledger.add(matched.id, "25.50", id=matched.halo_transaction_id)
    ledger.add(mismatched_amount.id, "20.00", id=mismatched_amount.halo_transaction_id)
    ledger.add(lost_approval.id, "25.50")
    ledger.add("chk_" + "z" * 26, "99.00")  # a payment halotap never made
    ledger.add("rfd_" + "y" * 26, "5.00", kind="Refund", original=matched.halo_transaction_id)
    halo.tap(lost_approval.halo_reference, "Approved")  # Halo's status endpoint confirms the heal
    clock.now = datetime(2026, 12, 8, 4, tzinfo=UTC)
    ledger_service = replace(services.ledger, halo=ledger)

    result = ledger_service.run("demo-merchant", DAY)

    report = json.loads(report_object("json")["Body"].read())
    assert report["status"] == "complete"
    assert report["counts"] == {
        "matched": 1,
        "missing_in_halotap": 2,
        "missing_at_halo": 1,
        "amount_mismatch": 1,
        "status_mismatch": 1,
    }
    assert report["totals"]["ZAR"] == {
        "haloApproved": "170.00",
        "halotapApproved": "76.50",
        "refunded": "5.00",
        "fees": "2.50",
        "net": "162.50",
    }
    amount = next(d for d in report["differences"] if d["kind"] == "amount_mismatch")
    assert (amount["checkoutId"], amount["haloAmount"], amount["halotapAmount"]) == (
        mismatched_amount.id,
        "20.00",
        "25.50",
    )
    assert {d["checkoutId"] for d in report["differences"] if d["kind"] == "missing_at_halo"} == {
        missing_at_halo.id
    }
    rows = list(csv.DictReader(io.StringIO(report_object("csv")["Body"].read().decode())))
    assert len(rows) == 6  # five Halo records and the one checkout Halo did not show
    assert {row["class"] for row in rows if row["checkoutId"] == matched.id} == {"matched"}
    assert all(row["reconReference"] == "recon-7" for row in rows if row["class"] != "missing_at_halo")
    healed = services.store.get(lost_approval.id)
    assert healed is not None
    assert healed.status is CheckoutStatus.APPROVED
    assert healed.history[-1].source == "ledger"
    assert (result.healed, result.differences) == (1, 5)


def test_a_status_mismatch_halos_status_endpoint_does_not_confirm_changes_nothing(services, halo, clock):
    open_checkout = create(services, "still-open")
    ledger = HaloLedger()
    ledger.add(open_checkout.id, "25.50")  # the ledger says Approved; the status endpoint says nothing yet
    clock.now = datetime(2026, 12, 8, 4, tzinfo=UTC)

    result = replace(services.ledger, halo=ledger).run("demo-merchant", DAY)

    assert result.report["counts"]["status_mismatch"] == 1
    assert result.healed == 0
    stored = services.store.get(open_checkout.id)
    assert stored is not None
    assert stored.status is CheckoutStatus.OPEN


def test_a_completed_run_is_an_event_in_the_feed_and_a_queued_webhook(services, clock):
    clock.now = datetime(2026, 12, 8, 4, tzinfo=UTC)
    replace(services.ledger, halo=HaloLedger()).run("demo-merchant", DAY)

    events, _ = services.event_log.after("demo-psp", 0, 10, ("ledger.completed",))
    assert len(events) == 1
    data = json.loads(events[0].body)["data"]
    assert (data["merchantId"], data["date"], data["report"]) == (
        "demo-merchant",
        "2026-12-07",
        "ledger/demo-merchant/2026-12-07.json",
    )
    assert data["counts"]["matched"] == 0
    queued = aws.sqs().receive_message(QueueUrl=settings().notifications_queue_url, MaxNumberOfMessages=10)
    types = [json.loads(m["Body"])["type"] for m in queued.get("Messages", [])]
    assert "ledger.completed" in types


def test_reading_before_any_run_is_ledger_not_found(services):
    with pytest.raises(LedgerNotFound):
        services.ledger_reports.read(CALLER, "demo-merchant", "2026-12-07", "json")


def test_a_merchant_the_key_may_not_use_is_not_found(services):
    with pytest.raises(MerchantNotFound):
        services.ledger_reports.read(Caller("other", frozenset({"x"})), "demo-merchant", "2026-12-07", "json")


@pytest.mark.parametrize("day", ["2026-12-9", "yesterday", "2026-13-01", "2026-12-09"])
def test_a_day_that_is_not_a_past_date_is_refused(services, day):
    with pytest.raises(InvalidRequest):
        services.ledger_reports.read(CALLER, "demo-merchant", day, "json")


def test_a_requested_run_shows_running_at_once_and_queues_the_run(services):
    services.ledger_reports.request_run(CALLER, "demo-merchant", "2026-12-07")

    body = json.loads(services.ledger_reports.read(CALLER, "demo-merchant", "2026-12-07", "json"))
    assert body["status"] == "running"
    queued = aws.sqs().receive_message(QueueUrl=settings().ledger_queue_url)["Messages"]
    assert json.loads(queued[0]["Body"]) == {"merchantId": "demo-merchant", "date": "2026-12-07"}


def test_ledger_completed_is_delivered_signed_though_it_belongs_to_no_checkout(moto_env, halo, clock):
    import httpx
    from standardwebhooks.webhooks import Webhook

    from devstack.config import DevConfig

    posted: list[httpx.Request] = []

    def psp(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(204)

    services = build_services(
        halo,
        clock=clock,
        resolve=lambda _host, _port: ["93.184.215.14"],
        webhook_http=httpx.Client(transport=httpx.MockTransport(psp)),
    )
    secret_name = f"{settings().secrets_prefix}/clients"
    clients = json.loads(aws.secretsmanager().get_secret_value(SecretId=secret_name)["SecretString"])
    clients["demo-psp"]["notificationUrl"] = "https://psp.example/hooks"
    aws.secretsmanager().put_secret_value(SecretId=secret_name, SecretString=json.dumps(clients))
    clock.now = datetime.now(UTC)  # the PSP's Standard Webhooks library checks the timestamp on real time
    replace(services.ledger, halo=HaloLedger()).run("demo-merchant", DAY)
    queued = aws.sqs().receive_message(QueueUrl=settings().notifications_queue_url, MaxNumberOfMessages=10)
    message = next(m["Body"] for m in queued["Messages"] if '"clientId": "demo-psp"' in m["Body"])

    result = services.deliverer.deliver(NotificationMessage.from_json(message), attempt=1)

    assert result.outcome == "delivered"
    [request] = posted
    Webhook(DevConfig().signing_secret).verify(request.content, dict(request.headers))  # raises if not
    assert request.headers["webhook-id"] == json.loads(message)["eventId"]
    assert json.loads(request.content)["type"] == "ledger.completed"


def test_the_daily_schedule_queues_yesterday_for_every_merchant(services, clock):
    from functions.ledger import handler as ledger_handler
    from tests.fakes import FakeLambdaContext

    clock.now = datetime(2026, 12, 8, 3, tzinfo=UTC)
    scheduled = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}

    answer = ledger_handler.handler(scheduled, FakeLambdaContext(), services=services)

    assert answer == {"date": "2026-12-07", "queued": 1}
    queued = aws.sqs().receive_message(QueueUrl=settings().ledger_queue_url)["Messages"]
    assert [json.loads(m["Body"]) for m in queued] == [{"merchantId": "demo-merchant", "date": "2026-12-07"}]


def test_a_matched_payment_without_settlement_keys_gets_them_from_the_ledger(services, halo, clock):
    matched = approve(services, halo, create(services, "keys"))  # its webhook carried no provider fields
    assert matched.settlement is None
    ledger = HaloLedger()
    ledger.add(matched.id, "25.50", id=matched.halo_transaction_id)
    clock.now = datetime(2026, 12, 8, 4, tzinfo=UTC)

    replace(services.ledger, halo=ledger).run("demo-merchant", DAY)

    stored = services.store.get(matched.id)
    assert stored is not None
    assert stored.settlement is not None
    assert (stored.settlement.recon_reference, stored.settlement.acquirer_date) == ("recon-7", "20261207")
    assert (stored.settlement.acquirer_time, stored.settlement.transaction_fee) == ("110000", "0.50")
