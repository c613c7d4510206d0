"""The one Idempotency-Key flow (`halotap.adapters.idempotency.answer_once`), through each handler that uses it.

Both creating POSTs run the same flow, so each rule is checked once per handler: the same key and body
replay the first answer flagged `Idempotent-Replayed: true`, another body is 422, and a second request
while the first still runs is 409 with Retry-After.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from functions.create_checkout import handler as checkout_handler
from functions.create_refund import handler as refund_handler
from halotap.adapters.idempotency import IdempotentAnswer, answer_once
from tests.fakes import FakeHalo, api_event
from tests.usecases.test_refunds import approve, open_checkout

Sent = tuple[int, dict[str, Any], dict[str, str]]
KEY = {"Idempotency-Key": "flow-key-1"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    body: dict[str, Any]
    other_body: dict[str, Any]
    send: Callable[[Any, FakeHalo, dict[str, Any], Any], Sent]


def _answer(answer: dict[str, Any]) -> Sent:
    return answer["statusCode"], json.loads(answer["body"]), answer["headers"]


def _create_checkout(services: Any, halo: FakeHalo, body: dict[str, Any], context: Any) -> Sent:
    event = api_event("POST", "/v1/checkouts", body=body, headers=KEY, merchants="demo-merchant")
    return _answer(checkout_handler.handler(event, context, services=services))


class _Refunds:
    """Refunds of one approved checkout, approved on first use so the gate holds only the refund."""

    checkout_id: str | None = None

    def __call__(self, services: Any, halo: FakeHalo, body: dict[str, Any], context: Any) -> Sent:
        if self.checkout_id is None:
            self.checkout_id = approve(services, halo, open_checkout(services)).id
        event = api_event(
            "POST",
            f"/v1/checkouts/{self.checkout_id}/refunds",
            resource="/v1/checkouts/{id}/refunds",
            path_params={"id": self.checkout_id},
            body=body,
            merchants="demo-merchant",
            headers=KEY,
        )
        return _answer(refund_handler.handler(event, context, services=services))


ORDER = {"merchantId": "demo-merchant", "reference": "order-1", "amount": "149.99", "currency": "ZAR"}
REFUND = {"reference": "rf-1", "amount": "10.00"}


@pytest.fixture(params=["create_checkout", "create_refund"])
def endpoint(request: pytest.FixtureRequest) -> Endpoint:
    if request.param == "create_checkout":
        return Endpoint(request.param, ORDER, {**ORDER, "amount": "150.00"}, _create_checkout)
    return Endpoint(request.param, REFUND, {**REFUND, "amount": "11.00"}, _Refunds())  # fresh per test


class Turnstile:
    """Stands in for FakeHalo's gate: says when a request reached Halo, and holds it there until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()

    def wait(self, timeout: float) -> bool:
        self.entered.set()
        return self.released.wait(timeout)


def test_the_same_key_and_body_replay_the_first_answer_flagged_as_replayed(
    services, halo, lambda_context, endpoint
):
    first = endpoint.send(services, halo, endpoint.body, lambda_context)
    calls = len(halo.requests)
    again = endpoint.send(services, halo, endpoint.body, lambda_context)
    assert first[0] == again[0] == 201
    assert again[1] == first[1]
    assert "idempotent-replayed" not in first[2]
    assert again[2]["idempotent-replayed"] == "true"
    assert len(halo.requests) == calls  # the replay never reached Halo


def test_the_same_key_with_another_body_is_422(services, halo, lambda_context, endpoint):
    endpoint.send(services, halo, endpoint.body, lambda_context)
    status, problem, _ = endpoint.send(services, halo, endpoint.other_body, lambda_context)
    assert (status, problem["code"]) == (422, "idempotency_key_reused")


def test_the_same_key_while_the_first_still_runs_is_409_with_retry_after(
    services, halo, lambda_context, endpoint
):
    if isinstance(endpoint.send, _Refunds):
        endpoint.send.checkout_id = approve(services, halo, open_checkout(services)).id
    turnstile = Turnstile()
    halo.gate = turnstile  # type: ignore[assignment]
    results: list[Sent] = []
    first = threading.Thread(
        target=lambda: results.append(endpoint.send(services, halo, endpoint.body, lambda_context))
    )
    first.start()
    try:
        assert turnstile.entered.wait(30), "the first request never reached Halo"
        status, problem, headers = endpoint.send(services, halo, endpoint.body, lambda_context)
    finally:
        turnstile.released.set()
        first.join()
    assert (status, problem["code"]) == (409, "idempotency_in_progress")
    assert int(headers["retry-after"]) >= 1
    assert results[0][0] == 201


def test_without_a_key_the_operation_runs_and_the_idempotency_store_is_never_built(lambda_context):
    def no_runner() -> Any:
        raise AssertionError("the idempotency store was built for a request without a key")

    answer = answer_once(
        None,
        no_runner,
        client_id="demo-psp",
        request={},
        operation=lambda: IdempotentAnswer(201, {"id": "chk_1"}),
        lambda_context=lambda_context,
    )
    assert answer == IdempotentAnswer(201, {"id": "chk_1"}, replayed=False)
    assert answer.replay_headers() == {}
