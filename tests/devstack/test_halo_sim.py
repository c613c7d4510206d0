"""Drives devstack.halo_sim over real loopback HTTP, with a tiny local webhook receiver."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from devstack.halo_sim import HaloSimulator

KEY = "key-001"
MERCHANT = "sim-merchant-001"
OTHER_KEY = "key-002"
NUMERIC_KEY = "key-numeric"

STATUS_FIELDS = {
    "qrCodeState",
    "transactionId",
    "merchantTransactionReference",
    "userId",
    "status",
    "disposition",
    "amount",
    "currency",
    "type",
    "responseCode",
    "authorisationCode",
    "createdAt",
    "updatedAt",
    "paymentReference",
}


class WebhookReceiver:
    """Collects JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.cond:
                    receiver.bodies.append(body)
                    receiver.cond.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secret-token"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 3.0) -> list[dict[str, Any]]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.bodies) >= count, timeout)
            return list(self.bodies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    rec = WebhookReceiver()
    yield rec
    rec.close()


@pytest.fixture
def sim(receiver: WebhookReceiver, serve: Callable[[HaloSimulator], HaloSimulator]) -> HaloSimulator:
    return serve(
        HaloSimulator(
            port=0,
            merchants={KEY: MERCHANT, OTHER_KEY: "sim-merchant-002", NUMERIC_KEY: "12345"},
            webhook_url=receiver.url,
            timeout_fault_seconds=1.0,
            slow_fault_seconds=0.3,
        )
    )


@pytest.fixture
def client(sim: HaloSimulator, http_client: Callable[[str], httpx.Client]) -> httpx.Client:
    return http_client(sim.url)


def create_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "merchantId": MERCHANT,
        "paymentReference": f"order-{uuid.uuid4().hex[:12]}",
        "amount": "100.01",
        "timestamp": "2024-05-01T10:00:00Z",
        "currencyCode": "ZAR",
        "isConsumerApp": False,
        "image": {"required": False},
    }
    body.update(overrides)
    return body


def create(client: httpx.Client, key: str = KEY, path: str = "/consumer/qrCode", **overrides: Any) -> Any:
    return client.post(path, json=create_body(**overrides), headers={"x-api-key": key})


def status(client: httpx.Client, reference: str, key: str = KEY) -> httpx.Response:
    return client.get(f"/consumer/QRCode/{reference}", headers={"x-api-key": key})


def assert_halo_error(response: httpx.Response, http_status: int, code: int) -> dict[str, Any]:
    assert response.status_code == http_status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["errorCode"] == code
    assert body["httpStatusCode"] == http_status
    assert body["message"].startswith(f"E{code}: ")
    return body


# ----------------------------------------------------------------------------- create


def test_create_qrcode_with_string_amount(client: httpx.Client) -> None:
    response = create(client)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert re.fullmatch(r"https://halompos\.page\.link/[A-Za-z0-9]{17}", body["url"])
    assert uuid.UUID(body["reference"]).version == 4
    assert "qrCode" not in body


def test_create_applink_with_number_amount_and_integer_merchant_id(client: httpx.Client) -> None:
    response = create(client, key=NUMERIC_KEY, path="/consumer/applink", merchantId=12345, amount=5)
    assert response.status_code == 200
    reference = response.json()["reference"]
    expected = f"https://go.merchantportal.dev.haloplus.io/{reference}?env=kernelserver.dev.haloplus.io"
    assert response.json()["url"] == expected
    assert status(client, reference, key=NUMERIC_KEY).json()["amount"] == "5.00"


def test_image_required_returns_png_data_uri(client: httpx.Client) -> None:
    body = create(client, image={"required": True, "size": 300}).json()
    prefix = "data:image/png;base64,"
    assert body["qrCode"].startswith(prefix)
    assert base64.b64decode(body["qrCode"][len(prefix) :]).startswith(b"\x89PNG\r\n\x1a\n")


def test_older_image_spelling_and_version_prefix_accepted(client: httpx.Client) -> None:
    body = create_body(image=None)
    del body["image"]
    body["Image"] = {"required": True}
    response = client.post("/1.0.12/consumer/qrCode", json=body, headers={"x-api-key": KEY})
    assert response.status_code == 200
    assert "qrCode" in response.json()


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "nope"}])
def test_missing_or_unknown_key_is_401_102(client: httpx.Client, headers: dict[str, str]) -> None:
    response = client.post("/consumer/qrCode", json=create_body(), headers=headers)
    assert_halo_error(response, 401, 102)


def test_key_of_another_merchant_is_401_100(client: httpx.Client) -> None:
    assert_halo_error(create(client, key=OTHER_KEY), 401, 100)


@pytest.mark.parametrize(
    "field",
    ["merchantId", "paymentReference", "amount", "timestamp", "currencyCode", "isConsumerApp", "image"],
)
def test_missing_field_is_400_104(client: httpx.Client, field: str) -> None:
    body = create_body()
    del body[field]
    response = client.post("/consumer/qrCode", json=body, headers={"x-api-key": KEY})
    error = assert_halo_error(response, 400, 104)
    assert error["message"].startswith(f"E104: Invalid Request: {field}")


@pytest.mark.parametrize(
    "overrides",
    [
        {"amount": "abc"},
        {"amount": "1,00"},
        {"currencyCode": "RAND"},
        {"paymentReference": ""},
    ],
)
def test_invalid_field_is_400_104(client: httpx.Client, overrides: dict[str, Any]) -> None:
    assert_halo_error(create(client, **overrides), 400, 104)


@pytest.mark.parametrize(("amount", "shown"), [("1.005", "1.005"), (1.005, "1.005"), ("100", "100.00")])
def test_amounts_with_any_number_of_decimals_are_accepted_as_halos_docs_set_no_limit(
    client: httpx.Client, amount: Any, shown: str
) -> None:
    response = create(client, path="/consumer/applink", amount=amount, currencyCode="BHD")
    assert response.status_code == 200
    assert status(client, response.json()["reference"]).json()["amount"] == shown


def test_applink_urls_name_the_simulators_halo_environment(
    http_client: Callable[[str], httpx.Client], serve: Callable[[HaloSimulator], HaloSimulator]
) -> None:
    sim = serve(HaloSimulator(port=0, merchants={KEY: MERCHANT}, halo_env="qa"))
    response = create(http_client(sim.url), path="/consumer/applink")
    reference = response.json()["reference"]
    expected = f"https://go.merchantportal.qa.haloplus.io/{reference}?env=kernelserver.qa.haloplus.io"
    assert response.json()["url"] == expected


def test_body_that_is_not_json_is_400_103(client: httpx.Client) -> None:
    response = client.post("/consumer/qrCode", content=b"{not json", headers={"x-api-key": KEY})
    assert_halo_error(response, 400, 103)


def test_duplicate_payment_reference_is_400_124(client: httpx.Client) -> None:
    assert create(client, paymentReference="order-dup").status_code == 200
    assert_halo_error(create(client, path="/consumer/applink", paymentReference="order-dup"), 400, 124)
    other = create(client, key=OTHER_KEY, merchantId="sim-merchant-002", paymentReference="order-dup")
    assert other.status_code == 200


# ----------------------------------------------------------------------------- status and tap


def test_status_before_and_after_an_approved_tap(client: httpx.Client, receiver: WebhookReceiver) -> None:
    reference = create(client, paymentReference="order-1").json()["reference"]
    before = status(client, reference).json()
    assert set(before) == STATUS_FIELDS
    assert before["qrCodeState"] == "QRCodeGenerated"
    assert before["status"] == "RequestReceived"
    assert before["disposition"] is None
    assert before["responseCode"] is None
    assert before["authorisationCode"] is None
    assert before["merchantTransactionReference"] == before["paymentReference"] == "order-1"
    assert (before["amount"], before["currency"], before["type"]) == ("100.01", "ZAR", "Purchase")

    tap = client.post(f"/_sim/transactions/{reference}/tap", json={"disposition": "approved"})
    assert tap.status_code == 200
    assert tap.json() == {
        "reference": reference,
        "disposition": "Approved",
        "webhooks": [{"status": 204, "error": None}],
    }

    after = status(client, reference).json()
    assert after["qrCodeState"] == "ResponseReceivedByPhone"
    assert after["status"] == "AcknowledgedByPhone"
    assert after["disposition"] == "Approved"
    assert after["responseCode"] == "0"
    assert re.fullmatch(r"[0-9A-F]{8}", after["authorisationCode"])
    assert after["transactionId"] == before["transactionId"]

    [hook] = receiver.wait_for(1)
    # As Halo documents it: `haloReference` is the backend transaction id (the status endpoint's
    # transactionId, what a refund names); `id` is the consumer transaction id.
    assert hook == {
        "id": hook["id"],
        "merchantReference": "order-1",
        "disposition": "Approved",
        "paymentProviderReference": hook["paymentProviderReference"],
        "authorisationCode": after["authorisationCode"],
        "amount": 100.01,
        "currency": "ZAR",
        "haloReference": after["transactionId"],
        "deviceInstallationId": hook["deviceInstallationId"],
        # iVeri's reconciliation keys and Halo's fee, the same as the ledger's record of the payment
        "paymentProviderFields": hook["paymentProviderFields"],
        "transactionFee": "2.90",  # 2.9% of 100.01, to the cent
    }
    assert set(hook["paymentProviderFields"]) == {"reconReference", "acquirerDate", "acquirerTime"}
    assert hook["id"] != after["transactionId"]
    uuid.UUID(hook["id"])
    assert isinstance(hook["paymentProviderReference"], str)
    uuid.UUID(hook["deviceInstallationId"])


def test_status_is_hidden_from_other_merchants_and_unknown_references(client: httpx.Client) -> None:
    reference = create(client).json()["reference"]
    assert_halo_error(status(client, reference, key=OTHER_KEY), 404, 122)
    assert_halo_error(status(client, str(uuid.uuid4())), 404, 122)
    assert_halo_error(status(client, reference, key="nope"), 401, 102)


def test_declined_tap_without_webhook(client: httpx.Client, receiver: WebhookReceiver) -> None:
    reference = create(client).json()["reference"]
    tap = client.post(
        f"/_sim/transactions/{reference}/tap", json={"disposition": "DECLINED", "webhook": False}
    )
    assert tap.json() == {"reference": reference, "disposition": "Declined", "webhooks": []}
    after = status(client, reference).json()
    assert (after["disposition"], after["responseCode"], after["authorisationCode"]) == (
        "Declined",
        "05",
        None,
    )
    # The simulator counts a webhook as pending from the moment it accepts it until it has recorded the
    # delivery, so none pending and none delivered means none was sent and none will be.
    stored = client.get(f"/_sim/transactions/{reference}").json()
    assert (stored["webhooksPending"], stored["webhookDeliveries"]) == (0, [])
    assert receiver.bodies == []


def test_pending_webhooks_are_counted_until_their_delivery_is_recorded(
    client: httpx.Client, receiver: WebhookReceiver
) -> None:
    reference = create(client).json()["reference"]
    sent = client.post(f"/_sim/transactions/{reference}/tap", json={"disposition": "Approved", "times": 2})
    assert sent.json()["webhooks"] == [{"status": 204, "error": None}] * 2
    stored = client.get(f"/_sim/transactions/{reference}").json()
    assert stored["webhooksPending"] == 0
    assert [d["status"] for d in stored["webhookDeliveries"]] == [204, 204]
    assert len(receiver.bodies) == 2
    later = client.post(
        f"/_sim/transactions/{reference}/webhook", json={"delaySeconds": 3600}
    )  # held far beyond the test, and cancelled when the simulator stops
    assert later.json()["webhooks"] == []
    stored = client.get(f"/_sim/transactions/{reference}").json()
    assert (stored["webhooksPending"], len(stored["webhookDeliveries"])) == (1, 2)


def test_tap_times_two_sends_duplicate_webhooks(client: httpx.Client, receiver: WebhookReceiver) -> None:
    reference = create(client).json()["reference"]
    tap = client.post(f"/_sim/transactions/{reference}/tap", json={"disposition": "Declined", "times": 2})
    assert len(tap.json()["webhooks"]) == 2
    first, second = receiver.wait_for(2)
    assert first == second
    assert first["disposition"] == "Declined"
    assert "authorisationCode" not in first


def test_delayed_webhook_answers_at_once(client: httpx.Client, receiver: WebhookReceiver) -> None:
    reference = create(client).json()["reference"]
    tap = client.post(
        f"/_sim/transactions/{reference}/tap", json={"disposition": "Approved", "delaySeconds": 1}
    )
    # The tap is answered before its webhook is sent: nothing is recorded as delivered yet, and it is pending.
    assert tap.json()["webhooks"] == []
    assert receiver.wait_for(1)[0]["haloReference"] == status(client, reference).json()["transactionId"]


def test_webhook_override_does_not_change_status(client: httpx.Client, receiver: WebhookReceiver) -> None:
    reference = create(client).json()["reference"]
    client.post(f"/_sim/transactions/{reference}/tap", json={"disposition": "Declined", "webhook": False})
    sent = client.post(
        f"/_sim/transactions/{reference}/webhook", json={"disposition": "Approved", "times": 1}
    )
    assert sent.json() == {
        "reference": reference,
        "disposition": "Approved",
        "webhooks": [{"status": 204, "error": None}],
    }
    [hook] = receiver.wait_for(1)
    assert hook["disposition"] == "Approved"
    assert "times" not in hook
    assert hook["haloReference"] == status(client, reference).json()["transactionId"]
    assert status(client, reference).json()["disposition"] == "Declined"
    stored = client.get(f"/_sim/transactions/{reference}").json()
    assert stored["disposition"] == "Declined"
    assert stored["merchantId"] == MERCHANT
    assert stored["webhookUrl"] == receiver.url


def test_webhook_connection_error_is_reported(client: httpx.Client) -> None:
    reference = create(client).json()["reference"]
    client.post("/_sim/config", json={"webhookUrl": "http://127.0.0.1:9/closed"})
    tap = client.post(f"/_sim/transactions/{reference}/tap", json={"disposition": "Approved"})
    [result] = tap.json()["webhooks"]
    assert result["status"] is None
    assert result["error"]


def test_control_api_errors(client: httpx.Client) -> None:
    missing = client.post(f"/_sim/transactions/{uuid.uuid4()}/tap", json={"disposition": "Approved"})
    assert missing.status_code == 404
    reference = create(client).json()["reference"]
    bad = client.post(f"/_sim/transactions/{reference}/tap", json={"disposition": "Maybe"})
    assert bad.status_code == 400
    assert "error" in bad.json()
    unknown = client.get("/nowhere")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/json"


# ----------------------------------------------------------------------------- faults


def set_fault(client: httpx.Client, mode: str, count: int = 1) -> httpx.Response:
    return client.post("/_sim/faults", json={"mode": mode, "count": count})


def test_error500_fault_and_count_decrements(client: httpx.Client) -> None:
    assert set_fault(client, "error500", 2).json() == {"pending": [{"mode": "error500", "count": 2}]}
    assert_halo_error(create(client), 500, 500)
    assert client.get("/_sim/faults").json() == {"pending": [{"mode": "error500", "count": 1}]}
    reference = create(client).json()  # faulted, not created
    assert reference["errorCode"] == 500
    assert client.get("/_sim/faults").json() == {"pending": []}
    assert create(client).status_code == 200


def test_malformed_fault(client: httpx.Client) -> None:
    set_fault(client, "malformed")
    response = create(client)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_slow_fault_answers_normally_after_a_delay(client: httpx.Client) -> None:
    reference = create(client).json()["reference"]
    set_fault(client, "slow")
    started = time.monotonic()
    response = status(client, reference)
    assert time.monotonic() - started >= 0.3
    assert response.json()["qrCodeState"] == "QRCodeGenerated"


def test_timeout_fault_holds_the_request(client: httpx.Client) -> None:
    set_fault(client, "timeout")
    with pytest.raises(httpx.ReadTimeout):
        client.post("/consumer/qrCode", json=create_body(), headers={"x-api-key": KEY}, timeout=0.5)
    # the control API is never faulted, and the faulted call was recorded
    assert client.get("/_sim/faults").json() == {"pending": []}
    assert len(client.get("/_sim/requests").json()) == 1


def test_timeout_fault_closes_without_answering() -> None:
    simulator = HaloSimulator(port=0, merchants={KEY: MERCHANT}, timeout_fault_seconds=0.2)
    simulator.start()
    try:
        with httpx.Client(base_url=simulator.url, timeout=5.0, trust_env=False) as http:
            set_fault(http, "timeout")
            with pytest.raises(httpx.RemoteProtocolError):
                create(http)
    finally:
        simulator.stop()


def test_stop_wakes_a_request_held_by_a_timeout_fault() -> None:
    simulator = HaloSimulator(port=0, merchants={KEY: MERCHANT}, timeout_fault_seconds=30)
    simulator.start()
    with httpx.Client(base_url=simulator.url, timeout=5.0, trust_env=False) as http:
        set_fault(http, "timeout")
        errors: list[Exception] = []

        def call() -> None:
            try:
                create(http)
            except httpx.HTTPError as exc:
                errors.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        # Stop only once the create is held: the simulator logs a request before it takes the fault.
        deadline = time.monotonic() + 30
        while not http.get("/_sim/requests").json():
            assert time.monotonic() < deadline, "the create call never reached the simulator"
            time.sleep(0.02)
        started = time.monotonic()
        simulator.stop()
        simulator.stop()  # idempotent
        caller.join(2)
    assert time.monotonic() - started < 2
    assert not caller.is_alive()
    # Closed without an answer by the woken handler: not refused (stopped too early), not timed out.
    assert [type(error) for error in errors] == [httpx.RemoteProtocolError]


def test_invalid_fault_is_400(client: httpx.Client) -> None:
    assert set_fault(client, "explode").status_code == 400
    assert set_fault(client, "slow", 0).status_code == 400
    assert client.get("/_sim/faults").json() == {"pending": []}


# ----------------------------------------------------------------------------- requests log and reset


def test_requests_log_records_halo_calls_only(client: httpx.Client) -> None:
    body = create_body()
    client.post("/consumer/qrCode", json=body, headers={"x-api-key": KEY, "X-Trace": "abc"})
    client.post("/_sim/faults", json={"mode": "slow", "count": 1})
    client.delete("/_sim/faults")
    client.get("/consumer/QRCode/unknown", headers={"x-api-key": KEY})
    [first, second] = client.get("/_sim/requests").json()
    assert first["method"] == "POST"
    assert first["path"] == "/consumer/qrCode"
    assert first["headers"]["x-api-key"] == "***"  # finding 8: never a merchant's key (KEY is short)
    assert first["headers"]["x-trace"] == "abc"
    assert first["headers"]["content-type"] == "application/json"
    assert first["json"] == body
    assert (second["method"], second["path"], second["json"]) == ("GET", "/consumer/QRCode/unknown", None)
    assert client.delete("/_sim/requests").status_code == 200
    assert client.get("/_sim/requests").json() == []


def test_reset_clears_state(client: httpx.Client) -> None:
    reference = create(client, paymentReference="order-reset").json()["reference"]
    set_fault(client, "error500", 5)
    assert client.post("/_sim/reset").status_code == 200
    assert client.get(f"/_sim/transactions/{reference}").status_code == 404
    assert client.get("/_sim/requests").json() == []
    assert client.get("/_sim/faults").json() == {"pending": []}
    assert create(client, paymentReference="order-reset").status_code == 200


# ----------------------------------------------------------------------------- refunds


def approved_transaction(client: httpx.Client, amount: str = "100.01") -> str:
    reference = create(client, amount=amount).json()["reference"]
    client.post(f"/_sim/transactions/{reference}/tap", json={"disposition": "Approved", "webhook": False})
    return str(status(client, reference).json()["transactionId"])


def refund(client: httpx.Client, transaction_id: str, body: Any, key: str = KEY) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        f"/transactions/{transaction_id}/refund",
        content=content,
        headers={"x-api-key": key, "content-type": "application/json"},
    )


def test_a_refund_is_approved_once_and_its_reference_again_answers_213(client: httpx.Client) -> None:
    transaction_id = approved_transaction(client)
    first = refund(client, transaction_id, b'{"amount": 40.01, "refundReference": "rfd_1"}')
    assert first.status_code == 200
    assert first.json()["type"] == "Approved"
    assert first.json()["haloReference"]
    again = refund(client, transaction_id, b'{"amount": 40.01, "refundReference": "rfd_1"}')
    assert (again.status_code, again.json()["errorCode"]) == (400, 213)
    assert client.get("/_sim/refunds").json() == [
        {
            "refundReference": "rfd_1",
            "transactionId": transaction_id,
            "amount": "40.01",
            "haloReference": first.json()["haloReference"],
        }
    ]
    logged = [r for r in client.get("/_sim/requests").json() if r["path"].endswith("/refund")]
    assert len(logged) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "10.00", "refundReference": "r"}, "amount"),
        ({"refundReference": "r"}, "amount"),
        ({"amount": 10.001, "refundReference": "r"}, "amount"),
        ({"amount": 10}, "refundReference"),
        ({"amount": 1000, "refundReference": "r"}, "amount"),
    ],
)
def test_a_bad_refund_body_is_400_104(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    error = assert_halo_error(refund(client, approved_transaction(client), body), 400, 104)
    assert error["message"].startswith(f"E104: Invalid Request: {field}")


def test_a_refund_needs_the_merchants_key_and_a_known_transaction(client: httpx.Client) -> None:
    transaction_id = approved_transaction(client)
    body = {"amount": 1, "refundReference": "r"}
    assert_halo_error(refund(client, transaction_id, body, key="nope"), 401, 102)
    assert_halo_error(refund(client, transaction_id, body, key=OTHER_KEY), 404, 122)
    assert_halo_error(refund(client, str(uuid.uuid4()), body), 404, 122)


def test_a_refund_after_the_refund_window_answers_212(client: httpx.Client) -> None:
    transaction_id = approved_transaction(client)
    assert client.post("/_sim/config", json={"refundWindowSeconds": 0}).json()["refundWindowSeconds"] == 0
    late = refund(client, transaction_id, {"amount": 1, "refundReference": "r"})
    assert (late.status_code, late.json()["errorCode"], late.json()["errorMessage"]) == (
        400,
        212,
        "Refund Too Late",
    )
    client.post("/_sim/config", json={"refundWindowSeconds": None})
    assert refund(client, transaction_id, {"amount": 1, "refundReference": "r"}).json()["type"] == "Approved"


@pytest.mark.parametrize("mode", ["error500", "malformed"])
def test_faults_apply_to_refund_calls_and_the_refund_is_not_made(client: httpx.Client, mode: str) -> None:
    transaction_id = approved_transaction(client)
    set_fault(client, mode)
    assert refund(client, transaction_id, {"amount": 1, "refundReference": "r"}).status_code in (200, 500)
    assert client.get("/_sim/refunds").json() == []
    assert refund(client, transaction_id, {"amount": 1, "refundReference": "r"}).json()["type"] == "Approved"


def test_a_fault_aimed_at_refund_calls_leaves_other_calls_alone(client: httpx.Client) -> None:
    transaction_id = approved_transaction(client)
    assert client.post("/_sim/faults", json={"mode": "error500", "calls": "refund"}).status_code == 200
    assert create(client).status_code == 200  # a create passes the refund fault by
    assert refund(client, transaction_id, {"amount": 1, "refundReference": "r"}).status_code == 500
    assert client.get("/_sim/faults").json() == {"pending": []}
    assert client.post("/_sim/faults", json={"mode": "slow", "calls": "void"}).status_code == 400
