"""Finding 3: creates racing for one merchant reference, on a real moto server over HTTP.

Thirty "Lambda containers" (threads, each with its own clients and connections) create a checkout with
the same reference and different Idempotency-Keys at once. DynamoDB cancels the transactions that lose
(`TransactionCanceledException`), and each cancellation reason has its own answer: exactly one 201, and
every other request a 409 `reference_already_used` naming the winner; never a 500 or a 503.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from collections import Counter

import boto3

from functions.create_checkout import handler as create_handler
from tests.fakes import FakeHalo, FakeLambdaContext, api_event
from tests.wiring import build_services

RACERS = 30


def test_finding_3_racing_creates_with_one_reference_give_one_201_and_409s_never_500(moto_server):
    halo = FakeHalo()
    reference = f"race-{uuid.uuid4().hex[:12]}"
    body = {"merchantId": "demo-merchant", "reference": reference, "amount": "5.00", "currency": "ZAR"}
    start = threading.Barrier(RACERS)
    answers: list[tuple[int, dict]] = []
    crashes: list[BaseException] = []

    def create(index: int) -> None:
        try:
            session = boto3.session.Session()
            own = build_services(halo, dynamodb=session.client("dynamodb"), sqs=session.client("sqs"))
            event = api_event(
                "POST", "/v1/checkouts", body=body, headers={"idempotency-key": f"racer-{index}-{reference}"}
            )
            start.wait(timeout=60)
            answer = create_handler.handler(event, FakeLambdaContext(), services=own)
            answers.append((answer["statusCode"], json.loads(answer["body"])))
        except BaseException as error:  # a thread's exception would otherwise pass unnoticed
            crashes.append(error)

    threads = [threading.Thread(target=create, args=(index,)) for index in range(RACERS)]
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # preempt often, so the requests interleave inside moto too
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
        create_handler.metrics.clear_metrics()
    assert crashes == []
    tally = Counter((status, answer.get("code")) for status, answer in answers)
    print(f"racing creates: {dict(tally)}")
    assert tally == {(201, None): 1, (409, "reference_already_used"): RACERS - 1}
    [winner] = [answer["id"] for status, answer in answers if status == 201]
    assert {answer["checkoutId"] for status, answer in answers if status == 409} == {winner}
    assert len(halo.creates) == 1  # the losers never reached Halo
