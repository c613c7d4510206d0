"""Concurrent refunds of one checkout against a real, atomic moto server over HTTP: never more back than taken.

Ten "Lambda containers" (threads, each with its own DynamoDB client) each ask for 30% of the same checkout
at once, through the create_refund handler. Their reservations race one conditional UpdateItem; at most
three may win. Several rounds make a non-atomic store's overshoot show up in practically every run.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid

import boto3
import pytest

from functions.create_refund import handler as refund_handler
from halotap.domain.halo import ReportedOutcome
from halotap.domain.parties import Caller
from halotap.domain.requests import CreateCheckoutRequest
from halotap.domain.states import Disposition
from halotap.domain.views import checkout_view
from tests.fakes import FakeHalo, FakeLambdaContext, api_event
from tests.wiring import build_services

ROUNDS = 3
REQUESTS = 10


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_ten_concurrent_30_percent_refunds_leave_at_most_three(moto_server, round_number):
    halo = FakeHalo()
    services = build_services(halo)
    request = CreateCheckoutRequest.validate(
        {
            "merchantId": "demo-merchant",
            "reference": f"refund-race-{uuid.uuid4().hex[:12]}",
            "amount": "100.00",
            "currency": "ZAR",
        }
    )
    created = services.checkouts.create(Caller("demo-psp", None), request)
    halo.tap(created.halo_reference, "Approved")
    checkout = services.store.get(created.id)
    services.outcomes.apply(
        checkout, ReportedOutcome(Disposition.APPROVED, merchant_reference=created.id), "test"
    )
    start = threading.Barrier(REQUESTS)
    answers: list[int] = []
    crashes: list[BaseException] = []

    def ask(number: int) -> None:
        try:
            session = boto3.session.Session()
            own = build_services(halo, dynamodb=session.client("dynamodb"), sqs=session.client("sqs"))
            event = api_event(
                "POST",
                f"/v1/checkouts/{created.id}/refunds",
                resource="/v1/checkouts/{id}/refunds",
                path_params={"id": created.id},
                body={"reference": f"r-{number}", "amount": "30.00"},
            )
            start.wait(timeout=30)
            answers.append(refund_handler.handler(event, FakeLambdaContext(), services=own)["statusCode"])
        except BaseException as error:  # a thread's exception would otherwise pass unnoticed
            crashes.append(error)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(REQUESTS)]
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # preempt often, so a gap between condition and write would be found
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
        refund_handler.metrics.clear_metrics()
    assert crashes == []
    stored = services.store.get(created.id)
    live = [r for r in stored.refunds.values() if r.status.value != "failed"]
    assert len(live) == 3
    assert sorted(answers) == [201] * 3 + [409] * (REQUESTS - 3)
    assert stored.reserved_minor == stored.refunded_minor == 9000
    assert len(halo.refunded) == 3
    assert json.loads(json.dumps(checkout_view(stored)))["amountRefunded"] == "90.00"
