"""Webhook endpoints on the in-memory ports: an event fans out to each endpoint that wants it, each signed
with its own secret and failing on its own; one that fails for days is disabled and says so to the
others; recover sends what it missed under the same webhook-ids; and the rules of the API itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks import Webhook

from halotap.app.checkouts import Caller
from halotap.domain.endpoints import DEFAULT_ENDPOINT_ID, MAX_ENDPOINTS
from halotap.domain.errors import EndpointLimitReached, EndpointNotFound, InvalidRequest, RetryLater
from halotap.domain.halo import ReportedOutcome
from halotap.domain.notifications import NotificationMessage
from halotap.domain.requests import CreateCheckoutRequest
from halotap.domain.states import Disposition
from tests.fakes import FakeClock
from tests.memory.services import build_services

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))
DEFAULT_URL = "https://psp.example/default"
APPROVALS_URL = "https://psp.example/approvals"
REFUNDS_URL = "https://psp.example/refunds"
DEFAULT_SECRET = "whsec_aGFsb3RhcC1kZXYtc2lnbmluZy1zZWNyZXQtMDEyMw=="


def public_dns(_host, _port):
    return ["93.184.215.14"]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def received():
    return []


@pytest.fixture
def failing():
    """URLs that answer 503 for now."""
    return set()


@pytest.fixture
def services(halo, clock, received, failing, monkeypatch):
    monkeypatch.setenv("HALOTAP_NOTIFY_SCHEDULE", "1,2,4")

    def answer(request):
        received.append(request)
        return httpx.Response(503 if str(request.url) in failing else 204)

    built = build_services(
        halo,
        clock=clock,
        resolve=public_dns,
        webhook_http=httpx.Client(transport=httpx.MockTransport(answer)),
    )
    client = built.secrets.values["clients"]["demo-psp"]
    client["notificationUrl"] = DEFAULT_URL
    client["signingSecrets"] = [DEFAULT_SECRET]
    return built


def approve_one(services, halo, reference="we-1"):
    request = CreateCheckoutRequest.validate(
        {"merchantId": "demo-merchant", "reference": reference, "amount": "42.00", "currency": "ZAR"}
    )
    checkout = services.store.get(services.checkouts.create(CALLER, request).id)
    halo.tap(checkout.halo_reference, "Approved")
    return services.outcomes.apply(checkout, ReportedOutcome(Disposition.APPROVED), "halo_webhook").checkout


def drain(services, attempt=1):
    """Deliver everything queued, once (a split event's copies too); the outcomes, in order."""
    outcomes = []
    while batch := services.notifications_queue.take():
        for body in batch:
            try:
                outcomes.append(services.deliverer.deliver_queued(body, attempt).outcome)
            except RetryLater:
                outcomes.append("retry")
    return outcomes


def signed_by(request, secret):
    """Whether one of the request's signatures is the standardwebhooks library's own for `secret` (its
    `verify` would also hold the fake clock's timestamp against the real time)."""
    stamp = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(request.headers["webhook-id"], stamp, request.content.decode())
    return expected in request.headers["webhook-signature"].split(" ")


# -- fan-out --------------------------------------------------------------------------------------
def test_each_endpoint_gets_only_the_events_it_enabled_signed_with_its_own_secret(services, halo, received):
    approvals = services.webhook_endpoints.create(
        CALLER, {"url": APPROVALS_URL, "enabledEvents": ["checkout.approved"]}
    )
    refunds = services.webhook_endpoints.create(
        CALLER, {"url": REFUNDS_URL, "enabledEvents": ["refund.failed"]}
    )

    approve_one(services, halo)
    assert drain(services) == ["fanned", "delivered", "delivered"]  # we_default and approvals; not refunds

    by_url = {str(r.url): r for r in received}
    assert set(by_url) == {DEFAULT_URL, APPROVALS_URL}
    assert signed_by(by_url[APPROVALS_URL], approvals.secrets[0])
    assert signed_by(by_url[DEFAULT_URL], DEFAULT_SECRET)
    assert not signed_by(by_url[APPROVALS_URL], refunds.secrets[0])  # another endpoint's secret does not
    assert not signed_by(by_url[APPROVALS_URL], DEFAULT_SECRET)
    assert by_url[APPROVALS_URL].headers["webhook-id"] == by_url[DEFAULT_URL].headers["webhook-id"]


def test_one_failing_endpoint_retries_alone_and_the_log_shows_each_attempt(services, halo, failing, clock):
    approvals = services.webhook_endpoints.create(CALLER, {"url": APPROVALS_URL, "enabledEvents": ["*"]})
    failing.add(APPROVALS_URL)
    approved = approve_one(services, halo)
    [split] = services.notifications_queue.take()
    services.deliverer.deliver_queued(split, 1)
    copies = {json.loads(body)["endpointId"]: body for body in services.notifications_queue.take()}

    assert services.deliverer.deliver_queued(copies[DEFAULT_ENDPOINT_ID], 1).outcome == "delivered"
    clock.advance(0.5)  # the log is oldest first
    with pytest.raises(RetryLater):
        services.deliverer.deliver_queued(copies[approvals.id], 1)  # only this copy waits
    failing.clear()
    clock.advance(1)
    assert services.deliverer.deliver_queued(copies[approvals.id], 2).outcome == "delivered"

    event_id = next(iter(approved.notifications))
    log = [(a.endpoint_id, a.attempt, a.status) for a in services.events.deliveries(CALLER, event_id)]
    assert log == [(DEFAULT_ENDPOINT_ID, 1, 204), (approvals.id, 1, 503), (approvals.id, 2, 204)]
    assert services.store.get(approved.id).notifications[event_id].status == "delivered"  # the default's copy


def test_a_checkouts_own_notification_url_still_overrides_every_endpoint(services, halo, received):
    services.webhook_endpoints.create(CALLER, {"url": APPROVALS_URL, "enabledEvents": ["*"]})
    request = CreateCheckoutRequest.validate(
        {
            "merchantId": "demo-merchant",
            "reference": "own-url",
            "amount": "42.00",
            "currency": "ZAR",
            "notificationUrl": "https://psp.example/this-checkout",
        }
    )
    checkout = services.store.get(services.checkouts.create(CALLER, request).id)
    halo.tap(checkout.halo_reference, "Approved")
    services.outcomes.apply(checkout, ReportedOutcome(Disposition.APPROVED), "halo_webhook")

    assert drain(services) == ["delivered"]
    assert [str(r.url) for r in received] == ["https://psp.example/this-checkout"]


# -- disable and recover --------------------------------------------------------------------------
def test_an_endpoint_failing_for_five_days_is_disabled_and_the_others_are_told(
    services, halo, failing, clock
):
    approvals = services.webhook_endpoints.create(CALLER, {"url": APPROVALS_URL, "enabledEvents": ["*"]})
    failing.add(APPROVALS_URL)
    approve_one(services, halo, "first")
    drain(services)
    clock.advance(timedelta(days=5).total_seconds() - 60)
    approve_one(services, halo, "second")
    drain(services)
    assert services.webhook_endpoints.get(CALLER, approvals.id).status == "enabled"  # not 5 days yet

    clock.advance(120)
    approve_one(services, halo, "third")
    [split] = services.notifications_queue.take()
    services.deliverer.deliver_queued(split, 1)
    copy = next(b for b in services.notifications_queue.take() if approvals.id in b)
    result = services.deliverer.deliver(NotificationMessage.from_json(copy), 1)

    assert (result.outcome, result.disabled) == ("exhausted", True)
    assert services.webhook_endpoints.get(CALLER, approvals.id).status == "disabled"
    [told] = [m for m in services.notifications_queue.messages() if m["type"] == "endpoint.disabled"]
    assert json.loads(told["body"])["data"]["endpointId"] == approvals.id
    assert services.event_log.get(told["eventId"]) is not None  # in the feed too
    assert drain(services) == ["delivered"]  # to we_default only: the disabled endpoint is not a target


def test_recover_enables_the_endpoint_and_queues_what_it_missed_under_the_same_ids(services, halo, received):
    approvals = services.webhook_endpoints.create(CALLER, {"url": APPROVALS_URL, "enabledEvents": ["*"]})
    services.webhook_endpoints.update(CALLER, approvals.id, {"status": "disabled"})
    first = approve_one(services, halo, "missed-1")
    second = approve_one(services, halo, "missed-2")
    drain(services)
    assert APPROVALS_URL not in {str(r.url) for r in received}
    received.clear()

    queued = services.webhook_endpoints.recover(CALLER, approvals.id, {"since": "2026-11-27T00:00:00Z"})
    drain(services)

    assert queued == 2
    assert services.webhook_endpoints.get(CALLER, approvals.id).status == "enabled"
    ids = {next(iter(c.notifications)) for c in (first, second)}
    assert {r.headers["webhook-id"] for r in received if str(r.url) == APPROVALS_URL} == ids
    assert {str(r.url) for r in received} == {APPROVALS_URL}  # we_default had them already
    # Recovered again: nothing left to send.
    assert services.webhook_endpoints.recover(CALLER, approvals.id, {"since": "2026-11-27T00:00:00Z"}) == 0


# -- rotation -------------------------------------------------------------------------------------
def test_a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(services, halo, received, clock):
    created = services.webhook_endpoints.create(CALLER, {"url": APPROVALS_URL, "enabledEvents": ["*"]})
    services.webhook_endpoints.delete(CALLER, DEFAULT_ENDPOINT_ID)
    rotated = services.webhook_endpoints.rotate_secret(CALLER, created.id)
    approve_one(services, halo, "during")
    drain(services)
    during = received.pop()
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert signed_by(during, created.secrets[0])
    assert signed_by(during, rotated.secrets[0])

    clock.advance(timedelta(hours=24).total_seconds() + 1)
    approve_one(services, halo, "after")
    drain(services)
    after = received.pop()
    assert signed_by(after, rotated.secrets[0])
    assert not signed_by(after, created.secrets[0])


# -- the API's rules ------------------------------------------------------------------------------
def test_the_default_endpoint_is_listed_and_counts_toward_the_limit(services):
    assert [e.id for e in services.webhook_endpoints.list(CALLER)] == [DEFAULT_ENDPOINT_ID]
    for number in range(MAX_ENDPOINTS - 1):
        services.webhook_endpoints.create(
            CALLER, {"url": f"https://psp.example/{number}", "enabledEvents": ["*"]}
        )
    with pytest.raises(EndpointLimitReached):
        services.webhook_endpoints.create(CALLER, {"url": "https://psp.example/11", "enabledEvents": ["*"]})
    assert len(services.webhook_endpoints.list(CALLER)) == MAX_ENDPOINTS


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://169.254.169.254/latest", "enabledEvents": ["*"]}, "url"),
        ({"url": "https://psp.example/x", "enabledEvents": ["checkout.paid"]}, "enabledEvents"),
        ({"url": "https://psp.example/x", "enabledEvents": []}, "enabledEvents"),
        ({"url": "https://psp.example/x"}, "enabledEvents"),
        ({"url": "https://psp.example/x", "enabledEvents": ["*"], "secret": "whsec_x"}, "secret"),
    ],
)
def test_a_bad_create_names_its_field(services, body, field):
    with pytest.raises(InvalidRequest) as refused:
        services.webhook_endpoints.create(CALLER, body)
    assert refused.value.extensions["errors"][0]["field"] == field


def test_another_clients_endpoint_is_not_found(services):
    created = services.webhook_endpoints.create(CALLER, {"url": APPROVALS_URL, "enabledEvents": ["*"]})
    with pytest.raises(EndpointNotFound):
        services.webhook_endpoints.get(Caller("other-psp", None), created.id)
