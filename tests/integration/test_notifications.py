"""PSP notifications: one per real change, never lost, signed, retried on schedule, parked, SSRF-guarded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from functions.deliver_notification import handler as deliver_handler
from halotap.adapters import aws
from halotap.app.checkouts import Caller
from halotap.domain.halo import ReportedOutcome
from halotap.domain.requests import CreateCheckoutRequest
from halotap.domain.states import Disposition
from halotap.domain.views import checkout_view
from halotap.settings import settings
from tests.fakes import FakeClock, FakeLambdaContext, sqs_event
from tests.wiring import build_services

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))
SECRET = "whsec_aGFsb3RhcC1kZXYtc2lnbmluZy1zZWNyZXQtMDEyMw=="  # the devstack's, seeded by provisioning
PSP_URL = "https://psp.example/webhooks"
SCHEDULE = "1,2,4"  # HALOTAP_NOTIFY_SCHEDULE: three retries after the first attempt, four attempts in all


def public_dns(_host, _port):
    return ["93.184.215.14"]  # the PSP's name resolves to a public address


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(moto_env, halo, clock, monkeypatch):
    monkeypatch.setenv("HALOTAP_NOTIFY_SCHEDULE", SCHEDULE)
    settings.cache_clear()
    return build_services(halo, clock=clock, resolve=public_dns)


@pytest.fixture
def psp_endpoint(services):
    """Point the seeded client at an https URL; the fake PSP below answers it."""
    secret_name = f"{settings().secrets_prefix}/clients"
    sm = aws.secretsmanager()
    record = json.loads(sm.get_secret_value(SecretId=secret_name)["SecretString"])
    record["demo-psp"]["notificationUrl"] = PSP_URL
    sm.put_secret_value(SecretId=secret_name, SecretString=json.dumps(record))
    return PSP_URL


class PspWebhook(Webhook):
    """The Standard Webhooks library as the PSP runs it, its timestamp tolerance read on the PSP's clock.

    The PSP and halotap share one clock in these tests (a FakeClock), as they share real time in production.
    """

    TOLERANCE = timedelta(minutes=5)  # the library's own

    def __init__(self, secret: str, clock) -> None:
        super().__init__(secret)
        self._clock = clock

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:
        try:
            timestamp = datetime.fromtimestamp(float(timestamp_header), tz=UTC)
        except ValueError:
            raise WebhookVerificationError("Invalid Signature Headers") from None
        if abs(timestamp - self._clock()) > self.TOLERANCE:
            raise WebhookVerificationError("Message timestamp outside the tolerance")
        return timestamp


class FakePsp:
    """The PSP's webhook endpoint: verifies like any Standard Webhooks receiver, fails on cue."""

    def __init__(self, clock) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[httpx.Response] = []
        self.verified: list[bool] = []
        self._webhook = PspWebhook(SECRET, clock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        try:
            self._webhook.verify(request.content, dict(request.headers))
            self.verified.append(True)
        except Exception:
            self.verified.append(False)
        return self.answers.pop(0) if self.answers else httpx.Response(204)


class RecordingSqs:
    """SQS for the delivery function: sends go to moto; postponing a record (whose receipt handle is
    made up by `sqs_event`) is recorded, so a test can see the pause the deliverer asked for."""

    def __init__(self) -> None:
        self.postponed: list[tuple[str, int]] = []  # (queue URL, seconds)

    def send_message(self, **kwargs):
        return aws.sqs().send_message(**kwargs)

    def change_message_visibility(self, *, QueueUrl, ReceiptHandle, VisibilityTimeout):
        self.postponed.append((QueueUrl, VisibilityTimeout))


def checkout_of(services, reference="n-1"):
    request = CreateCheckoutRequest.validate(
        {"merchantId": "demo-merchant", "reference": reference, "amount": "42.00", "currency": "ZAR"}
    )
    return services.store.get(services.checkouts.create(CALLER, request).id)


def queued(url=None):
    result = aws.sqs().receive_message(
        QueueUrl=url or settings().notifications_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [json.loads(m["Body"]) for m in result.get("Messages", [])]


def halo_reports(services, halo, checkout, disposition):
    """Halo's webhook reports `disposition`, and Halo's status endpoint, which confirms it, agrees."""
    halo.tap(checkout.halo_reference, disposition.value)
    return services.outcomes.apply(checkout, ReportedOutcome(disposition), "halo_webhook")


def approve(services, halo, checkout):
    return halo_reports(services, halo, checkout, Disposition.APPROVED)


def run_delivery(halo, psp, message, attempt, *, clock, resolve=public_dns, sqs=None):
    """One receive of `message` by the deliver_notification function, wired as deployed, posting to `psp`."""
    wired = build_services(
        halo,
        clock=clock,
        resolve=resolve,
        webhook_http=httpx.Client(transport=httpx.MockTransport(psp)),
        sqs=sqs or RecordingSqs(),
    )
    event = sqs_event(json.dumps(message))
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(attempt)
    return deliver_handler.handler(event, FakeLambdaContext(), services=wired)


# -- one notification per real change -----------------------------------------------------------


def test_a_real_change_queues_exactly_one_notification(services, halo):
    checkout = checkout_of(services)
    approve(services, halo, checkout)
    [message] = queued()
    assert message["eventId"] == f"evt_{checkout.id.removeprefix('chk_')}_2"
    assert message["type"] == "checkout.approved"
    body = json.loads(message["body"])
    assert (body["type"], body["data"]["id"], body["data"]["status"]) == (
        "checkout.approved",
        checkout.id,
        "approved",
    )
    stored = services.store.get(checkout.id)
    assert stored.notifications[message["eventId"]].status == "queued"
    assert stored.due_at == stored.watch_due  # nothing left to send: due only for its watch after final


class CrashingQueue:
    """The process dies after the status change is written and before the enqueue."""

    def send(self, _body):
        raise SystemExit("killed")  # not an Exception: nothing in the service may swallow it


def test_a_crash_between_the_change_and_the_enqueue_still_ends_in_one_notification(services, halo, clock):
    checkout = checkout_of(services)
    services.checkouts.notifications = CrashingQueue()
    with pytest.raises(SystemExit):
        approve(services, halo, checkout)
    stored = services.store.get(checkout.id)
    assert stored.status == "approved"
    assert [s.status for s in stored.notifications.values()] == ["pending"]
    assert queued() == []
    # A fresh container runs reconciliation once the sweep is due.
    clock.advance(61)
    fresh = build_services(halo, clock=clock, resolve=public_dns)
    fresh.reconciler.run()
    fresh.reconciler.run()  # a second run finds nothing left
    [message] = queued()
    assert message["type"] == "checkout.approved"
    stored = fresh.store.get(checkout.id)
    assert stored.due_at == stored.watch_due  # nothing left to send: due only for its watch after final


# -- delivery ---------------------------------------------------------------------------------


@pytest.fixture
def approval(services, halo, psp_endpoint):
    """An approved checkout whose notification is queued: (checkout, the queued message)."""
    checkout = checkout_of(services)
    approve(services, halo, checkout)
    [message] = queued()
    return checkout, message


def test_every_notification_verifies_with_the_standard_webhooks_library(services, halo, clock, psp_endpoint):
    checkout = checkout_of(services)
    approve(services, halo, checkout)
    psp = FakePsp(clock)
    [message] = queued()
    assert run_delivery(halo, psp, message, 1, clock=clock) == {"batchItemFailures": []}
    assert psp.verified == [True]
    request = psp.requests[0]
    assert request.headers["webhook-id"] == message["eventId"]
    assert request.headers["webhook-signature"].startswith("v1,")
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert (state.status, state.attempts, state.last_status) == ("delivered", 1, 204)


def test_a_failing_psp_gets_the_same_webhook_id_until_it_answers(services, halo, clock, approval):
    checkout, message = approval
    psp = FakePsp(clock)
    psp.answers = [httpx.Response(503), httpx.Response(500)]
    sqs = RecordingSqs()
    results = [run_delivery(halo, psp, message, attempt, clock=clock, sqs=sqs) for attempt in (1, 2, 3)]
    assert [bool(r["batchItemFailures"]) for r in results] == [True, True, False]
    # Each failed attempt handed the message back to its queue after the schedule's pause.
    assert sqs.postponed == [(settings().notifications_queue_url, 1), (settings().notifications_queue_url, 2)]
    assert {r.headers["webhook-id"] for r in psp.requests} == {message["eventId"]}
    assert all(psp.verified)
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert (state.status, state.attempts) == ("delivered", 3)
    # A copy of the message arriving later is recognised and not sent again.
    run_delivery(halo, psp, message, 1, clock=clock)
    assert len(psp.requests) == 3


def test_an_exhausted_schedule_parks_the_notification_in_the_dlq(services, halo, clock, approval):
    checkout, message = approval
    psp = FakePsp(clock)
    psp.answers = [httpx.Response(503)] * 4
    for attempt in (1, 2, 3, 4):  # the schedule 1,2,4 allows four attempts
        run_delivery(halo, psp, message, attempt, clock=clock)
    [parked] = queued(settings().notifications_dlq_url)
    assert (parked["eventId"], parked["attempts"]) == (message["eventId"], 4)
    assert "503" in parked["lastError"]
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert (state.status, state.attempts) == ("failed", 4)


def test_retry_after_is_honoured(services, halo, clock, approval):
    checkout, message = approval
    psp = FakePsp(clock)
    psp.answers = [httpx.Response(429, headers={"Retry-After": "120"})]
    sqs = RecordingSqs()
    run_delivery(halo, psp, message, 1, clock=clock, sqs=sqs)
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert state.status == "retrying"
    waited = datetime.fromisoformat(state.next_attempt_at) - clock()
    assert waited == timedelta(seconds=120)  # not the schedule's 1 s
    assert sqs.postponed == [(settings().notifications_queue_url, 120)]


def test_get_shows_where_the_notification_stands(services, halo, clock, approval):
    checkout, message = approval
    psp = FakePsp(clock)
    psp.answers = [httpx.Response(503)]
    run_delivery(halo, psp, message, 1, clock=clock)
    [shown] = checkout_view(services.store.get(checkout.id))["notifications"]
    assert shown["eventId"] == message["eventId"]
    assert (shown["status"], shown["attempts"], shown["lastStatus"]) == ("retrying", 1, 503)
    assert "503" in shown["lastError"]


def test_a_redriven_notification_keeps_its_earlier_attempts_in_the_count(services, halo, clock, approval):
    checkout, message = approval
    psp = FakePsp(clock)
    psp.answers = [httpx.Response(503)] * 4
    for attempt in (1, 2, 3, 4):
        run_delivery(halo, psp, message, attempt, clock=clock)
    [parked] = queued(settings().notifications_dlq_url)
    redriven = {k: v for k, v in parked.items() if k not in ("attempts", "lastError")}  # as redrive sends it
    run_delivery(halo, psp, redriven, 1, clock=clock)  # a new message: SQS counts its receives from 1
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert (state.status, state.attempts, state.next_attempt_at) == ("delivered", 5, None)


# -- SSRF ------------------------------------------------------------------------------------------

UNSAFE = [
    "http://psp.example/hook",  # not https
    "https://127.0.0.1/hook",
    "https://[::1]/hook",
    "https://10.1.2.3/hook",
    "https://192.168.0.10/hook",
    "https://172.16.5.4/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://[fd00::1]/hook",
    "https://[fe80::1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
]


@pytest.mark.parametrize("url", UNSAFE)
def test_an_unsafe_notification_url_is_refused_at_create(services, url):
    request = CreateCheckoutRequest.validate(
        {
            "merchantId": "demo-merchant",
            "reference": "ssrf",
            "amount": "1.00",
            "currency": "ZAR",
            "notificationUrl": url,
        }
    )
    with pytest.raises(Exception, match="notificationUrl") as caught:
        services.checkouts.create(CALLER, request)
    assert caught.value.status == 400


def test_a_name_resolving_to_a_private_address_is_refused_at_create(moto_env, halo):
    internal = build_services(halo, resolve=lambda _h, _p: ["10.0.0.7"])
    request = CreateCheckoutRequest.validate(
        {
            "merchantId": "demo-merchant",
            "reference": "ssrf",
            "amount": "1.00",
            "currency": "ZAR",
            "notificationUrl": "https://internal.psp.example/hook",
        }
    )
    with pytest.raises(Exception, match="private"):
        internal.checkouts.create(CALLER, request)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "fd00::1", "::1"])
def test_the_guard_runs_again_at_delivery_and_sends_nothing_unsafe(services, halo, clock, approval, address):
    checkout, message = approval
    psp = FakePsp(clock)
    run_delivery(
        halo, psp, message, 1, clock=clock, resolve=lambda _h, _p: [address]
    )  # DNS changed since create
    assert psp.requests == []
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert state.status == "retrying"
    assert "unsafe url" in state.last_error


def test_an_expiry_is_notified(services, clock):
    checkout = checkout_of(services)
    clock.advance(1800 + 121)  # past expiresAt and the default grace
    services.reconciler.run()
    assert services.store.get(checkout.id).status == "expired"
    assert [m["type"] for m in queued()] == ["checkout.expired"]
