"""The outbox and the deliverer's bookkeeping, on the in-memory ports: one notification per real change,
queued even across a crash, and every delivery attempt recorded on the checkout."""

from __future__ import annotations

import json

import httpx
import pytest

from halotap.app.checkouts import Caller
from halotap.domain.errors import ConcurrentUpdate
from halotap.domain.halo import ReportedOutcome
from halotap.domain.notifications import NotificationMessage
from halotap.domain.requests import CreateCheckoutRequest
from halotap.domain.states import Disposition
from tests.fakes import FakeClock
from tests.memory.services import build_services

CALLER = Caller("demo-psp", frozenset({"demo-merchant"}))
PSP_URL = "https://psp.example/webhooks"


def public_dns(_host, _port):
    return ["93.184.215.14"]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def answers():
    """What the PSP answers, first first; 204 once they run out."""
    return []


@pytest.fixture
def services(halo, clock, answers, monkeypatch):
    monkeypatch.setenv("HALOTAP_NOTIFY_SCHEDULE", "1,2,4")  # four attempts in all
    psp = httpx.MockTransport(lambda _request: answers.pop(0) if answers else httpx.Response(204))
    built = build_services(halo, clock=clock, resolve=public_dns, webhook_http=httpx.Client(transport=psp))
    built.secrets.values["clients"]["demo-psp"]["notificationUrl"] = PSP_URL
    return built


def checkout_of(services):
    request = CreateCheckoutRequest.validate(
        {"merchantId": "demo-merchant", "reference": "n-1", "amount": "42.00", "currency": "ZAR"}
    )
    return services.store.get(services.checkouts.create(CALLER, request).id)


def reports(services, halo, checkout, disposition):
    halo.tap(checkout.halo_reference, disposition.value)
    return services.outcomes.apply(checkout, ReportedOutcome(disposition), "halo_webhook").checkout


def queued(services):
    return services.notifications_queue.messages()


# -- the outbox -----------------------------------------------------------------------------------
def test_a_real_change_queues_one_notification_and_marks_it_queued(services, halo):
    checkout = checkout_of(services)
    approved = reports(services, halo, checkout, Disposition.APPROVED)
    reports(services, halo, approved, Disposition.APPROVED)  # Halo's duplicate: no second notification

    [message] = queued(services)
    assert message["type"] == "checkout.approved"
    assert json.loads(message["body"])["data"]["status"] == "approved"
    stored = services.store.get(checkout.id)
    assert stored.notifications[message["eventId"]].status == "queued"
    assert stored.due_at == stored.watch_due  # nothing left to send
    assert services.event_log.get(message["eventId"]).body == message["body"]  # the feed has the same


def test_cancel_then_a_late_approval_then_a_void_each_notify(services, halo):
    checkout = checkout_of(services)
    services.checkouts.cancel(CALLER, checkout.id)
    approved = reports(services, halo, services.store.get(checkout.id), Disposition.APPROVED)
    reports(services, halo, approved, Disposition.VOIDED)
    assert [m["type"] for m in queued(services)] == [
        "checkout.cancelled",
        "checkout.approved",
        "checkout.voided",
    ]


def test_a_queue_that_refuses_leaves_the_entry_pending_and_reconciliation_queues_it(services, halo, clock):
    checkout = checkout_of(services)
    services.notifications_queue.fail = True
    reports(services, halo, checkout, Disposition.APPROVED)
    stored = services.store.get(checkout.id)
    assert [s.status for s in stored.notifications.values()] == ["pending"]

    services.notifications_queue.fail = False
    clock.advance(61)
    services.reconciler.run()
    services.reconciler.run()  # a second run finds nothing left
    [message] = queued(services)
    assert services.store.get(checkout.id).notifications[message["eventId"]].status == "queued"


# -- the deliverer's bookkeeping ------------------------------------------------------------------
@pytest.fixture
def approval(services, halo):
    checkout = checkout_of(services)
    reports(services, halo, checkout, Disposition.APPROVED)
    [message] = queued(services)
    return checkout, message


def state_of(services, checkout, message):
    return services.store.get(checkout.id).notifications[message["eventId"]]


def test_a_delivery_is_recorded_with_its_status_and_time(services, approval, clock):
    checkout, message = approval
    assert services.deliverer.deliver(NotificationMessage.from_dict(message), 1).outcome == "delivered"
    state = state_of(services, checkout, message)
    assert (state.status, state.attempts, state.last_status) == ("delivered", 1, 204)
    assert state.next_attempt_at is None
    # A copy arriving later is recognised and not sent again.
    assert services.deliverer.deliver(NotificationMessage.from_dict(message), 1).outcome == "skipped"


def test_a_failed_attempt_is_retrying_with_its_next_attempt_and_then_delivered(services, approval, answers):
    checkout, message = approval
    answers += [httpx.Response(503)]
    result = services.deliverer.deliver(NotificationMessage.from_dict(message), 1)
    state = state_of(services, checkout, message)
    assert (result.outcome, result.delay) == ("retry", 1)
    assert (state.status, state.attempts, state.last_status) == ("retrying", 1, 503)
    assert state.next_attempt_at is not None

    services.deliverer.deliver(NotificationMessage.from_dict(message), 2)
    state = state_of(services, checkout, message)
    assert (state.status, state.attempts, state.next_attempt_at) == ("delivered", 2, None)


def test_an_exhausted_schedule_parks_the_message_in_the_dlq_and_marks_it_failed(services, approval, answers):
    checkout, message = approval
    answers += [httpx.Response(500)] * 4
    outcomes = [
        services.deliverer.deliver(NotificationMessage.from_dict(message), attempt).outcome
        for attempt in (1, 2, 3, 4)
    ]
    assert outcomes == ["retry", "retry", "retry", "exhausted"]
    [parked] = services.dead_letters.messages()
    assert (parked["eventId"], parked["attempts"]) == (message["eventId"], 4)
    assert state_of(services, checkout, message).status == "failed"


def test_410_is_gone_and_stops_the_retries(services, approval, answers):
    checkout, message = approval
    answers += [httpx.Response(410)]
    assert services.deliverer.deliver(NotificationMessage.from_dict(message), 1).outcome == "gone"
    assert state_of(services, checkout, message).status == "gone"
    assert (
        services.deliverer.deliver(NotificationMessage.from_dict(message), 2).outcome == "skipped"
    )  # no second POST after 410


def test_a_redriven_message_counts_on_from_the_attempts_already_made(services, approval, answers):
    checkout, message = approval
    answers += [httpx.Response(500)] * 2
    services.deliverer.deliver(NotificationMessage.from_dict(message), 1)
    services.deliverer.deliver(NotificationMessage.from_dict(message), 2)
    services.deliverer.deliver(
        NotificationMessage.from_dict(message), 1
    )  # redriven: the queue counts from 1 again
    assert state_of(services, checkout, message).attempts == 3


def test_an_attempt_recorded_during_another_write_is_decided_again_on_the_new_version(services, approval):
    checkout, message = approval
    store = services.store
    save = store.save
    raced = []

    def racing_save(before, after, history=()):
        if not raced:
            raced.append(True)
            save(before, before.but(checks=before.checks + 1))  # another writer lands first
        return save(before, after, history)

    store.save = racing_save
    services.deliverer.deliver(NotificationMessage.from_dict(message), 1)
    stored = store.get(checkout.id)
    assert (stored.notifications[message["eventId"]].status, stored.checks) == (
        "delivered",
        checkout.checks + 1,
    )


def test_an_attempt_that_keeps_losing_races_is_given_up_without_failing_the_delivery(services, approval):
    _, message = approval

    def always_raced(before, after, history=()):
        raise ConcurrentUpdate("raced")

    services.store.save = always_raced
    assert services.deliverer.deliver(NotificationMessage.from_dict(message), 1).outcome == "delivered"
