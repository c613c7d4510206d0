"""Concurrent webhooks for one checkout, applied by threads at once against a real moto server over HTTP.

The point is moto's server as the devstack runs it (`devstack.aws.MotoServer`, whose DynamoDB is atomic),
answering over HTTP on many threads, so this lives beside the devstack's tests and never under the
in-process `mock_aws` of tests/integration. Several rounds, each with its own checkout, make a race that a
non-atomic DynamoDB loses show up in practically every run, not only in some.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid

import boto3
import pytest

from functions.apply_halo_event import handler as apply_handler
from halotap.domain.parties import Caller
from halotap.domain.requests import CreateCheckoutRequest
from tests.fakes import CallCounter, FakeHalo, FakeLambdaContext, sqs_event, wait_until
from tests.wiring import build_services

ROUNDS = 4


@pytest.mark.parametrize("round_number", range(ROUNDS))
@pytest.mark.parametrize("dispositions", [["Approved"] * 8, ["Declined", "UnableToGoOnline"] * 4])
def test_concurrent_webhooks_make_exactly_one_transition(moto_server, dispositions, round_number):
    halo = FakeHalo()
    services = build_services(halo)
    request = CreateCheckoutRequest.validate(
        {
            "merchantId": "demo-merchant",
            "reference": f"race-{uuid.uuid4().hex[:12]}",
            "amount": "5.00",
            "currency": "ZAR",
        }
    )
    checkout = services.checkouts.create(Caller("demo-psp", None), request)
    # Halo's word is the first disposition; webhooks claiming another are confirmed as Halo's, with a mismatch.
    halo.tap(checkout.halo_reference, dispositions[0])
    # Every thread's status read waits here until all of them have read the checkout as `open`,
    # so every one of them then races the same conditional write.
    halo.gate = threading.Event()
    failures: list[object] = []
    crashes: list[BaseException] = []
    counters: list[CallCounter] = []

    def deliver(disposition: str) -> None:
        payload = {"merchantReference": checkout.id, "disposition": disposition}
        body = json.dumps({"receivedAt": "2026-01-01T00:00:00Z", "payload": json.dumps(payload)})
        try:
            session = boto3.session.Session()
            # Each "Lambda container" has its own clients (and connections to moto's server).
            dynamodb = session.client("dynamodb")
            counters.append(CallCounter(dynamodb))
            own = build_services(halo, dynamodb=dynamodb, sqs=session.client("sqs"))
            answer = apply_handler.handler(sqs_event(body), FakeLambdaContext(), services=own)
            failures.extend(answer["batchItemFailures"])
        except BaseException as error:  # a thread's exception would otherwise pass unnoticed
            crashes.append(error)

    threads = [threading.Thread(target=deliver, args=(d,)) for d in dispositions]
    switch_interval = sys.getswitchinterval()
    # Frequent thread switches, so a write is preempted inside moto's condition-to-write gap if it has one
    # (the server runs in this process; see tests/devstack/test_atomic_dynamodb.py).
    sys.setswitchinterval(1e-5)
    try:
        for thread in threads:
            thread.start()
        try:
            wait_until(lambda: halo.status_reads == len(dispositions), timeout=30)
        finally:
            halo.gate.set()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
        apply_handler.metrics.clear_metrics()  # unflushed, with metrics disabled; no later test sees them
    stored = services.store.get(checkout.id)
    from_open = [e for e in stored.history if e.type == "status_changed" and e.from_status == "open"]
    assert crashes == []
    assert failures == []
    assert len(from_open) == 1  # more than one: a conditional write was applied twice (a non-atomic moto)
    # Every thread raced the same write: all but one lost a conditional update and read the checkout again.
    lost = [error for counter in counters for error in counter.errors]
    assert lost.count(("UpdateItem", "ConditionalCheckFailedException")) >= len(dispositions) - 1
    assert {code for _, code in lost} <= {"ConditionalCheckFailedException"}
    assert stored.status == from_open[0].to_status
    assert stored.outcome.disposition == dispositions[0]
    # The losers re-read and found a repeat; a webhook that disagrees with Halo is recorded once.
    anomalies = [e for e in stored.history if e.type == "anomaly"]
    assert len(anomalies) == len(set(dispositions)) - 1
    assert all(e.detail.startswith("mismatch: disposition: webhook ") for e in anomalies)
