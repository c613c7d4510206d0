"""The Python SDK (clients/python) without a server: its retries, Idempotency-Keys, errors, iterators and
webhook helper, against httpx's MockTransport. tests/e2e/test_sdk_python.py runs it against the devstack."""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from halotap_client import (
    OPERATIONS,
    AsyncHalotapClient,
    ConflictError,
    HalotapClient,
    HalotapError,
    InvalidRequestError,
    NotFoundError,
    RetryPolicy,
    ServerError,
    Webhooks,
    WebhookVerificationError,
)

from halotap.domain import signing
from infra.openapi import OUTPUT

Handler = Callable[[httpx.Request], httpx.Response]
CREATE = {"merchant_id": "m", "reference": "r", "amount": "1.00", "currency": "ZAR"}
NO_WAIT = RetryPolicy(max_retries=3, base_delay=0.0, max_delay=0.0)


def client(handler: Handler, retry: RetryPolicy = NO_WAIT) -> HalotapClient:
    return HalotapClient(
        "key", retry=retry, http=httpx.Client(base_url="http://api", transport=httpx.MockTransport(handler))
    )


def problem(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {
        "type": f"https://halotap.dev/problems/{code}",
        "title": code,
        "status": status,
        "code": code,
        "detail": f"the {code} detail",
    }
    return httpx.Response(
        status, json=body, headers={"content-type": "application/problem+json", **(headers or {})}
    )


def test_every_operation_in_the_psp_contract_has_a_method_on_both_clients():
    spec = json.loads(OUTPUT.read_text())
    documented = {op["operationId"] for item in spec["paths"].values() for op in item.values()}
    assert documented - set(OPERATIONS) == set(), "add the operation to clients/python (operations.py)"
    for method in OPERATIONS.values():
        assert callable(getattr(HalotapClient, method))
        assert inspect.iscoroutinefunction(getattr(AsyncHalotapClient, method))


def test_a_create_without_a_key_sends_a_fresh_one_and_every_retry_sends_the_same():
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["idempotency-key"])
        if len(keys) < 3:
            return problem(409, "idempotency_in_progress", {"retry-after": "0"})
        return httpx.Response(201, json={"id": "chk_1"})

    assert client(handler).create_checkout(**CREATE)["id"] == "chk_1"
    assert len(keys) == 3
    assert len(set(keys)) == 1
    assert re.fullmatch(r"[0-9a-f-]{36}", keys[0])
    second: list[str] = []
    client(
        lambda r: (second.append(r.headers["idempotency-key"]), httpx.Response(201, json={}))[1]
    ).create_checkout(**CREATE)
    assert second != keys[:1]  # a new create, a new key


def test_a_given_key_is_sent_as_is_on_create_and_refund():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["idempotency-key"])
        return httpx.Response(201, json={})

    sdk = client(handler)
    sdk.create_checkout(**CREATE, idempotency_key="order-1")
    sdk.create_refund("chk_1", reference="rf", idempotency_key="refund-1")
    assert seen == ["order-1", "refund-1"]


def test_a_refund_without_a_key_gets_one():
    seen: list[httpx.Request] = []
    client(lambda r: (seen.append(r), httpx.Response(201, json={}))[1]).create_refund(
        "chk 1/x", reference="rf", amount="5.00"
    )
    assert seen[0].headers["idempotency-key"]
    assert seen[0].url.raw_path == b"/v1/checkouts/chk%201%2Fx/refunds"  # an id cannot reach another route
    assert json.loads(seen[0].content) == {"reference": "rf", "amount": "5.00"}


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_are_retried_until_they_pass(status):
    answers = [
        problem(status, "throttled"),
        problem(status, "throttled"),
        httpx.Response(200, json={"id": "chk_1"}),
    ]
    assert client(lambda r: answers.pop(0)).get_checkout("chk_1") == {"id": "chk_1"}
    assert answers == []


def test_retries_stop_after_the_policys_count_with_the_last_error():
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return problem(503, "dependency_unavailable")

    with pytest.raises(ServerError) as caught:
        client(handler, RetryPolicy(max_retries=2, base_delay=0.0, max_delay=0.0)).get_checkout("chk_1")
    assert len(calls) == 3
    assert (caught.value.status, caught.value.code) == (503, "dependency_unavailable")


def test_retry_after_is_honoured_up_to_the_policys_bound():
    policy = RetryPolicy(max_delay=2.0)
    assert policy.delay(problem(429, "rate_limited", {"retry-after": "1.5"}), 0) == 1.5
    assert policy.delay(problem(429, "rate_limited", {"retry-after": "3600"}), 0) == 2.0
    backoff = policy.delay(problem(503, "x"), 1)  # none given: backoff, jittered, below the bound
    assert 0.5 <= backoff <= 1.0


def test_other_conflicts_are_not_retried_and_raise_a_typed_error_with_the_problem():
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return problem(409, "reference_already_used")

    with pytest.raises(ConflictError) as caught:
        client(handler).create_checkout(**CREATE)
    assert calls == [1]
    error = caught.value
    assert isinstance(error, HalotapError)
    assert (error.status, error.code, error.detail) == (
        409,
        "reference_already_used",
        "the reference_already_used detail",
    )
    assert error.problem["type"].endswith("reference_already_used")


@pytest.mark.parametrize(
    ("status", "kind"), [(400, InvalidRequestError), (404, NotFoundError), (502, ServerError)]
)
def test_each_status_has_its_error_type(status, kind):
    with pytest.raises(kind):
        client(lambda r: problem(status, "x")).get_checkout("chk_1")


def test_an_answer_that_is_not_problem_json_is_still_a_halotap_error():
    with pytest.raises(ServerError) as caught:
        client(lambda r: httpx.Response(502, text="<html>bad gateway</html>")).get_checkout("chk_1")
    assert (caught.value.code, caught.value.problem) == ("http_502", {})


def test_iter_checkouts_follows_cursor_until_next_cursor_is_null():
    pages = {None: (["a", "b"], "c1"), "c1": (["c"], "c2"), "c2": ([], None)}
    asked: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        ids, next_cursor = pages[request.url.params.get("cursor")]
        return httpx.Response(200, json={"data": [{"id": i} for i in ids], "nextCursor": next_cursor})

    found = [c["id"] for c in client(handler).iter_checkouts("m", status=["open", "approved"])]
    assert found == ["a", "b", "c"]
    assert asked[0].url.params.get_list("status") == ["open", "approved"]
    assert len(asked) == 3


def test_iter_events_follows_after_until_a_page_is_empty_and_keeps_the_cursor_to_resume():
    pages = {None: (["e1", "e2"], "k1"), "k1": (["e3"], "k2"), "k2": ([], "k2")}

    def handler(request: httpx.Request) -> httpx.Response:
        ids, next_cursor = pages[request.url.params.get("after")]
        return httpx.Response(200, json={"data": [{"id": i} for i in ids], "nextCursor": next_cursor})

    events = client(handler).iter_events(types=["checkout.approved"])
    assert [e["id"] for e in events] == ["e1", "e2", "e3"]
    assert events.cursor == "k2"


def test_the_async_client_retries_and_iterates_as_the_sync_one_does():
    answers = [
        problem(429, "rate_limited", {"retry-after": "0"}),
        httpx.Response(200, json={"data": [{"id": "e1"}], "nextCursor": "k1"}),
        httpx.Response(200, json={"data": [], "nextCursor": "k1"}),
    ]

    async def run() -> list[str]:
        transport = httpx.MockTransport(lambda r: answers.pop(0))
        async with AsyncHalotapClient(
            "key", retry=NO_WAIT, http=httpx.AsyncClient(base_url="http://api", transport=transport)
        ) as sdk:
            return [event["id"] async for event in sdk.iter_events()]

    assert asyncio.run(run()) == ["e1"]
    assert answers == []


SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def _delivery(body: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, Any]:
    return signing.headers([secret], "evt_1", int(time.time()) if at is None else at, body)


def test_the_webhook_helper_verifies_and_parses_a_delivery_signed_as_halotap_signs():
    body = json.dumps(
        {"type": "checkout.approved", "timestamp": "2026-11-27T12:00:00Z", "data": {"id": "chk_1"}}
    ).encode()
    event = Webhooks(SECRET).verify(body, _delivery(body))
    assert (event["id"], event["type"], event["data"]["id"]) == ("evt_1", "checkout.approved", "chk_1")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body.replace(b"chk_1", b"chk_2"), headers),
        lambda body, headers: (body, _delivery(body, "whsec_" + base64.b64encode(b"x" * 32).decode())),
        lambda body, headers: (body, _delivery(body, at=int(time.time()) - 3600)),
        lambda body, headers: (body, {k: v for k, v in headers.items() if k != "webhook-signature"}),
    ],
    ids=["body changed", "another secret", "an hour old", "unsigned"],
)
def test_the_webhook_helper_refuses_what_does_not_verify(tamper):
    body = json.dumps({"type": "checkout.approved", "data": {"id": "chk_1"}}).encode()
    sent_body, headers = tamper(body, _delivery(body))
    with pytest.raises(WebhookVerificationError):
        Webhooks(SECRET).verify(sent_body, headers)


def test_every_operation_in_the_psp_contract_has_a_method_in_the_typescript_sdk():
    source = OUTPUT.parents[1] / "clients" / "typescript" / "src"
    mapped = dict(re.findall(r"^\s+(\w+): \"(\w+)\",", (source / "operations.ts").read_text(), re.MULTILINE))
    spec = json.loads(OUTPUT.read_text())
    documented = {op["operationId"] for item in spec["paths"].values() for op in item.values()}
    assert documented - set(mapped) == set(), "add the operation to clients/typescript/src/operations.ts"
    client = (source / "client.ts").read_text()
    assert [m for m in mapped.values() if not re.search(rf"^  {m}\(", client, re.MULTILINE)] == []
