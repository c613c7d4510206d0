"""The simulator's transaction history (GET /transactions) and its ledger controls, over loopback HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from devstack.halo_sim import HaloSimulator
from halotap.adapters.halo import HaloClient
from halotap.domain.parties import MerchantCredentials

KEY, MERCHANT = "key-001", "sim-merchant-001"
OTHER_KEY, OTHER_MERCHANT = "key-002", "7f1c2a40-0d4e-4c8e-9c55-5f7e1b2c3d4e"  # a UUID merchant id


@pytest.fixture
def sim(serve: Callable[[HaloSimulator], HaloSimulator]) -> HaloSimulator:
    return serve(HaloSimulator(port=0, merchants={KEY: MERCHANT, OTHER_KEY: OTHER_MERCHANT}))


@pytest.fixture
def client(sim: HaloSimulator, http_client: Callable[[str], httpx.Client]) -> httpx.Client:
    return http_client(sim.url)


def history(
    client: httpx.Client, key: str = KEY, path: str = "/transactions", **params: Any
) -> httpx.Response:
    params.setdefault("merchant", MERCHANT if key == KEY else OTHER_MERCHANT)
    return client.get(path, params=params, headers={"x-api-key": key})


def plant(client: httpx.Client, body: Any) -> Any:
    answer = client.post("/_sim/ledger/transactions", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def record(reference: str, created_at: str, **fields: Any) -> dict[str, Any]:
    return {
        "merchantReference": reference,
        "amount": "10.00",
        "currency": "ZAR",
        "disposition": "Approved",
        "transactionType": "Purchase",
        "createdAt": created_at,
        **fields,
    }


def link(client: httpx.Client, amount: str = "100.01") -> str:
    """Creates a deep link; returns its reference."""
    body = {
        "merchantId": MERCHANT,
        "paymentReference": f"chk_{uuid.uuid4().hex[:12]}",
        "amount": amount,
        "timestamp": "2026-12-07T10:00:00Z",
        "currencyCode": "ZAR",
        "isConsumerApp": False,
        "image": {"required": False},
    }
    return str(client.post("/consumer/applink", json=body, headers={"x-api-key": KEY}).json()["reference"])


def tapped(client: httpx.Client, disposition: str = "Approved", amount: str = "100.01") -> dict[str, Any]:
    """Creates a deep link and taps it without a webhook; returns its status view."""
    reference = link(client, amount)
    client.post(f"/_sim/transactions/{reference}/tap", json={"disposition": disposition, "webhook": False})
    view = client.get(f"/consumer/QRCode/{reference}", headers={"x-api-key": KEY}).json()
    return {**view, "reference": reference}


def references(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["merchantReference"] for r in response.json()]


# ----------------------------------------------------------------------------- what the ledger holds


def test_a_tapped_payment_is_a_purchase_record_with_its_fee_and_settlement_keys(client: httpx.Client) -> None:
    payment = tapped(client)
    client.post("/consumer/applink", json={}, headers={"x-api-key": KEY})  # refused: never in the ledger
    [entry] = history(client).json()
    assert entry == {
        "id": payment["transactionId"],
        "merchantReference": payment["paymentReference"],
        "merchantTransactionReference": payment["paymentReference"],
        "disposition": "Approved",
        "amount": "100.01",
        "currency": "ZAR",
        "createdAt": payment["updatedAt"],
        "transactionType": "Purchase",
        "originalTransactionId": None,
        "transactionFee": "2.90",
        "paymentProviderFields": entry["paymentProviderFields"],
    }
    fields = entry["paymentProviderFields"]
    moment = datetime.strptime(fields["acquirerDate"] + fields["acquirerTime"], "%Y%m%d%H%M%S")
    assert moment.replace(tzinfo=UTC).isoformat()[:19] == entry["createdAt"][:19]
    assert fields["reconReference"]


def test_an_untapped_link_is_not_in_the_ledger_and_a_declined_tap_pays_no_fee(client: httpx.Client) -> None:
    link(client)
    declined = tapped(client, "Declined")
    assert [(r["id"], r["transactionFee"]) for r in history(client).json()] == [
        (declined["transactionId"], "0.00")
    ]


def test_a_second_tap_changes_the_one_record_of_its_transaction(client: httpx.Client) -> None:
    payment = tapped(client, "Indeterminate")
    client.post(
        f"/_sim/transactions/{payment['reference']}/tap", json={"disposition": "Voided", "webhook": False}
    )
    assert [(r["id"], r["disposition"]) for r in history(client).json()] == [
        (payment["transactionId"], "Voided")
    ]


def test_an_approved_refund_is_a_refund_record_naming_its_payment(client: httpx.Client) -> None:
    payment = tapped(client)
    refused = {"amount": 1000, "refundReference": "rfd_too_much"}
    client.post(f"/transactions/{payment['transactionId']}/refund", json=refused, headers={"x-api-key": KEY})
    answer = client.post(
        f"/transactions/{payment['transactionId']}/refund",
        content=b'{"amount": 40.01, "refundReference": "rfd_1"}',
        headers={"x-api-key": KEY, "content-type": "application/json"},
    )
    assert answer.status_code == 200
    purchase, refund = history(client).json()
    assert purchase["id"] == payment["transactionId"]
    assert refund["id"] not in (payment["transactionId"], answer.json()["haloReference"])
    assert {k: refund[k] for k in ("merchantReference", "transactionType", "originalTransactionId")} == {
        "merchantReference": "rfd_1",
        "transactionType": "Refund",
        "originalTransactionId": payment["transactionId"],
    }
    assert (refund["amount"], refund["disposition"], refund["transactionFee"]) == (
        "40.01",
        "Approved",
        "0.00",
    )


def test_each_merchant_reads_only_its_own_records(client: httpx.Client) -> None:
    plant(client, record("mine", "2026-12-07T10:00:00Z"))
    plant(client, record("theirs", "2026-12-07T10:00:00Z", merchantId=OTHER_MERCHANT))
    assert references(history(client)) == ["mine"]
    assert references(history(client, key=OTHER_KEY)) == ["theirs"]


# ----------------------------------------------------------------------------- paging and filters


def test_paging_by_offset_returns_every_record_once_in_created_at_then_id_order(client: httpx.Client) -> None:
    plant(client, {**record("early", "2026-12-07T09:00:00Z"), "count": 120})
    plant(client, {**record("same-time", "2026-12-07T10:00:00Z"), "count": 130})
    pages, offset = [], 0
    while True:
        page = history(client, limit=100, offset=offset).json()
        pages.append(page)
        if len(page) < 100:
            break
        offset += len(page)
    seen = [r for page in pages for r in page]
    assert [len(p) for p in pages] == [100, 100, 50]
    assert len({r["id"] for r in seen}) == len(seen) == 250
    assert [(r["createdAt"], r["id"]) for r in seen] == sorted((r["createdAt"], r["id"]) for r in seen)
    assert {r["merchantReference"] for r in seen if r["createdAt"].startswith("2026-12-07T09")} == {
        f"early-{i}" for i in range(120)
    }


def test_limit_defaults_to_100_and_may_be_at_most_1000(client: httpx.Client) -> None:
    plant(client, {**record("r", "2026-12-07T10:00:00Z"), "count": 1001})
    assert len(history(client).json()) == 100
    assert len(history(client, limit=1000).json()) == 1000
    assert "limit" in history(client, limit=1001).json()["message"]


@pytest.fixture
def three_days(client: httpx.Client) -> None:
    plant(
        client,
        [
            record("dec6-last", "2026-12-06T23:59:59.999Z"),
            record("dec7-first", "2026-12-07T00:00:00.000Z"),
            record("dec7-noon", "2026-12-07T14:00:00+02:00"),  # 12:00 UTC
            record("dec7-last", "2026-12-07T23:59:59.999Z"),
            record("dec8-first", "2026-12-08T00:00:00Z"),
        ],
    )


@pytest.mark.usefixtures("three_days")
def test_a_date_as_start_and_end_means_the_whole_of_that_utc_day(client: httpx.Client) -> None:
    day = history(client, startDate="2026-12-07", endDate="2026-12-07")
    assert references(day) == ["dec7-first", "dec7-noon", "dec7-last"]
    assert references(history(client, endDate="2026-12-06")) == ["dec6-last"]
    assert references(history(client, startDate="2026-12-08")) == ["dec8-first"]


@pytest.mark.usefixtures("three_days")
def test_timestamps_bound_created_at_inclusively_in_any_offset(client: httpx.Client) -> None:
    window = history(client, startDate="2026-12-07T12:00:00.000Z", endDate="2026-12-08T00:00:00Z")
    assert references(window) == ["dec7-noon", "dec7-last", "dec8-first"]
    shifted = history(client, startDate="2026-12-07T02:00:00+02:00", endDate="2026-12-07T13:59:59+02:00")
    assert references(shifted) == ["dec7-first"]
    assert references(history(client, startDate="2026-12-07T12:00:00.000001Z")) == ["dec7-last", "dec8-first"]


def test_the_other_documented_filters_narrow_the_records(client: httpx.Client) -> None:
    plant(
        client,
        [
            record("a", "2026-12-07T10:00:00Z", amount="5.00"),
            record("b", "2026-12-07T10:00:01Z", amount="50.00", disposition="Declined"),
            record("c", "2026-12-07T10:00:02Z", amount="500.00"),
        ],
    )
    assert references(history(client, merchantReference="b")) == ["b"]
    assert references(history(client, transactionDisposition="approved")) == ["a", "c"]
    assert references(history(client, minAmount="50", maxAmount="500.00")) == ["b", "c"]
    assert references(history(client, transactionDisposition="Approved", limit=1, offset=1)) == ["c"]


def test_the_history_also_answers_under_a_version_prefix(client: httpx.Client) -> None:
    plant(client, record("versioned", "2026-12-07T10:00:00Z"))
    assert references(history(client, path="/1.0.12/transactions")) == ["versioned"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"startDate": "yesterday"}, "startDate"),
        ({"endDate": "2026-13-01"}, "endDate"),
        ({"endDate": "2026-12-07T25:00:00Z"}, "endDate"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"transactionDisposition": "Maybe"}, "transactionDisposition"),
        ({"minAmount": "lots"}, "minAmount"),
        ({"merchant": ""}, "merchant"),
    ],
)
def test_a_bad_filter_is_400_104_naming_it(client: httpx.Client, params: dict[str, str], field: str) -> None:
    answer = history(client, **params)
    assert (answer.status_code, answer.json()["errorCode"]) == (400, 104)
    assert answer.json()["message"].startswith(f"E104: Invalid Request: {field}")


def test_the_history_needs_a_known_key_and_the_keys_own_merchant(client: httpx.Client) -> None:
    assert (history(client, key="nope", merchant=MERCHANT).json()["errorCode"]) == 102
    assert history(client, key="nope", merchant=MERCHANT).status_code == 401
    other = history(client, merchant=OTHER_MERCHANT)
    assert (other.status_code, other.json()["errorCode"]) == (400, 104)


# ----------------------------------------------------------------------------- planting and amending


def test_a_planted_record_defaults_to_the_first_merchant_and_now(client: httpx.Client) -> None:
    planted = plant(client, {k: v for k, v in record("planted", "").items() if k != "createdAt"})
    [entry] = history(client).json()
    assert entry["id"] == planted["id"]
    assert entry["createdAt"].endswith("Z")
    assert entry["transactionFee"] == "0.29"


def test_a_planted_refund_keeps_its_original_transaction(client: httpx.Client) -> None:
    refund = record("rfd_x", "2026-12-07T10:00:00Z", transactionType="refund", originalTransactionId="tx-1")
    planted = plant(client, [refund])
    [entry] = history(client).json()
    assert (entry["id"], entry["transactionType"], entry["originalTransactionId"]) == (
        planted["ids"][0],
        "Refund",
        "tx-1",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"merchantReference": ""}, "merchantReference"),
        ({"amount": "ten"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"currency": "RAND"}, "currency"),
        ({"disposition": "Maybe"}, "disposition"),
        ({"transactionType": "Sale"}, "transactionType"),
        ({"originalTransactionId": 7}, "originalTransactionId"),
        ({"createdAt": "2026-12-07T10:00:00"}, "createdAt"),
        ({"merchantId": "nobody"}, "merchantId"),
        ({"count": 0}, "count"),
    ],
)
def test_a_bad_planted_record_is_400_naming_its_field(
    client: httpx.Client, change: dict[str, Any], field: str
) -> None:
    answer = client.post("/_sim/ledger/transactions", json={**record("r", "2026-12-07T10:00:00Z"), **change})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(field)
    assert history(client).json() == []


def test_a_bad_record_in_an_array_is_named_by_its_position_and_nothing_is_planted(
    client: httpx.Client,
) -> None:
    batch = [record("ok", "2026-12-07T10:00:00Z"), record("bad", "2026-12-07T10:00:00Z", amount="x")]
    answer = client.post("/_sim/ledger/transactions", json=batch)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("record 1: amount")
    assert history(client).json() == []


def test_amend_changes_the_ledgers_amount_only(client: httpx.Client) -> None:
    payment = tapped(client)
    amended = client.post(f"/_sim/transactions/{payment['paymentReference']}/amend", json={"amount": "90.00"})
    assert amended.status_code == 200
    [entry] = history(client).json()
    assert (entry["amount"], entry["transactionFee"]) == ("90.00", "2.90")
    status = client.get(f"/consumer/QRCode/{payment['reference']}", headers={"x-api-key": KEY}).json()
    assert status["amount"] == "100.01"
    by_id = client.post(f"/_sim/transactions/{entry['id']}/amend", json={"amount": 80})
    assert by_id.json()["amount"] == "80.00"
    by_link = client.post(f"/_sim/transactions/{payment['reference']}/amend", json={"amount": "70.5"})
    assert by_link.json()["amount"] == "70.50"


def test_amend_of_an_unknown_reference_is_404_and_a_bad_amount_400(client: httpx.Client) -> None:
    assert client.post("/_sim/transactions/nope/amend", json={"amount": "1.00"}).status_code == 404
    payment = tapped(client)
    bad = client.post(f"/_sim/transactions/{payment['transactionId']}/amend", json={"amount": "-1"})
    assert (bad.status_code, bad.json()["error"][:6]) == (400, "amount")


def test_amend_can_file_a_record_under_another_day(client: httpx.Client) -> None:
    payment = tapped(client)
    moved = client.post(
        f"/_sim/transactions/{payment['paymentReference']}/amend", json={"createdAt": "2030-01-02T00:30:00Z"}
    )
    assert moved.status_code == 200
    assert history(client, endDate="2030-01-01").json() == []
    [entry] = history(client, startDate="2030-01-02", endDate="2030-01-02").json()
    assert entry["merchantReference"] == payment["paymentReference"]
    assert client.post(f"/_sim/transactions/{entry['id']}/amend", json={}).status_code == 400


def test_reset_empties_the_ledger(client: httpx.Client) -> None:
    plant(client, record("r", "2026-12-07T10:00:00Z"))
    client.post("/_sim/reset")
    assert history(client).json() == []


# ----------------------------------------------------------------------------- a day of 100,000 records


def test_halotaps_client_pages_through_a_planted_day_of_100000_records(sim: HaloSimulator) -> None:
    with httpx.Client(base_url=sim.url, timeout=60.0, trust_env=False) as control:
        answer = control.post(
            "/_sim/ledger/transactions", json={**record("bulk", "2026-12-07T10:00:00Z"), "count": 100_000}
        )
    assert answer.json() == {"count": 100_000}
    merchant = MerchantCredentials("demo-merchant", MERCHANT, KEY)
    with httpx.Client(trust_env=False) as http:
        client = HaloClient(sim.url, http=http, read_timeout=60.0)
        day = client.history(
            merchant,
            start=datetime(2026, 12, 7, tzinfo=UTC),
            end=datetime(2026, 12, 7, 23, 59, 59, 999000, tzinfo=UTC),
            page_size=1000,
        )
        count, total, ids = 0, Decimal(0), set()
        for entry in day:
            count += 1
            total += entry.amount or 0
            ids.add(entry.id)
    assert (count, len(ids), total) == (100_000, 100_000, Decimal("1000000.00"))
