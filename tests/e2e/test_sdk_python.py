"""The Python SDK (clients/python, imported from its source) runs a checkout's life against the devstack:
create with an automatic Idempotency-Key, read, list by iterator, approve through Halo's simulator,
refund, read the events by iterator, and verify a webhook delivery the sink captured."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from halotap_client import AsyncHalotapClient, HalotapClient, NotFoundError, Webhooks

pytestmark = pytest.mark.e2e
MERCHANT = "demo-merchant"


def _until(what: str, found: Any, timeout: float = 30.0) -> Any:
    """The first truthy answer of `found()`, polled until `timeout`."""
    deadline = time.monotonic() + timeout
    while not (value := found()):
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
    return value


def test_a_checkouts_life_through_the_python_sdk(devstack):
    sim = httpx.Client(base_url=devstack.halo_url, timeout=30)
    sink = httpx.Client(base_url=devstack.sink_url, timeout=30)
    with HalotapClient(devstack.api_key, devstack.api_url) as client:
        reference = f"sdk-py-{uuid.uuid4().hex[:10]}"
        created = client.create_checkout(
            merchant_id=MERCHANT, reference=reference, amount="25.00", currency="ZAR"
        )
        assert (created["status"], created["reference"]) == ("open", reference)
        assert client.get_checkout(created["id"])["id"] == created["id"]
        assert client.find_checkout(MERCHANT, reference)["id"] == created["id"]
        listed = [
            c["id"] for c in client.iter_checkouts(MERCHANT, created_from=created["createdAt"], page_size=2)
        ]
        assert created["id"] in listed

        tap = sim.post(f"/_sim/transactions/{created['haloReference']}/tap", json={"disposition": "Approved"})
        assert tap.status_code == 200, tap.text
        _until("never approved", lambda: client.get_checkout(created["id"])["status"] == "approved")

        refund = client.create_refund(created["id"], reference="sdk-refund-1", amount="10.00")
        assert (refund["status"], refund["amount"]) == ("succeeded", "10.00")
        assert client.get_refund(created["id"], refund["id"])["id"] == refund["id"]

        def ours() -> dict[str, str]:
            events = client.iter_events(types=["checkout.approved", "refund.succeeded"])
            return {e["type"]: e["id"] for e in events if e["data"]["id"] in (created["id"], refund["id"])}

        events = _until("the events never appeared", lambda: len(ours()) == 2 and ours())
        approved_id = events["checkout.approved"]
        assert client.get_event(approved_id)["data"]["status"] == "approved"
        assert client.resend_event(approved_id) == {"id": approved_id, "status": "queued"}
        assert client.ping_webhook_endpoint()["delivered"] is True

        # The delivery of the approval, as the PSP's endpoint received it, verified by the SDK's helper.
        [delivery, *_] = _until(
            "the approval never reached the sink",
            lambda: sink.get("/_sink/deliveries", params={"webhookId": approved_id}).json(),
        )
        event = Webhooks(devstack.config.signing_secret).verify(delivery["body"], delivery["headers"])
        assert (event["id"], event["type"], event["data"]["id"]) == (
            approved_id,
            "checkout.approved",
            created["id"],
        )

        day = datetime.now(UTC).date().isoformat()
        assert client.run_ledger(MERCHANT, day)["merchantId"] == MERCHANT
        assert client.get_ledger(MERCHANT, day)["date"] == day
        with pytest.raises(NotFoundError) as missing:
            client.get_checkout("chk_does_not_exist")
        assert missing.value.code == "checkout_not_found"

        made = client.create_api_key(label="sdk-py")
        assert made["id"] in [key["id"] for key in client.list_api_keys()]
        with HalotapClient(made["key"], devstack.api_url) as own:
            assert own.revoke_api_key(made["id"])["status"] == "revoked"


def test_the_async_client_creates_reads_and_cancels(devstack):
    async def run() -> tuple[str, str]:
        async with AsyncHalotapClient(devstack.api_key, devstack.api_url) as client:
            created = await client.create_checkout(
                merchant_id=MERCHANT,
                reference=f"sdk-async-{uuid.uuid4().hex[:10]}",
                amount="3.00",
                currency="ZAR",
            )
            read = await client.get_checkout(created["id"])
            cancelled = await client.cancel_checkout(created["id"])
            made = await client.create_api_key()
            assert made["id"] in [key["id"] for key in await client.list_api_keys()]
            assert (await client.revoke_api_key(made["id"]))["status"] == "revoked"
            return read["status"], cancelled["status"]

    assert asyncio.run(run()) == ("open", "cancelled")
