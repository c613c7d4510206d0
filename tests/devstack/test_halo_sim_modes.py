"""The simulator's answers for Halo's corrected facts: lost refund answers, HTTP 500 for an unknown status,
201 for a created link, every documented create timestamp, and a UUID merchant id."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from devstack.halo_sim import HaloSimulator

KEY = "key-uuid"
MERCHANT = "7f1c2a40-0d4e-4c8e-9c55-5f7e1b2c3d4e"  # integrator onboarding returns a UUID string


@pytest.fixture
def sim(serve: Callable[[HaloSimulator], HaloSimulator]) -> HaloSimulator:
    return serve(HaloSimulator(port=0, merchants={KEY: MERCHANT}, timeout_fault_seconds=0.5))


@pytest.fixture
def client(sim: HaloSimulator, http_client: Callable[[str], httpx.Client]) -> httpx.Client:
    return http_client(sim.url)


def create(client: httpx.Client, path: str = "/consumer/applink", **overrides: Any) -> httpx.Response:
    body = {
        "merchantId": MERCHANT,
        "paymentReference": f"chk_{uuid.uuid4().hex[:12]}",
        "amount": "100.00",
        "timestamp": "2026-12-07T10:00:00.000Z",
        "currencyCode": "ZAR",
        "isConsumerApp": False,
        "image": {"required": False},
        **overrides,
    }
    return client.post(path, json=body, headers={"x-api-key": KEY})


def approved(client: httpx.Client) -> str:
    reference = create(client).json()["reference"]
    client.post(f"/_sim/transactions/{reference}/tap", json={"disposition": "Approved", "webhook": False})
    return str(
        client.get(f"/consumer/QRCode/{reference}", headers={"x-api-key": KEY}).json()["transactionId"]
    )


def refund(client: httpx.Client, transaction_id: str, reference: str, **kwargs: Any) -> httpx.Response:
    return client.post(
        f"/transactions/{transaction_id}/refund",
        content=b'{"amount": 25.00, "refundReference": "' + reference.encode() + b'"}',
        headers={"x-api-key": KEY, "content-type": "application/json"},
        **kwargs,
    )


def fault(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post("/_sim/faults", json=body)


# ----------------------------------------------------------------------------- applyThenTimeout


def test_apply_then_timeout_makes_the_refund_loses_the_answer_and_a_retry_gets_213(
    client: httpx.Client,
) -> None:
    transaction_id = approved(client)
    assert fault(client, {"mode": "applyThenTimeout", "count": 1, "calls": "refund"}).status_code == 200
    with pytest.raises(httpx.HTTPError):  # held, then closed without an answer (or the client gives up)
        refund(client, transaction_id, "rfd_lost", timeout=5.0)
    retry = refund(client, transaction_id, "rfd_lost")
    assert (retry.status_code, retry.json()["errorCode"]) == (400, 213)
    assert retry.json()["errorMessage"] == "Refund Already Processed"
    assert [r["refundReference"] for r in client.get("/_sim/refunds").json()] == ["rfd_lost"]
    ledger = client.get("/transactions", params={"merchant": MERCHANT}, headers={"x-api-key": KEY}).json()
    assert [(r["transactionType"], r["originalTransactionId"]) for r in ledger] == [
        ("Purchase", None),
        ("Refund", transaction_id),
    ]


def test_apply_then_timeout_spares_the_calls_it_is_not_aimed_at(client: httpx.Client) -> None:
    fault(client, {"mode": "applyThenTimeout", "count": 1, "calls": "refund"})
    assert create(client).status_code == 200
    assert client.get("/_sim/faults").json()["pending"] == [
        {"mode": "applyThenTimeout", "count": 1, "calls": "refund"}
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "applyThenTimeout"},
        {"mode": "applyThenTimeout", "calls": "status"},
        {"mode": "statusUnknown500", "calls": "refund"},
        {"mode": "statusUnknown500"},
    ],
)
def test_a_mode_for_one_kind_of_call_must_name_that_kind(client: httpx.Client, body: dict[str, Any]) -> None:
    answer = fault(client, body)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("calls must be")
    assert client.get("/_sim/faults").json() == {"pending": []}


# ----------------------------------------------------------------------------- statusUnknown500


def test_status_unknown_500_answers_halos_error_201_then_the_status_reads_again(client: httpx.Client) -> None:
    reference = create(client).json()["reference"]
    fault(client, {"mode": "statusUnknown500", "count": 1, "calls": "status"})
    first = client.get(f"/consumer/QRCode/{reference}", headers={"x-api-key": KEY})
    assert (first.status_code, first.json()) == (
        500,
        {"errorCode": 201, "errorMessage": "Error finding requested transaction"},
    )
    second = client.get(f"/consumer/QRCode/{reference}", headers={"x-api-key": KEY})
    assert (second.status_code, second.json()["qrCodeState"]) == (200, "QRCodeGenerated")


# ----------------------------------------------------------------------------- linkSuccessStatus


@pytest.mark.parametrize("path", ["/consumer/qrCode", "/consumer/applink"])
def test_link_success_status_makes_the_create_endpoints_answer_201(client: httpx.Client, path: str) -> None:
    assert create(client, path).status_code == 200  # Halo's documented status, the default
    config = client.post("/_sim/config", json={"linkSuccessStatus": 201})
    assert config.json()["linkSuccessStatus"] == 201
    created = create(client, path)
    assert (created.status_code, sorted(created.json())) == (201, ["reference", "url"])
    client.post("/_sim/reset")
    assert create(client, path).status_code == 200


@pytest.mark.parametrize("value", [202, "201", True, None])
def test_link_success_status_is_200_or_201_only(client: httpx.Client, value: Any) -> None:
    answer = client.post("/_sim/config", json={"linkSuccessStatus": value})
    assert (answer.status_code, answer.json()["error"]) == (400, "linkSuccessStatus must be 200 or 201")


# ----------------------------------------------------------------------------- create timestamps and merchantId


@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-12-07T10:00:00.000Z",  # ISO 8601, what halotap sends
        "2026-12-07T12:00:00+02:00",
        "Thu Aug 25 09:43:59 SAST 2022",  # the create page's example (Java's Date.toString)
        "Thu Aug 25 2022 09:43:59 GMT+0200",  # Halo's own app: E MMM d yyyy HH:mm:ss 'GMT'Z
        "Mon Aug 1 2022 09:43:59 GMT-0500 (Eastern Standard Time)",
    ],
)
def test_each_documented_timestamp_format_is_accepted(client: httpx.Client, timestamp: str) -> None:
    assert create(client, timestamp=timestamp).status_code == 200


@pytest.mark.parametrize(
    "timestamp",
    [
        "",
        "yesterday",
        "2026-12-07",  # a date is not a timestamp
        "1733565600",
        "Thu Aug 32 2022 09:43:59 GMT+0200",
        "Thu Foo 25 09:43:59 SAST 2022",
        "Thu Aug 25 2022 09:43:59 CET",
    ],
)
def test_any_other_timestamp_is_400_104_naming_it(client: httpx.Client, timestamp: str) -> None:
    answer = create(client, timestamp=timestamp)
    assert (answer.status_code, answer.json()["errorCode"]) == (400, 104)
    assert answer.json()["message"].startswith("E104: Invalid Request: timestamp")


def test_a_uuid_merchant_id_is_an_opaque_string_that_must_match_the_key(client: httpx.Client) -> None:
    assert create(client).status_code == 200
    other = create(client, merchantId=str(uuid.uuid4()))
    assert (other.status_code, other.json()["errorCode"]) == (401, 100)
