"""A PSP whose endpoint failed catches up from GET /v1/events, over the running devstack, and loses nothing."""

from __future__ import annotations

import time

import httpx
import pytest

pytestmark = pytest.mark.e2e


def poll(psp, cursor):
    """Every event after `cursor`, as a PSP's catch-up loop reads them, and the cursor to keep."""
    events = []
    while True:
        answer = psp.api.get("/v1/events", params={"limit": 7, **({"after": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        cursor = body["nextCursor"]
        if not body["data"]:
            return events, cursor
        events += body["data"]


def test_20_approvals_made_while_the_sink_fails_are_all_pulled_once_and_a_resend_arrives(psp, sink, settle):
    _, cursor = poll(psp, None)  # the PSP's last cursor, taken before the outage
    sink.post("/_sink/faults", json={"status": 503, "count": 20})  # every first delivery fails
    checkouts = [psp.open_checkout() for _ in range(20)]
    for checkout in checkouts:
        psp.tap(checkout, "Approved")
    for checkout in checkouts:
        psp.wait_for(checkout["id"], "approved")

    events, _ = poll(psp, cursor)
    ours = [e for e in events if e["data"]["id"] in {c["id"] for c in checkouts}]
    assert len({e["id"] for e in events}) == len(events)  # nothing twice
    assert sorted(e["data"]["id"] for e in ours) == sorted(c["id"] for c in checkouts)  # each exactly once
    assert {e["type"] for e in ours} == {"checkout.approved"}

    settle()  # the retries have delivered; nothing is on its way
    sink.delete("/_sink/received")
    event = ours[7]
    answer = psp.api.post(f"/v1/events/{event['id']}/resend")
    assert (answer.status_code, answer.json()["id"]) == (202, event["id"])
    deadline = time.monotonic() + 30
    while not (arrived := sink.get("/_sink/received", params={"webhookId": event["id"]}).json()):
        assert time.monotonic() < deadline, "the resent event never reached the sink"
        time.sleep(0.2)
    [entry] = arrived
    assert (entry["webhookId"], entry["status"], entry["verified"]) == (event["id"], 204, True)


def test_an_unknown_event_is_404_and_a_foreign_cursor_400(psp):
    assert psp.api.get("/v1/events/evt_nope_1").status_code == 404
    answer = psp.api.get("/v1/events", params={"after": "bm90LWEtY3Vyc29y"})
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_cursor")


def test_ping_reaches_the_sink_signed(psp, sink):
    answer = psp.api.post("/v1/webhook-endpoint/ping")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["delivered"], body["status"], body["error"]) == (True, 204, None)
    pings = [r for r in sink.get("/_sink/received").json() if r["type"] == "ping"]
    assert pings
    assert pings[-1]["verified"] is True


def test_a_wrong_method_is_405_with_allow_and_401_names_bearer(psp, devstack):
    answer = psp.api.delete("/v1/checkouts")
    assert (answer.status_code, answer.headers["allow"]) == (405, "GET, POST")
    assert answer.json()["code"] == "method_not_allowed"
    anonymous = httpx.get(f"{devstack.api_url}/v1/checkouts/chk_x", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.json()["requestId"]
