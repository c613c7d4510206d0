"""A PSP's own webhook endpoints on the running devstack: each gets the events it enabled, signed with its own
secret (checked by the standardwebhooks library, as a PSP's receiver would); a rotation signs with both
secrets; the delivery log shows a failed attempt and the success; a disabled endpoint is recovered; and the
limits hold. Every endpoint made here is deleted again, so other tests' deliveries never reach one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

pytestmark = pytest.mark.e2e


def wait(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.2)
    return found


@pytest.fixture
def endpoints(psp, sink) -> Iterator[list[dict]]:
    """Endpoints this test made (each one's secret given to the sink); deleted again afterwards."""
    made: list[dict] = []
    yield made
    for endpoint in made:
        psp.api.delete(f"/v1/webhook-endpoints/{endpoint['id']}")


def make(psp, sink, endpoints, path: str, events: list[str]) -> dict:
    url = f"{psp.devstack.sink_url}/{path}"
    answer = psp.api.post("/v1/webhook-endpoints", json={"url": url, "enabledEvents": events})
    assert answer.status_code == 201, answer.text
    endpoint = answer.json()
    assert (endpoint["status"], endpoint["secret"].startswith("whsec_")) == ("enabled", True)
    endpoints.append(endpoint)
    sink.post("/_sink/secrets", json={"secret": endpoint["secret"]}).raise_for_status()
    return dict(endpoint)


def deliveries_to(sink, path: str, webhook_id: str | None = None) -> list[dict]:
    params = {"webhookId": webhook_id} if webhook_id else {}
    return [d for d in sink.get("/_sink/deliveries", params=params).json() if d["path"] == f"/{path}"]


def event_id_of(psp, checkout_id: str, event_type: str) -> str:
    """The webhook-id of the checkout's event of this type, read from the feed as a PSP would."""

    def found() -> str | None:
        cursor = None
        while True:
            params = {"type": event_type, "limit": 100, **({"after": cursor} if cursor else {})}
            page = psp.api.get("/v1/events", params=params).json()
            mine = [e["id"] for e in page["data"] if e["data"].get("id") == checkout_id]
            if mine or not page["data"]:
                return mine[0] if mine else None
            cursor = page["nextCursor"]

    return str(wait(found, f"the {event_type} event of {checkout_id}"))


def test_two_endpoints_each_get_only_their_events_verified_with_their_own_secret(psp, sink, endpoints):
    approvals = make(psp, sink, endpoints, "ep-approvals", ["checkout.approved"])
    cancels = make(psp, sink, endpoints, "ep-cancels", ["checkout.cancelled"])
    approved, cancelled = psp.open_checkout(), psp.open_checkout()
    psp.tap(approved, "Approved")
    psp.wait_for(approved["id"], "approved")
    assert psp.api.post(f"/v1/checkouts/{cancelled['id']}/cancel").status_code == 200

    approval_id = event_id_of(psp, approved["id"], "checkout.approved")
    cancel_id = event_id_of(psp, cancelled["id"], "checkout.cancelled")
    [to_approvals] = wait(lambda: deliveries_to(sink, "ep-approvals", approval_id), "the approval's delivery")
    [to_cancels] = wait(lambda: deliveries_to(sink, "ep-cancels", cancel_id), "the cancellation's delivery")

    got = Webhook(approvals["secret"]).verify(to_approvals["body"], to_approvals["headers"])
    assert (got["type"], got["data"]["id"]) == ("checkout.approved", approved["id"])
    got = Webhook(cancels["secret"]).verify(to_cancels["body"], to_cancels["headers"])
    assert (got["type"], got["data"]["id"]) == ("checkout.cancelled", cancelled["id"])
    with pytest.raises(Exception, match=r"[Ss]ignature"):
        Webhook(cancels["secret"]).verify(to_approvals["body"], to_approvals["headers"])
    # Neither got the other's event (the default endpoint, with every type, got both).
    assert (
        deliveries_to(sink, "ep-approvals", cancel_id) == deliveries_to(sink, "ep-cancels", approval_id) == []
    )


def test_after_a_rotation_both_secrets_verify_each_delivery(psp, sink, endpoints):
    endpoint = make(psp, sink, endpoints, "ep-rotating", ["checkout.approved"])
    rotated = psp.api.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"]
    sink.post("/_sink/secrets", json={"secret": new_secret}).raise_for_status()

    checkout = psp.open_checkout()
    psp.tap(checkout, "Approved")
    event_id = event_id_of(psp, checkout["id"], "checkout.approved")
    [delivery] = wait(lambda: deliveries_to(sink, "ep-rotating", event_id), "the delivery")

    assert len(delivery["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (endpoint["secret"], new_secret):
        assert Webhook(secret).verify(delivery["body"], delivery["headers"])["data"]["id"] == checkout["id"]


def test_the_delivery_log_shows_the_failed_attempt_and_then_the_success(psp, sink):
    sink.post("/_sink/faults", json={"status": 503, "count": 1})
    checkout = psp.open_checkout()
    psp.tap(checkout, "Approved")
    event_id = event_id_of(psp, checkout["id"], "checkout.approved")

    def failed_then_delivered():
        attempts = psp.api.get(f"/v1/events/{event_id}/deliveries").json()["data"]
        statuses = [a["status"] for a in attempts if a["endpointId"] == "we_default"]
        return attempts if statuses[:1] == [503] and 204 in statuses else None

    attempts = [
        a for a in wait(failed_then_delivered, "a retry after the 503") if a["endpointId"] == "we_default"
    ]
    first, later = attempts[0], next(a for a in attempts if a["status"] == 204)
    assert (first["attempt"], first["error"].startswith("HTTP 503")) == (1, True)
    assert (later["attempt"], later["error"], later["at"] > first["at"]) == (2, None, True)
    assert psp.api.get("/v1/events/evt_nope_1/deliveries").status_code == 404


def test_a_disabled_endpoint_recovers_what_it_missed_under_the_same_webhook_ids(psp, sink, endpoints):
    endpoint = make(psp, sink, endpoints, "ep-recovering", ["checkout.cancelled"])
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    off = psp.api.patch(f"/v1/webhook-endpoints/{endpoint['id']}", json={"status": "disabled"})
    assert (off.status_code, off.json()["status"]) == (200, "disabled")
    checkout = psp.open_checkout()
    assert psp.api.post(f"/v1/checkouts/{checkout['id']}/cancel").status_code == 200
    event_id = event_id_of(psp, checkout["id"], "checkout.cancelled")
    wait(lambda: sink.get("/_sink/received", params={"webhookId": event_id}).json(), "the default's delivery")
    assert deliveries_to(sink, "ep-recovering", event_id) == []

    recovered = psp.api.post(f"/v1/webhook-endpoints/{endpoint['id']}/recover", json={"since": since})
    assert recovered.status_code == 202, recovered.text
    assert recovered.json()["queued"] >= 1
    [delivery] = wait(lambda: deliveries_to(sink, "ep-recovering", event_id), "the recovered delivery")
    assert (
        Webhook(endpoint["secret"]).verify(delivery["body"], delivery["headers"])["data"]["id"]
        == checkout["id"]
    )
    assert psp.api.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()["status"] == "enabled"


def test_the_eleventh_endpoint_is_409_and_the_default_one_counts(psp, sink, endpoints):
    listed = psp.api.get("/v1/webhook-endpoints").json()["data"]
    assert listed[0]["id"] == "we_default"
    for number in range(10 - len(listed)):
        make(psp, sink, endpoints, f"ep-many-{number}", ["*"])
    answer = psp.api.post(
        "/v1/webhook-endpoints", json={"url": f"{psp.devstack.sink_url}/ep-11", "enabledEvents": ["*"]}
    )
    assert (answer.status_code, answer.json()["code"]) == (409, "endpoint_limit_reached")
    assert len(psp.api.get("/v1/webhook-endpoints").json()["data"]) == 10


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data", "enabledEvents": ["*"]}, "url"),
        ({"url": "https://psp.example/hooks", "enabledEvents": ["checkout.paid"]}, "enabledEvents"),
    ],
)
def test_a_bad_url_or_event_type_is_400_naming_the_field(psp, body, field):
    answer = psp.api.post("/v1/webhook-endpoints", json=body)
    assert (answer.status_code, answer.headers["content-type"]) == (400, "application/problem+json")
    assert answer.json()["errors"][0]["field"] == field


def test_an_unknown_endpoint_is_404(psp):
    answer = psp.api.get("/v1/webhook-endpoints/we_aaaaaaaaaaaaaaaaaaaaaaaaaa")
    assert (answer.status_code, answer.json()["code"]) == (404, "endpoint_not_found")
