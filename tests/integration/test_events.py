"""GET /v1/events: a PSP whose endpoint was down catches up by polling, and loses nothing."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from functions.events import handler as events_handler
from halotap.adapters import aws
from halotap.domain.events import Event
from halotap.settings import settings
from tests.fakes import FakeClock, FakeLambdaContext, api_event
from tests.integration.test_notifications import (
    FakePsp,
    approve,
    checkout_of,
    psp_endpoint,  # noqa: F401 (a fixture)
    public_dns,
    queued,
    run_delivery,
)
from tests.wiring import build_services


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(moto_env, halo, clock):
    return build_services(halo, clock=clock, resolve=public_dns)


def call(services, method, path, *, query=None, path_params=None, client_id="demo-psp"):
    answer = events_handler.handler(
        api_event(method, path, query=query, path_params=path_params, client_id=client_id),
        FakeLambdaContext(),
        services=services,
    )
    return answer["statusCode"], json.loads(answer["body"])


def poll(services, cursor, limit=7, **query):
    """Everything after `cursor`, page by page, as a PSP's catch-up loop reads it."""
    seen = []
    while True:
        status, body = call(
            services, "GET", "/v1/events", query={"after": cursor, "limit": str(limit), **query}
        )
        assert status == 200, body
        cursor = body["nextCursor"]
        if not body["data"]:
            return seen, cursor
        seen += body["data"]


def drain(halo, psp, clock):
    """Deliver every queued notification once, and take it off the queue."""
    sqs, url = aws.sqs(), settings().notifications_queue_url
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            run_delivery(halo, psp, json.loads(message["Body"]), 1, clock=clock)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_a_psp_that_was_down_catches_up_on_all_20_approvals_each_once(services, halo, clock, psp_endpoint):  # noqa: F811
    status, empty = call(services, "GET", "/v1/events")
    assert (status, empty["data"]) == (200, [])
    cursor_before = empty["nextCursor"]  # always present, even with nothing to read yet

    psp = FakePsp(clock)
    psp.answers = [httpx.Response(503)] * 100  # the sink is failing throughout
    for number in range(20):
        approve(services, halo, checkout_of(services, f"down-{number}"))
        clock.advance(1)
    drain(halo, psp, clock)
    assert len(psp.requests) == 20  # each tried once, each refused

    seen, cursor_after = poll(services, cursor_before)
    assert [e["type"] for e in seen] == ["checkout.approved"] * 20
    assert len({e["id"] for e in seen}) == 20  # each exactly once
    assert {e["id"] for e in seen} == {r.headers["webhook-id"] for r in psp.requests}
    assert [e["data"]["reference"] for e in seen] == [f"down-{n}" for n in range(20)]  # oldest first
    assert poll(services, cursor_after)[0] == []  # nothing twice

    # A later resend reaches the PSP with the same webhook-id, and the same body.
    event = seen[3]
    status, body = call(services, "POST", f"/v1/events/{event['id']}/resend", path_params={"id": event["id"]})
    assert (status, body) == (202, {"id": event["id"], "status": "queued"})
    healthy = FakePsp(clock)
    drain(halo, healthy, clock)
    [resent] = healthy.requests
    assert resent.headers["webhook-id"] == event["id"]
    assert healthy.verified == [True]
    assert json.loads(resent.content) == {k: v for k, v in event.items() if k != "id"}


def test_an_event_committed_later_with_an_earlier_timestamp_is_not_skipped(services, halo, clock):
    approve(services, halo, checkout_of(services, "first"))
    _, cursor = poll(services, None)
    late = Event(
        id="evt_chk_late_2",
        client_id="demo-psp",
        checkout_id="chk_late",
        type="checkout.expired",
        body=json.dumps({"type": "checkout.expired", "timestamp": "2000-01-01T00:00:00.000Z", "data": {}}),
    )
    services.event_log.record(late)
    services.event_log.record(late)  # a retried publish records it once
    seen, _ = poll(services, cursor)
    assert [e["id"] for e in seen] == ["evt_chk_late_2"]


def test_the_type_filter_and_one_event_by_id(services, halo):
    checkout = checkout_of(services, "one")
    approve(services, halo, checkout)
    seen, _ = poll(services, None, type="checkout.declined")
    assert seen == []
    [event], _ = poll(services, None, type="checkout.approved")
    status, body = call(services, "GET", f"/v1/events/{event['id']}", path_params={"id": event["id"]})
    assert (status, body) == (200, event)


@pytest.mark.parametrize("query", [{"type": "checkout.paid"}, {"type": "ping"}, {"type": ""}])
def test_an_unknown_event_type_is_400_naming_the_parameter_and_the_types_there_are(services, query):
    """As an unknown checkout status is: a filter that can match nothing is a typo, not an empty feed."""
    status, body = call(services, "GET", "/v1/events", query=query)
    assert (status, body["code"]) == (400, "invalid_request")
    [error] = body["errors"]
    assert error["field"].startswith("type")
    assert "'checkout.approved'" in error["message"]
    assert "'refund.succeeded'" in error["message"]


def test_another_clients_event_and_cursor_are_refused(services, halo):
    approve(services, halo, checkout_of(services, "mine"))
    [event], cursor = poll(services, None)
    status, body = call(
        services, "GET", f"/v1/events/{event['id']}", path_params={"id": event["id"]}, client_id="other-psp"
    )
    assert (status, body["code"]) == (404, "event_not_found")
    status, body = call(
        services,
        "POST",
        f"/v1/events/{event['id']}/resend",
        path_params={"id": event["id"]},
        client_id="other",
    )
    assert status == 404
    status, body = call(services, "GET", "/v1/events", query={"after": cursor}, client_id="other-psp")
    assert (status, body["code"]) == (400, "invalid_cursor")
    status, body = call(services, "GET", "/v1/events", query={"after": cursor[:-2] + "xx"})
    assert (status, body["code"]) == (400, "invalid_cursor")


def test_ping_sends_a_signed_ping_now_and_says_how_it_went(moto_env, halo, clock, psp_endpoint):  # noqa: F811
    psp = FakePsp(clock)
    psp.answers = [httpx.Response(204), httpx.Response(500, text="down")]
    wired = build_services(
        halo, clock=clock, resolve=public_dns, webhook_http=httpx.Client(transport=httpx.MockTransport(psp))
    )
    status, body = call(wired, "POST", "/v1/webhook-endpoint/ping")
    assert status == 200
    assert body["delivered"] is True
    assert body["status"] == 204
    assert body["error"] is None
    assert isinstance(body["latencyMs"], int)
    assert psp.verified == [True]
    assert json.loads(psp.requests[0].content)["type"] == "ping"
    status, body = call(wired, "POST", "/v1/webhook-endpoint/ping")
    assert (body["delivered"], body["status"]) == (False, 500)
    assert body["error"].startswith("HTTP 500")
    assert queued() == []  # a ping is sent now, never queued


def test_events_are_kept_at_least_30_days(services, halo):
    approve(services, halo, checkout_of(services, "kept"))
    [event], _ = poll(services, None)
    stored = aws.dynamodb().get_item(
        TableName=settings().events_table, Key={"pk": {"S": f"event#{event['id']}"}, "sk": {"S": "-"}}
    )["Item"]
    assert int(stored["ttl"]["N"]) - time.time() >= 30 * 86400
