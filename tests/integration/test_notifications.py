"""PSP notifications: one per real change, never lost, signed, retried on schedule, parked, SSRF-guarded."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from functions.deliver_notification import handler as deliver_handler
from halotap import aws
from halotap.checkouts import Caller
from halotap.config import settings
from halotap.deliveries import NotificationDeliverer
from halotap.halo_events import ReportedOutcome
from halotap.models import CreateCheckoutRequest
from halotap.notify import NotificationQueue
from halotap.reconcile import Reconciler
from halotap.states import Disposition
from tests.fakes import FakeClock, FakeLambdaContext, sqs_event
from tests.integration.conftest import build_services

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))
SECRET = "whsec_aGFsb3RhcC1kZXYtc2lnbmluZy1zZWNyZXQtMDEyMw=="  # the devstack's, seeded by provisioning
PSP_URL = "https://psp.example/webhooks"


def public_dns(_host, _port):
    return ["93.184.215.14"]  # the PSP's name resolves to a public address


@pytest.fixture
def services(moto_env, halo):
    return build_services(halo)


@pytest.fixture
def psp_endpoint(services):
    """Point the seeded client at an https URL; the fake PSP below answers it."""
    secret_name = f"{settings().secrets_prefix}/clients"
    sm = aws.secretsmanager()
    record = json.loads(sm.get_secret_value(SecretId=secret_name)["SecretString"])
    record["demo-psp"]["notificationUrl"] = PSP_URL
    sm.put_secret_value(SecretId=secret_name, SecretString=json.dumps(record))
    return PSP_URL


class FakePsp:
    """The PSP's webhook endpoint: verifies like any Standard Webhooks receiver, fails on cue."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[httpx.Response] = []
        self.verified: list[bool] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        try:
            Webhook(SECRET).verify(request.content, dict(request.headers))
            self.verified.append(True)
        except Exception:
            self.verified.append(False)
        return self.answers.pop(0) if self.answers else httpx.Response(204)


def checkout_of(services, reference="n-1"):
    request = CreateCheckoutRequest.model_validate(
        {"merchantId": "demo-merchant", "reference": reference, "amount": "42.00", "currency": "ZAR"}
    )
    return services.store.get(services.checkouts.create(CALLER, request).id)


def queued(url=None):
    result = aws.sqs().receive_message(
        QueueUrl=url or settings().notifications_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [json.loads(m["Body"]) for m in result.get("Messages", [])]


def approve(services, checkout):
    return services.checkouts.apply(checkout, ReportedOutcome(Disposition.APPROVED), "halo_webhook")


def deliverer(services, psp, schedule=(1, 2, 4), resolve=public_dns):
    return NotificationDeliverer(
        store=services.store,
        secret_store=services.secrets,
        http=httpx.Client(transport=httpx.MockTransport(psp)),
        dead_letters=NotificationQueue(settings().notifications_dlq_url),
        schedule=schedule,
        resolve=resolve,
    )


def run_delivery(services, psp, message, attempt, **kwargs):
    event = sqs_event(json.dumps(message))
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(attempt)
    return deliver_handler.handler(event, FakeLambdaContext(), deliverer=deliverer(services, psp, **kwargs))


# -- one notification per real change -----------------------------------------------------------


def test_a_real_change_queues_exactly_one_notification(services):
    checkout = checkout_of(services)
    approve(services, checkout)
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
    assert stored.due_at is None


def test_a_duplicate_halo_outcome_makes_no_second_notification(services):
    checkout = checkout_of(services)
    approve(services, checkout)
    approve(services, services.store.get(checkout.id))
    assert len(queued()) == 1


def test_cancel_and_void_each_notify(services):
    checkout = checkout_of(services)
    services.checkouts.cancel(CALLER, checkout.id)
    approved = approve(services, services.store.get(checkout.id)).checkout  # money wins, and says so
    services.checkouts.apply(approved, ReportedOutcome(Disposition.VOIDED), "halo_webhook")
    assert [m["type"] for m in queued()] == ["checkout.cancelled", "checkout.approved", "checkout.voided"]


class CrashingQueue:
    """The process dies after the status change is written and before the enqueue."""

    def send(self, _body):
        raise SystemExit("killed")  # not an Exception: nothing in the service may swallow it


def test_a_crash_between_the_change_and_the_enqueue_still_ends_in_one_notification(services, halo):
    checkout = checkout_of(services)
    services.checkouts.notifications = CrashingQueue()
    with pytest.raises(SystemExit):
        approve(services, checkout)
    stored = services.store.get(checkout.id)
    assert stored.status == "approved"
    assert [s.status for s in stored.notifications.values()] == ["pending"]
    assert queued() == []
    # A fresh container runs reconciliation once the sweep is due.
    clock = FakeClock()
    clock.now = datetime.now(UTC).replace(microsecond=0)
    clock.advance(61)
    fresh = build_services(halo)
    Reconciler(fresh.checkouts, fresh.halo, clock=clock).run()
    Reconciler(fresh.checkouts, fresh.halo, clock=clock).run()  # a second run finds nothing left
    [message] = queued()
    assert message["type"] == "checkout.approved"
    assert fresh.store.get(checkout.id).due_at is None


# -- delivery ---------------------------------------------------------------------------------


@pytest.fixture
def approval(services, psp_endpoint):
    """An approved checkout whose notification is queued: (checkout, the queued message)."""
    checkout = checkout_of(services)
    approve(services, checkout)
    [message] = queued()
    return checkout, message


def test_every_notification_verifies_with_the_standard_webhooks_library(services, psp_endpoint):
    checkout = checkout_of(services)
    approve(services, checkout)
    psp = FakePsp()
    [message] = queued()
    assert run_delivery(services, psp, message, 1) == {"batchItemFailures": []}
    assert psp.verified == [True]
    request = psp.requests[0]
    assert request.headers["webhook-id"] == message["eventId"]
    assert request.headers["webhook-signature"].startswith("v1,")
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert (state.status, state.attempts, state.last_status) == ("delivered", 1, 204)


def test_a_failing_psp_gets_the_same_webhook_id_until_it_answers(services, approval):
    checkout, message = approval
    psp = FakePsp()
    psp.answers = [httpx.Response(503), httpx.Response(500)]
    results = [run_delivery(services, psp, message, attempt) for attempt in (1, 2, 3)]
    assert [bool(r["batchItemFailures"]) for r in results] == [True, True, False]
    assert {r.headers["webhook-id"] for r in psp.requests} == {message["eventId"]}
    assert all(psp.verified)
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert (state.status, state.attempts) == ("delivered", 3)
    # A copy of the message arriving later is recognised and not sent again.
    run_delivery(services, psp, message, 1)
    assert len(psp.requests) == 3


def test_an_exhausted_schedule_parks_the_notification_in_the_dlq(services, approval):
    checkout, message = approval
    psp = FakePsp()
    psp.answers = [httpx.Response(503)] * 4
    for attempt in (1, 2, 3, 4):
        run_delivery(services, psp, message, attempt, schedule=(1, 2, 4))
    [parked] = queued(settings().notifications_dlq_url)
    assert (parked["eventId"], parked["attempts"]) == (message["eventId"], 4)
    assert "503" in parked["lastError"]
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert (state.status, state.attempts) == ("failed", 4)


def test_410_stops_the_retries(services, approval):
    checkout, message = approval
    psp = FakePsp()
    psp.answers = [httpx.Response(410)]
    assert run_delivery(services, psp, message, 1) == {"batchItemFailures": []}
    assert services.store.get(checkout.id).notifications[message["eventId"]].status == "gone"
    run_delivery(services, psp, message, 2)
    assert len(psp.requests) == 1


def test_retry_after_is_honoured(services, approval):
    checkout, message = approval
    psp = FakePsp()
    psp.answers = [httpx.Response(429, headers={"Retry-After": "120"})]
    run_delivery(services, psp, message, 1)
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert state.status == "retrying"
    waited = datetime.fromisoformat(state.next_attempt_at) - datetime.now(UTC)
    assert 100 < waited.total_seconds() <= 120


def test_get_shows_where_the_notification_stands(services, approval):
    checkout, message = approval
    psp = FakePsp()
    psp.answers = [httpx.Response(503)]
    run_delivery(services, psp, message, 1)
    [shown] = services.store.get(checkout.id).to_api()["notifications"]
    assert shown["eventId"] == message["eventId"]
    assert (shown["status"], shown["attempts"], shown["lastStatus"]) == ("retrying", 1, 503)
    assert "503" in shown["lastError"]


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
    request = CreateCheckoutRequest.model_validate(
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


def test_a_name_resolving_to_a_private_address_is_refused_at_create(services):
    from functools import partial

    from halotap.ssrf import check_url

    services.checkouts.url_guard = partial(check_url, resolve=lambda _h, _p: ["10.0.0.7"])
    request = CreateCheckoutRequest.model_validate(
        {
            "merchantId": "demo-merchant",
            "reference": "ssrf",
            "amount": "1.00",
            "currency": "ZAR",
            "notificationUrl": "https://internal.psp.example/hook",
        }
    )
    with pytest.raises(Exception, match="private"):
        services.checkouts.create(CALLER, request)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "fd00::1", "::1"])
def test_the_guard_runs_again_at_delivery_and_sends_nothing_unsafe(services, approval, address):
    checkout, message = approval
    psp = FakePsp()
    run_delivery(services, psp, message, 1, resolve=lambda _h, _p: [address])  # DNS changed since create
    assert psp.requests == []
    state = services.store.get(checkout.id).notifications[message["eventId"]]
    assert state.status == "retrying"
    assert "unsafe url" in state.last_error


def test_an_expiry_is_notified(services, halo):
    clock = FakeClock()
    clock.now = datetime.now(UTC).replace(microsecond=0)
    services.checkouts.clock = clock
    checkout = checkout_of(services)
    clock.advance(1800 + 121)  # past expiresAt and the default grace
    Reconciler(services.checkouts, services.halo, clock=clock).run()
    assert services.store.get(checkout.id).status == "expired"
    assert [m["type"] for m in queued()] == ["checkout.expired"]
