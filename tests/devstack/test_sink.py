"""Drives devstack.sink, the PSP's webhook endpoint, over real loopback HTTP."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from devstack.sink import WebhookSink
from halotap.domain import signing

SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()


@pytest.fixture
def sink(serve: Callable[[WebhookSink], WebhookSink]) -> WebhookSink:
    return serve(WebhookSink(port=0, secrets=[SECRET]))


@pytest.fixture
def client(sink: WebhookSink, http_client: Callable[[str], httpx.Client]) -> httpx.Client:
    return http_client(sink.url)


def notification(checkout_id: str = "chk_1", event_type: str = "checkout.approved") -> bytes:
    return json.dumps({"type": event_type, "data": {"id": checkout_id}}).encode()


def post(
    client: httpx.Client,
    webhook_id: str = "msg_1",
    *,
    secrets: list[str] | None = None,
    body: bytes | None = None,
    path: str = "/psp/notify",
) -> httpx.Response:
    payload = notification() if body is None else body
    headers = signing.headers(secrets or [SECRET], webhook_id, int(time.time()), payload)
    return client.post(path, content=payload, headers=headers)


def received(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    response = client.get("/_sink/received", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_a_signed_delivery_is_verified_and_recorded(sink: WebhookSink, client: httpx.Client) -> None:
    response = post(client, "msg_ok", body=notification("chk_42", "checkout.declined"))
    assert response.status_code == 204
    [entry] = received(client)
    assert entry["receivedAt"].endswith("Z")
    del entry["receivedAt"]
    assert entry == {
        "webhookId": "msg_ok",
        "type": "checkout.declined",
        "checkoutId": "chk_42",
        "verified": True,
        "attempt": 1,
        "status": 204,
        "path": "/psp/notify",
    }


def test_a_delivery_signed_for_a_rotated_secret_verifies_with_any_configured_one() -> None:
    sink = WebhookSink(port=0, secrets=[OTHER_SECRET, SECRET])
    sink.start()
    try:
        with httpx.Client(base_url=sink.url, trust_env=False) as http:
            assert post(http, "msg_rot", secrets=[SECRET]).status_code == 204
        assert sink.received()[0]["verified"] is True
    finally:
        sink.stop()


def test_a_bad_signature_is_refused_but_recorded(client: httpx.Client) -> None:
    response = post(client, "msg_bad", secrets=[OTHER_SECRET])
    assert response.status_code == 400
    assert response.json() == {"error": "signature verification failed"}
    [entry] = received(client)
    assert entry["verified"] is False
    assert entry["status"] == 400


def test_an_unsigned_post_is_refused_but_recorded(client: httpx.Client) -> None:
    response = client.post("/", content=notification())
    assert response.status_code == 400
    [entry] = received(client)
    assert (entry["webhookId"], entry["verified"], entry["path"]) == (None, False, "/")


def test_a_tampered_body_is_refused(client: httpx.Client) -> None:
    headers = signing.headers([SECRET], "msg_t", int(time.time()), notification("chk_1"))
    assert client.post("/", content=notification("chk_2"), headers=headers).status_code == 400


def test_faults_answer_the_next_deliveries_then_count_down(client: httpx.Client) -> None:
    fault = client.post("/_sink/faults", json={"status": 503, "count": 2, "retryAfter": 30})
    assert fault.status_code == 201
    first, second, third = (post(client, "msg_f") for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 204]
    assert first.headers["retry-after"] == "30"
    entries = received(client)
    assert [(e["status"], e["verified"], e["attempt"]) for e in entries] == [
        (503, True, 1),
        (503, True, 2),
        (204, True, 3),
    ]
    assert client.get("/_sink/faults").json() == []


def test_a_410_fault_tells_the_sender_to_stop(client: httpx.Client) -> None:
    assert client.post("/_sink/faults", json={"status": 410}).status_code == 201
    assert post(client).status_code == 410
    assert post(client).status_code == 204


@pytest.mark.parametrize(
    "fault",
    [{}, {"status": "503"}, {"status": 99}, {"status": 503, "count": 0}, {"status": 503, "retryAfter": -1}],
)
def test_malformed_faults_are_refused(client: httpx.Client, fault: dict[str, Any]) -> None:
    assert client.post("/_sink/faults", json=fault).status_code == 400


def test_attempts_are_numbered_per_webhook_id(client: httpx.Client) -> None:
    for webhook_id in ("msg_a", "msg_b", "msg_a", "msg_a", "msg_b"):
        post(client, webhook_id)
    assert [(e["webhookId"], e["attempt"]) for e in received(client)] == [
        ("msg_a", 1),
        ("msg_b", 1),
        ("msg_a", 2),
        ("msg_a", 3),
        ("msg_b", 2),
    ]
    assert [e["attempt"] for e in received(client, webhookId="msg_b")] == [1, 2]


def test_clearing_forgets_entries_and_attempt_counts(client: httpx.Client) -> None:
    post(client, "msg_c")
    assert client.delete("/_sink/received").status_code == 200
    assert received(client) == []
    post(client, "msg_c")
    assert [e["attempt"] for e in received(client)] == [1]


def test_wait_for_returns_once_deliveries_arrive(sink: WebhookSink, client: httpx.Client) -> None:
    post(client, "msg_w")
    assert [e["webhookId"] for e in sink.wait_for(1, webhook_id="msg_w", timeout=2.0)] == ["msg_w"]
    assert sink.wait_for(5, timeout=0.1) != []  # gives up with what arrived


def test_check_passes_while_running_and_fails_once_stopped() -> None:
    sink = WebhookSink(port=0, secrets=[SECRET])
    sink.start()
    sink.check()
    sink.stop()
    with pytest.raises((httpx.HTTPError, RuntimeError)):
        sink.check()


def test_unknown_control_routes_are_404(client: httpx.Client) -> None:
    assert client.get("/_sink/nothing").status_code == 404


def test_a_sink_without_secrets_is_refused() -> None:
    with pytest.raises(ValueError):
        WebhookSink(port=0, secrets=[])


def test_the_last_deliveries_are_kept_verbatim_so_a_receiver_can_verify_them_itself(
    client: httpx.Client,
) -> None:
    from standardwebhooks import Webhook

    post(client, "msg_raw", body=notification("chk_raw"))
    [delivery] = client.get("/_sink/deliveries", params={"webhookId": "msg_raw"}).json()
    assert set(delivery["headers"]) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    verified = Webhook(SECRET).verify(delivery["body"], delivery["headers"])
    assert verified["data"]["id"] == "chk_raw"
    client.delete("/_sink/received")
    assert client.get("/_sink/deliveries").json() == []
