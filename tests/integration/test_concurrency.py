"""Concurrent webhooks for one checkout, applied by threads at once against a real moto server over HTTP."""

from __future__ import annotations

import json
import os
import threading

import httpx
import pytest

from devstack.aws import MotoServer
from devstack.config import SECRETS_PREFIX, DevConfig
from devstack.provision import provision
from functions.apply_halo_event import handler as apply_handler
from halotap import aws
from halotap.checkouts import Caller
from halotap.config import settings
from halotap.models import CreateCheckoutRequest
from tests.fakes import FakeHalo, FakeLambdaContext, sqs_event
from tests.integration.conftest import build_services


@pytest.fixture
def moto_server():
    saved = dict(os.environ)
    server = MotoServer(port=0)
    server.start()  # points this process's SDK at it (AWS_ENDPOINT_URL)
    try:
        httpx.post(f"{server.url}/moto-api/reset").raise_for_status()  # moto's state is per process
        environment, _secrets = provision(DevConfig())
        os.environ.update({**environment, "SECRETS_PREFIX": SECRETS_PREFIX})
        settings.cache_clear()
        aws.reset()
        yield server
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()
        aws.reset()


@pytest.mark.parametrize("dispositions", [["Approved"] * 8, ["Declined", "UnableToGoOnline"] * 4])
def test_concurrent_webhooks_make_exactly_one_transition(moto_server, dispositions):
    halo = FakeHalo()
    services = build_services(halo)
    request = CreateCheckoutRequest.model_validate(
        {"merchantId": "demo-merchant", "reference": "race-1", "amount": "5.00", "currency": "ZAR"}
    )
    checkout = services.checkouts.create(Caller("demo-psp", None), request)
    barrier = threading.Barrier(len(dispositions))
    failures: list[object] = []

    def deliver(disposition: str) -> None:
        payload = {"merchantReference": checkout.id, "disposition": disposition}
        body = json.dumps({"receivedAt": "2026-01-01T00:00:00Z", "payload": json.dumps(payload)})
        own = build_services(halo)  # each "Lambda container" has its own clients
        barrier.wait()
        failures.extend(
            apply_handler.handler(sqs_event(body), FakeLambdaContext(), services=own)["batchItemFailures"]
        )

    threads = [threading.Thread(target=deliver, args=(d,)) for d in dispositions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = services.store.get(checkout.id)
    from_open = [e for e in stored.history if e.type == "status_changed" and e.from_status == "open"]
    assert failures == []
    assert len(from_open) == 1
    assert stored.status == from_open[0].to_status
    # The losers re-read and found a repeat, or (for a different failure) an anomaly recorded once.
    assert len([e for e in stored.history if e.type == "anomaly"]) == len(set(dispositions)) - 1
