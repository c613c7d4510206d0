"""Halo's webhook: intake (token, shape, queue) and apply (find, confirm with Halo, decide, conditional write).

Applying runs the production path: every webhook is confirmed with Halo's status endpoint (FakeHalo), so a
test first makes FakeHalo know the outcome it reports, as the real Halo would by the time it calls us.
"""

from __future__ import annotations

import json

import pytest

from functions.apply_halo_event import handler as apply_handler
from functions.create_checkout import handler as create_handler
from functions.halo_webhook import handler as webhook_handler
from halotap.adapters import aws
from halotap.settings import settings
from tests.fakes import CallCounter, FakeLambdaContext, FaultyClient, api_event, sqs_event
from tests.usecases.test_halo_events import BODY, HALO_AUTHORISATION_CODE, apply, halo_payload, read
from tests.wiring import build_services


@pytest.fixture
def checkout(services, halo):
    answer = create_handler.handler(
        api_event("POST", "/v1/checkouts", body=BODY), FakeLambdaContext(), services=services
    )
    created = json.loads(answer["body"])
    # Halo's transaction id for this payment is the one its webhooks carry as "id".
    halo.transactions[created["haloReference"]]["transactionId"] = "txn-1"
    return created


def deliver(services, body, token="dev-webhook-token"):
    event = api_event(
        "POST",
        f"/v1/halo/webhooks/{token}",
        resource="/v1/halo/webhooks/{token}",
        body=body,
        path_params={"token": token},
    )
    event["requestContext"].pop("authorizer")
    answer = webhook_handler.handler(event, FakeLambdaContext(), services=services)
    return answer["statusCode"], json.loads(answer["body"])


def queued():
    result = aws.sqs().receive_message(QueueUrl=settings().halo_events_queue_url, MaxNumberOfMessages=10)
    return [m["Body"] for m in result.get("Messages", [])]


# -- intake ------------------------------------------------------------------------------------


def test_a_good_webhook_is_queued_raw_with_one_send_message(services, checkout):
    counter = CallCounter(aws.sqs())
    status, body = deliver(services, halo_payload(checkout))
    assert (status, body) == (200, {"received": True})
    assert counter.calls == ["SendMessage"]
    [message] = queued()
    assert json.loads(json.loads(message)["payload"]) == halo_payload(checkout)


def test_a_wrong_token_is_401_and_stores_nothing(services, checkout):
    status, problem = deliver(services, halo_payload(checkout), token="guessed-token")
    assert (status, problem["code"]) == (401, "unauthorized")
    assert queued() == []
    assert read(services, checkout).status == "open"
    assert read(services, checkout).version == 1


@pytest.mark.parametrize("body", ["not json", {"disposition": "Approved"}, {"merchantReference": "chk_x"}])
def test_a_malformed_webhook_is_400_and_queues_nothing(services, body):
    status, problem = deliver(services, body)
    assert (status, problem["code"]) == (400, "invalid_request")
    assert queued() == []


def test_a_queue_outage_is_503_so_halo_does_not_count_it_delivered(moto_env, halo, checkout):
    outage = build_services(halo, sqs=FaultyClient(aws.sqs(), {"send_message"}, code="ServiceUnavailable"))
    status, problem = deliver(outage, halo_payload(checkout))
    assert (status, problem["code"]) == (503, "dependency_unavailable")


# -- apply -------------------------------------------------------------------------------------


def test_an_approval_is_applied_with_its_outcome(services, halo, checkout):
    halo.tap(checkout["haloReference"], "Approved")
    assert apply(services, halo_payload(checkout)) == {"batchItemFailures": []}
    stored = read(services, checkout)
    assert stored.status == "approved"
    assert stored.outcome.authorisation_code == HALO_AUTHORISATION_CODE
    assert stored.outcome.halo_transaction_id == "txn-1"


def test_finding_1_a_void_seen_before_its_approval_ends_voided_and_notifies_the_psp(services, halo, checkout):
    # The shopper tapped Approved and Halo voided it at once: by the time the approval's webhook is
    # confirmed, Halo's status already says Voided.
    halo.tap(checkout["haloReference"], "Voided")
    assert apply(services, halo_payload(checkout, "Approved")) == {"batchItemFailures": []}
    stored = read(services, checkout)
    assert stored.status == "voided"
    assert stored.due_at is None  # final, out of reconciliation's index
    [change] = [e for e in stored.history if e.type == "status_changed" and e.to_status == "voided"]
    assert (change.from_status, change.detail) == ("open", "voided before its approval was seen")
    notified = aws.sqs().receive_message(QueueUrl=settings().notifications_queue_url, MaxNumberOfMessages=10)
    assert [json.loads(m["Body"])["type"] for m in notified.get("Messages", [])] == ["checkout.voided"]
    # The approval's late webhook, now confirmed as Voided too, changes nothing more.
    apply(services, halo_payload(checkout, "Approved"))
    assert read(services, checkout).version == stored.version


def test_finding_4_a_forged_oversized_webhook_is_refused_at_intake(services, checkout):
    forged = halo_payload(checkout, "Declined", currency="Z" * 190_000)
    status, problem = deliver(services, forged)
    assert (status, problem["code"]) == (413, "payload_too_large")
    long_field = halo_payload(checkout, "Declined", currency="Z" * 1_000)
    assert deliver(services, long_field)[1]["code"] == "invalid_request"
    assert queued() == []


def test_finding_4_forged_webhooks_behind_the_queue_are_cut_and_the_real_void_still_lands(
    services, halo, checkout
):
    halo.tap(checkout["haloReference"], "Approved")
    apply(services, halo_payload(checkout))
    # Two forged webhooks that reached the queue unchecked (say, queued before intake bounded them), each
    # with ~190 KB fields that differ, so each would be recorded as its own anomaly.
    for n in range(2):
        apply(
            services,
            halo_payload(
                checkout,
                "Declined",
                currency=f"{n}" * 190_000,
                authorisationCode="A" * 190_000,
                responseCode="9" * 190_000,
            ),
        )
    stored = read(services, checkout)
    assert stored.status == "approved"
    assert len([e for e in stored.history if e.type == "anomaly"]) >= 2  # recorded, not refused
    assert all(len(e.detail or "") <= 500 for e in stored.history)
    item = aws.dynamodb().get_item(
        TableName=settings().checkouts_table, Key={"pk": {"S": f"checkout#{checkout['id']}"}}
    )
    assert len(json.dumps(item["Item"])) < 20_000  # far from DynamoDB's 400 KB item limit
    # Halo's real void still lands.
    halo.tap(checkout["haloReference"], "Voided")
    assert apply(services, halo_payload(checkout, "Voided")) == {"batchItemFailures": []}
    assert read(services, checkout).status == "voided"


def test_a_throttled_table_fails_only_that_record_so_sqs_retries_it(moto_env, halo, checkout):
    halo.tap(checkout["haloReference"], "Approved")
    flaky = build_services(halo, dynamodb=FaultyClient(aws.dynamodb(), {"update_item"}))
    body = json.dumps({"receivedAt": "2026-01-01T00:00:00Z", "payload": json.dumps(halo_payload(checkout))})
    event = sqs_event(body)
    result = apply_handler.handler(event, FakeLambdaContext(), services=flaky)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert build_services(halo).store.get(checkout["id"]).status == "open"
    # The retry, once DynamoDB recovers, applies it.
    apply_handler.handler(event, FakeLambdaContext(), services=build_services(halo))
    assert build_services(halo).store.get(checkout["id"]).status == "approved"
