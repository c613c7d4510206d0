"""Attempts (issue 19): a checkout with `maxAttempts` survives a failed tap, takes a new Halo link per attempt,
and is never charged twice: a second approval is refunded in full.

Everything runs the production path on the in-memory ports: the create, new-attempt and apply handlers,
Halo's real client over FakeHalo (which refuses a reused paymentReference, E124, as Halo does).
"""

from __future__ import annotations

import json
import threading

import pytest

from functions.apply_halo_event import handler as apply_handler
from functions.create_checkout import handler as create_handler
from functions.get_checkout import handler as get_handler
from functions.new_attempt import handler as attempt_handler
from halotap.domain.models import Checkout
from halotap.domain.parties import Caller
from halotap.domain.requests import CreateCheckoutRequest
from tests.fakes import FakeClock, FakeHalo, FakeLambdaContext, api_event, sqs_event
from tests.memory.services import build_services

CALLER = Caller(client_id="demo-psp", merchants=frozenset({"demo-merchant"}))
BODY = {"merchantId": "demo-merchant", "reference": "order-9", "amount": "40.00", "currency": "ZAR"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(halo, clock):
    return build_services(halo, clock=clock)


def create(services, max_attempts=3, **extra):
    body = {**BODY, **extra, **({"maxAttempts": max_attempts} if max_attempts is not None else {})}
    answer = create_handler.handler(
        api_event("POST", "/v1/checkouts", body=body), FakeLambdaContext(), services=services
    )
    assert answer["statusCode"] == 201, answer["body"]
    return json.loads(answer["body"])


def view(services, checkout_id):
    answer = get_handler.handler(
        api_event(
            "GET",
            f"/v1/checkouts/{checkout_id}",
            resource="/v1/checkouts/{id}",
            path_params={"id": checkout_id},
        ),
        FakeLambdaContext(),
        services=services,
    )
    return json.loads(answer["body"])


def new_attempt(services, checkout_id):
    answer = attempt_handler.handler(
        api_event(
            "POST",
            f"/v1/checkouts/{checkout_id}/attempts",
            resource="/v1/checkouts/{id}/attempts",
            path_params={"id": checkout_id},
        ),
        FakeLambdaContext(),
        services=services,
    )
    return answer["statusCode"], json.loads(answer["body"])


def try_again(services, checkout_id, replaces):
    """The page's "Try again", as its script sends it."""
    event = api_event(
        "POST",
        f"/pay/{checkout_id}/attempts",
        resource="/pay/{id}/attempts",
        path_params={"id": checkout_id},
        body=f"replaces={replaces}",
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
    )
    event["requestContext"].pop("authorizer")  # a public route: no API key
    answer = attempt_handler.handler(event, FakeLambdaContext(), services=services)
    return answer["statusCode"], json.loads(answer["body"])


def webhook(services, halo: FakeHalo, attempt, disposition, **fields):
    """Halo's webhook for one attempt, after Halo's own status says the same (as the real Halo would)."""
    halo.tap(attempt["haloReference"], disposition)
    payload = {
        "id": "consumer-tx",
        "merchantReference": attempt["id"],
        "disposition": disposition,
        "haloReference": attempt["haloReference"],
        "amount": 40.0,
        "currency": "ZAR",
        **fields,
    }
    body = json.dumps({"receivedAt": "2026-11-27T12:00:00Z", "payload": json.dumps(payload)})
    apply_handler.handler(sqs_event(body), FakeLambdaContext(), services=services)


def events(services, event_type):
    return [json.loads(m["body"]) for m in services.notifications_queue.messages() if m["type"] == event_type]


# -- the setting ------------------------------------------------------------------------------------


def test_a_body_without_max_attempts_keeps_its_idempotency_fingerprint_and_one_attempt(services):
    assert "maxAttempts" not in CreateCheckoutRequest.validate(BODY).wire()
    created = create(services, max_attempts=None)
    shown = view(services, created["id"])
    assert shown["maxAttempts"] == 1
    assert [(a["id"], a["status"], a["haloReference"]) for a in shown["attempts"]] == [
        (created["id"], "open", created["haloReference"])
    ]


@pytest.mark.parametrize("value", [0, 6, "2", 1.5])
def test_max_attempts_outside_one_to_five_is_a_400_naming_it(services, value):
    answer = create_handler.handler(
        api_event("POST", "/v1/checkouts", body={**BODY, "maxAttempts": value}),
        FakeLambdaContext(),
        services=services,
    )
    assert answer["statusCode"] == 400
    assert [e["field"] for e in json.loads(answer["body"])["errors"]] == ["maxAttempts"]


def test_a_checkout_stored_before_attempts_reads_as_one_attempt_from_its_own_fields(services):
    created = create(services, max_attempts=None)
    stored = services.store.get(created["id"])
    services.store.checkouts[stored.id] = Checkout.from_dict(
        {k: v for k, v in stored.to_dict().items() if k not in ("attempts", "maxAttempts")}
    )
    shown = view(services, created["id"])
    assert shown["maxAttempts"] == 1
    assert [(a["id"], a["deepLink"], a["status"]) for a in shown["attempts"]] == [
        (created["id"], created["deepLink"], "open")
    ]


# -- a failed attempt with attempts left ----------------------------------------------------------------


def test_a_declined_attempt_with_attempts_left_keeps_the_checkout_open_and_tells_the_psp(
    services, halo, clock
):
    created = create(services)
    webhook(services, halo, created, "Declined", errorCode=318)
    shown = view(services, created["id"])
    assert shown["status"] == "open"
    assert shown["expiresAt"] == created["expiresAt"]  # one expiry covers every attempt
    assert [(a["status"], a["disposition"], a["errorCode"]) for a in shown["attempts"]] == [
        ("declined", "Declined", 318)
    ]
    [event] = events(services, "checkout.attempt_failed")
    assert event["data"]["attempt"]["id"] == created["id"]
    assert (event["data"]["attempt"]["status"], event["data"]["attemptsLeft"]) == ("declined", 2)
    assert [e.type for e in services.event_log.events.values()].count("checkout.attempt_failed") == 1


def test_three_attempts_declined_twice_then_approved_on_the_third(services, halo):
    created = create(services)
    webhook(services, halo, created, "Declined")
    status, second = new_attempt(services, created["id"])
    assert status == 201
    webhook(services, halo, second["attempts"][-1], "UnableToGoOnline")
    _, third = new_attempt(services, created["id"])
    webhook(services, halo, third["attempts"][-1], "Approved")
    shown = view(services, created["id"])
    assert shown["status"] == "approved"
    assert [a["status"] for a in shown["attempts"]] == ["declined", "failed", "approved"]
    assert [a["id"] for a in shown["attempts"]] == [created["id"], f"{created['id']}.2", f"{created['id']}.3"]
    assert [c["paymentReference"] for c in halo.creates] == [a["id"] for a in shown["attempts"]]
    assert (shown["deepLink"], shown["haloReference"]) == (
        shown["attempts"][-1]["deepLink"],
        shown["attempts"][-1]["haloReference"],
    )
    assert [
        json.loads(m["body"])["data"]["attemptsLeft"]
        for m in services.notifications_queue.messages()
        if m["type"] == "checkout.attempt_failed"
    ] == [2, 1]
    assert len(events(services, "checkout.approved")) == 1


def test_when_the_last_allowed_attempt_fails_the_checkout_is_declined(services, halo):
    created = create(services, max_attempts=2)
    webhook(services, halo, created, "Declined")
    _, second = new_attempt(services, created["id"])
    webhook(services, halo, second["attempts"][-1], "DeclinedOffline")
    shown = view(services, created["id"])
    assert shown["status"] == "declined"
    assert len(events(services, "checkout.attempt_failed")) == 1
    assert len(events(services, "checkout.declined")) == 1


# -- a new attempt: refusals ---------------------------------------------------------------------------


def test_a_new_attempt_while_the_current_one_is_open_at_halo_is_attempt_not_allowed(services):
    created = create(services)
    status, problem = new_attempt(services, created["id"])
    assert (status, problem["code"]) == (409, "attempt_not_allowed")


def test_a_new_attempt_on_a_checkout_that_is_not_open_is_attempt_not_allowed(services, halo):
    created = create(services)
    webhook(services, halo, created, "Declined")
    services.checkouts.cancel(CALLER, created["id"])
    status, problem = new_attempt(services, created["id"])
    assert (status, problem["code"], problem["currentStatus"]) == (409, "attempt_not_allowed", "cancelled")


def test_one_past_max_attempts_is_attempts_exhausted(services, halo):
    created = create(services, max_attempts=2)
    webhook(services, halo, created, "Declined")
    assert new_attempt(services, created["id"])[0] == 201
    status, problem = new_attempt(services, created["id"])
    assert (status, problem["code"], problem["maxAttempts"]) == (409, "attempts_exhausted", 2)
    assert len(halo.creates) == 2


# -- a new attempt: once per attempt --------------------------------------------------------------------


def test_two_racing_new_attempt_calls_make_one_attempt_and_one_halo_link(services, halo):
    created = create(services)
    webhook(services, halo, created, "Declined")
    halo.gate = threading.Event()  # Halo holds each create until the test lets it answer
    answers: list[tuple[int, dict]] = []
    presses = [
        threading.Thread(target=lambda: answers.append(try_again(services, created["id"], created["id"])))
        for _ in range(2)
    ]
    for press in presses:
        press.start()
    for press in presses:
        press.join(timeout=0.2)
    halo.gate.set()
    for press in presses:
        press.join(timeout=10)
    assert sorted(status for status, _ in answers) == [200, 200]
    stored = services.store.get(created["id"])
    assert [a.id for a in stored.attempts] == [created["id"], f"{created['id']}.2"]
    assert [c["paymentReference"] for c in halo.creates] == [created["id"], f"{created['id']}.2"]
    assert stored.attempts[-1].deep_link is not None


def test_a_second_press_after_the_first_made_its_attempt_answers_the_page_without_a_third(services, halo):
    created = create(services)
    webhook(services, halo, created, "Declined")
    first = try_again(services, created["id"], created["id"])
    again = try_again(services, created["id"], created["id"])
    assert first == again == (200, {**first[1], "status": "open"})
    assert len(services.store.get(created["id"]).attempts) == 2


def reserve_without_link(services, created):
    """Attempt 2 as a press left it when its process died after reserving it: no link written."""
    stored = services.store.get(created["id"])
    second = stored.attempts[0].but(
        id=f"{created['id']}.2", halo_reference=None, deep_link=None, status="open", disposition=None
    )
    services.store.checkouts[stored.id] = stored.but(
        attempts=(*stored.attempts, second), version=stored.version + 1
    )


def test_a_press_while_another_may_still_be_asking_halo_waits_for_it(services, halo):
    created = create(services)
    webhook(services, halo, created, "Declined")
    reserve_without_link(services, created)
    status, body = try_again(services, created["id"], created["id"])
    assert (status, body["status"]) == (200, "creating")  # the page waits for the link
    assert len(halo.creates) == 1


def test_after_a_crash_before_halo_was_asked_the_next_press_gets_the_same_attempts_link(
    services, halo, clock
):
    created = create(services)
    webhook(services, halo, created, "Declined")
    reserve_without_link(services, created)
    clock.advance(60)  # no call can still be on its way
    status, body = try_again(services, created["id"], created["id"])
    assert (status, body["status"]) == (200, "open")
    attempts = services.store.get(created["id"]).attempts
    assert [(a.id, a.deep_link is not None) for a in attempts] == [
        (created["id"], True),
        (f"{created['id']}.2", True),
    ]


def test_a_link_halo_made_but_a_crash_lost_is_never_made_twice_and_the_next_attempt_follows(
    services, halo, clock
):
    created = create(services)
    webhook(services, halo, created, "Declined")
    reserve_without_link(services, created)
    # Halo made attempt 2's link; its answer died with the process that asked.
    halo.transactions["made-and-lost"] = {"paymentReference": f"{created['id']}.2", "disposition": None}
    clock.advance(60)
    status, body = try_again(services, created["id"], created["id"])
    assert (status, body["status"], body["attemptsLeft"]) == (200, "open", 0)
    attempts = services.store.get(created["id"]).attempts
    assert [(a.id, a.lost) for a in attempts] == [
        (created["id"], False),
        (f"{created['id']}.2", True),
        (f"{created['id']}.3", False),
    ]
    shown = view(services, created["id"])
    assert shown["attempts"][-1]["deepLink"] is not None
    assert [c["paymentReference"] for c in halo.creates].count(f"{created['id']}.3") == 1


# -- Halo's word on any attempt -----------------------------------------------------------------------


def test_a_halo_webhook_for_attempt_two_finds_its_checkout_and_confirms_that_attempt(services, halo):
    created = create(services)
    webhook(services, halo, created, "Declined")
    _, second = new_attempt(services, created["id"])
    attempt = second["attempts"][-1]
    reads_before = [r.url.path for r in halo.requests if r.method == "GET"]
    webhook(services, halo, attempt, "Approved")
    reads = [r.url.path for r in halo.requests if r.method == "GET"][len(reads_before) :]
    assert reads
    assert all(path.endswith(attempt["haloReference"]) for path in reads)
    assert services.store.get(created["id"]).status == "approved"


# -- never charged twice ------------------------------------------------------------------------------


def test_a_second_approval_is_refunded_in_full_and_the_first_is_kept(services, halo):
    created = create(services)
    webhook(services, halo, created, "Declined")
    _, second = new_attempt(services, created["id"])
    webhook(services, halo, second["attempts"][-1], "Approved")
    kept = services.store.get(created["id"]).halo_transaction_id
    # The shopper taps the first attempt's QR code after all, and Halo approves it too.
    webhook(services, halo, created, "Approved")
    shown = view(services, created["id"])
    first_tx = halo.transactions[created["haloReference"]]["transactionId"]
    assert (shown["status"], shown["haloTransactionId"]) == ("approved", kept)
    [refund] = shown["refunds"]
    assert (refund["reason"], refund["haloTransactionId"], refund["amount"], refund["status"]) == (
        "duplicate_payment",
        first_tx,
        "40.00",
        "succeeded",
    )
    assert shown["amountRefunded"] == "0.00"  # only refunds of the payment the checkout kept count
    assert [a["status"] for a in shown["attempts"]] == ["refunded", "approved"]
    assert [e["data"]["id"] for e in events(services, "refund.succeeded")] == [refund["id"]]
    assert [r.url.path for r in halo.requests if r.url.path.endswith("/refund")] == [
        f"/transactions/{first_tx}/refund"
    ]
    # The kept payment can still be refunded in full by the PSP.
    assert services.store.get(created["id"]).reserved_minor == 0


def test_reconcile_finds_a_late_approval_of_an_earlier_attempt_and_refunds_it(services, halo, clock):
    created = create(services)
    webhook(services, halo, created, "Declined")
    _, second = new_attempt(services, created["id"])
    webhook(services, halo, second["attempts"][-1], "Approved")
    halo.tap(created["haloReference"], "Approved")  # no webhook: only reconciliation can find it
    for _ in range(20):
        clock.advance(3600)
        services.reconciler.run()
        if services.store.get(created["id"]).refunds:
            break
    stored = services.store.get(created["id"])
    [refund] = stored.refunds.values()
    assert (refund.reason, refund.status) == ("duplicate_payment", "succeeded")
    assert stored.status == "approved"


def test_halos_error_code_arriving_after_the_failure_was_recorded_still_reaches_the_attempt(services, halo):
    created = create(services)
    webhook(services, halo, created, "Declined")  # as reconciliation would have read it: no code
    webhook(services, halo, created, "Declined", errorCode=300)
    stored = services.store.get(created["id"])
    assert (stored.status, stored.attempts[0].error_code) == ("open", 300)
    assert len(events(services, "checkout.attempt_failed")) == 1  # told once


def test_a_checkout_waiting_for_a_new_attempt_still_expires_at_its_one_expiry(services, halo, clock):
    created = create(services)  # expiresInSeconds: the default 1800
    webhook(services, halo, created, "Declined")
    clock.advance(1700)
    services.reconciler.run()
    assert services.store.get(created["id"]).status == "open"  # Halo's decline is a repeat, not an end
    clock.advance(3600)
    services.reconciler.run()
    assert services.store.get(created["id"]).status == "expired"
