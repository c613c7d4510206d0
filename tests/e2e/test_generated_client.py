"""A client generated from docs/openapi.json (the PSP's contract) by openapi-python-client covers every operation
and works."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from infra.openapi import OUTPUT
from tests.e2e.client import Psp

pytestmark = pytest.mark.e2e

SPEC = json.loads(OUTPUT.read_text())
GENERATED = "halotap_generated_client"
OPERATION_IDS = [op["operationId"] for path in SPEC["paths"].values() for op in path.values()]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("client")
    # Its own name: `halotap_client` is the repository's SDK (clients/python), which other tests import.
    config = out / "config.yaml"
    config.write_text(f"package_name_override: {GENERATED}\n")
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(OUTPUT),
            "--meta",
            "none",
            "--output-path",
            str(out / GENERATED),
            "--config",
            str(config),
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(GENERATED)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == GENERATED or m.startswith(f"{GENERATED}.")]:
            del sys.modules[name]


CALLED: set[str] = set()


def _about(event, object_id: str) -> bool:
    """Whether the event is about this checkout or refund (a ledger.completed event's data has no id)."""
    return "id" in event.data and event.data["id"] == object_id


def op(name: str):
    CALLED.add(name)
    return importlib.import_module(f"{GENERATED}.api.default.{_snake(name)}")


def test_every_operation_has_a_generated_function(generated):
    modules = {
        name: importlib.import_module(f"{GENERATED}.api.default.{_snake(name)}") for name in OPERATION_IDS
    }
    assert [name for name, module in modules.items() if not hasattr(module, "sync_detailed")] == []


def test_the_generated_client_creates_reads_lists_and_catches_up(generated, devstack):
    from halotap_generated_client import AuthenticatedClient
    from halotap_generated_client.models import (
        ApiKeyCreated,
        CheckoutCreated,
        CheckoutList,
        CreateApiKeyRequest,
        CreateCheckoutRequest,
        CreateRefundRequest,
        Currency,
        EventList,
        ListEventsTypeItem,
        Refund,
    )

    client = AuthenticatedClient(
        base_url=devstack.api_url, token=devstack.api_key, raise_on_unexpected_status=True
    )
    reference = f"gen-{uuid.uuid4().hex[:10]}"
    created = op("createCheckout").sync(
        client=client,
        body=CreateCheckoutRequest(
            merchant_id="demo-merchant", reference=reference, amount="12.34", currency=Currency.ZAR
        ),
    )
    assert isinstance(created, CheckoutCreated), created
    read = op("getCheckout").sync(client=client, id=created.id)
    assert (read.id, read.status.value, read.deep_link) == (created.id, "open", created.deep_link)

    page = op("listCheckouts").sync(client=client, merchant_id="demo-merchant", limit=5)
    assert isinstance(page, CheckoutList)
    assert created.id in [checkout.id for checkout in page.data]

    cancelled = op("cancelCheckout").sync(client=client, id=created.id)
    assert cancelled.status.value == "cancelled"

    events = op("listEvents").sync(client=client, limit=100)
    assert isinstance(events, EventList)
    cursor, found = events.next_cursor, [e for e in events.data if _about(e, created.id)]
    while not found:
        more = op("listEvents").sync(client=client, after=cursor, limit=100)
        assert more.data, "the cancellation never appeared in the event feed"
        cursor, found = more.next_cursor, [e for e in more.data if _about(e, created.id)]
    [event] = found
    assert op("getEvent").sync(client=client, id=event.id).id == event.id
    assert op("resendEvent").sync_detailed(client=client, id=event.id).status_code == 202
    assert op("pingWebhookEndpoint").sync(client=client).delivered is True

    # The shopper's page and Halo's webhook are not a PSP's calls: they are in docs/openapi-internal.json.
    # A refund of an approved checkout, then the refund read back; its outcome is an event in the feed too.
    psp = Psp(devstack)
    paid = psp.open_checkout(amount="20.00")
    psp.tap(paid, "Approved")
    psp.wait_for(paid["id"], "approved")
    refund = op("createRefund").sync(
        client=client, id=paid["id"], body=CreateRefundRequest(reference="gen-refund-1", amount="5.00")
    )
    assert isinstance(refund, Refund), refund
    assert (refund.checkout_id, refund.amount, refund.status.value) == (paid["id"], "5.00", "succeeded")
    read_refund = op("getRefund").sync(client=client, id=paid["id"], refund_id=refund.id)
    assert (read_refund.id, read_refund.status.value) == (refund.id, "succeeded")
    assert op("getCheckout").sync(client=client, id=paid["id"]).amount_refunded == "5.00"
    refund_events = op("listEvents").sync(
        client=client, type_=[ListEventsTypeItem("refund.succeeded")], limit=100
    )
    cursor, found = refund_events.next_cursor, [e for e in refund_events.data if _about(e, refund.id)]
    while not found:
        more = op("listEvents").sync(
            client=client, type_=[ListEventsTypeItem("refund.succeeded")], after=cursor, limit=100
        )
        assert more.data, "the refund never appeared in the event feed"
        cursor, found = more.next_cursor, [e for e in more.data if _about(e, refund.id)]
    assert found[0].data["checkoutId"] == paid["id"]

    # A declined first attempt, then a second one: a new deep link on the same checkout.
    retried = psp.open_checkout(maxAttempts=2)
    psp.tap(retried, "Declined")
    psp.wait_for_attempt(retried["id"], 0, "declined")
    again = op("createCheckoutAttempt").sync(client=client, id=retried["id"])
    assert [(a.status.value, a.id) for a in again.attempts] == [
        ("declined", retried["id"]),
        ("open", f"{retried['id']}.2"),
    ]
    assert again.deep_link == again.attempts[-1].deep_link != retried["deepLink"]

    # The daily ledger of today (UTC): asked for, answered 202 at once, then read back once it is complete.
    day = datetime.now(UTC).date().isoformat()
    assert (
        op("runLedger").sync_detailed(client=client, merchant_id="demo-merchant", date=day).status_code == 202
    )
    deadline = time.monotonic() + 60
    while True:
        report = op("getLedger").sync_detailed(client=client, merchant_id="demo-merchant", date=day)
        status = json.loads(report.content)["status"]
        if status == "complete" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (report.status_code, status) == (200, "complete")

    # Webhook endpoints and the delivery log (docs/architecture.md, "Webhook endpoints"): made, read, changed, pinged, rotated,
    # recovered and deleted again, so no other test's deliveries reach it.
    from halotap_generated_client.models import (
        CreateWebhookEndpointRequest,
        RecoverWebhookEndpointRequest,
        UpdateWebhookEndpointRequest,
    )

    url = f"{devstack.sink_url}/generated-endpoint"
    body = CreateWebhookEndpointRequest.from_dict({"url": url, "enabledEvents": ["checkout.cancelled"]})
    made = op("createWebhookEndpoint").sync_detailed(client=client, body=body)
    assert made.status_code == 201, made.content
    endpoint = json.loads(made.content)
    httpx.post(f"{devstack.sink_url}/_sink/secrets", json={"secret": endpoint["secret"]}).raise_for_status()
    try:
        listed = json.loads(op("listWebhookEndpoints").sync_detailed(client=client).content)["data"]
        assert endpoint["id"] in [e["id"] for e in listed]
        read_endpoint = json.loads(
            op("getWebhookEndpoint").sync_detailed(client=client, id=endpoint["id"]).content
        )
        assert (read_endpoint["url"], "secret" in read_endpoint) == (url, False)
        change = UpdateWebhookEndpointRequest.from_dict({"description": "generated"})
        changed = op("updateWebhookEndpoint").sync_detailed(client=client, id=endpoint["id"], body=change)
        assert json.loads(changed.content)["description"] == "generated"
        pinged = op("pingWebhookEndpointById").sync_detailed(client=client, id=endpoint["id"])
        assert json.loads(pinged.content)["delivered"] is True
        rotated = op("rotateWebhookEndpointSecret").sync_detailed(client=client, id=endpoint["id"])
        assert json.loads(rotated.content)["secret"] != endpoint["secret"]
        since = RecoverWebhookEndpointRequest.from_dict({"since": datetime.now(UTC).isoformat()})
        recovered = op("recoverWebhookEndpoint").sync_detailed(client=client, id=endpoint["id"], body=since)
        assert recovered.status_code == 202
        log = op("listEventDeliveries").sync_detailed(client=client, id=event.id)
        assert log.status_code == 200
        assert {a["endpointId"] for a in json.loads(log.content)["data"]} >= {"we_default"}
    finally:
        gone = op("deleteWebhookEndpoint").sync_detailed(client=client, id=endpoint["id"])
        assert gone.status_code == 200
    # A key of its own: made (shown once), listed without the key, used, and revoked.
    made = op("createApiKey").sync(client=client, body=CreateApiKeyRequest(label="generated"))
    assert isinstance(made, ApiKeyCreated), made
    listed = op("listApiKeys").sync(client=client)
    assert made.id in [key.id for key in listed.data]
    own = AuthenticatedClient(base_url=devstack.api_url, token=made.key, raise_on_unexpected_status=True)
    assert op("revokeApiKey").sync(client=own, id=made.id).status.value == "revoked"

    # A tripwire, not a skip: an operation added to the contract (a refund, say) must be called here too.
    assert set(OPERATION_IDS) - CALLED == set()
