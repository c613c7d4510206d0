"""Finding 3, end to end: creates racing for one reference on the atomic devstack, over real HTTP."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import httpx
import pytest

from tests.e2e.client import PoliteTransport

pytestmark = pytest.mark.e2e

RACERS = 30


def test_finding_3_racing_creates_with_one_reference_give_one_201_and_29_409s(devstack):
    reference = f"e2e-race-{uuid.uuid4().hex[:12]}"
    body = {"merchantId": "demo-merchant", "reference": reference, "amount": "5.00", "currency": "ZAR"}
    start = threading.Barrier(RACERS)
    answers: list[httpx.Response] = []
    crashes: list[BaseException] = []

    def create(index: int) -> None:
        try:
            with httpx.Client(
                base_url=devstack.api_url, timeout=60, trust_env=False, transport=PoliteTransport()
            ) as api:
                start.wait(timeout=60)
                answers.append(
                    api.post(
                        "/v1/checkouts",
                        json=body,
                        headers={
                            "Authorization": f"Bearer {devstack.api_key}",
                            "Idempotency-Key": f"{reference}-{index}",
                        },
                    )
                )
        except BaseException as error:
            crashes.append(error)

    threads = [threading.Thread(target=create, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert crashes == []
    tally = Counter((answer.status_code, answer.json().get("code")) for answer in answers)
    print(f"racing creates on the devstack: {dict(tally)}")
    assert tally == {(201, None): 1, (409, "reference_already_used"): RACERS - 1}, devstack.log_tail()
    [winner] = [answer.json()["id"] for answer in answers if answer.status_code == 201]
    assert {answer.json()["checkoutId"] for answer in answers if answer.status_code == 409} == {winner}
