"""Fakes shared by unit and integration tests."""

from __future__ import annotations

import json as _json
import threading
import uuid
import uuid as _uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from botocore.exceptions import ClientError


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 20_000


class FakeHalo:
    """Halo's backend at the httpx transport: records every request, answers as documented, fails on cue.

    Safe to call from several threads at once (reconcile's workers do): requests are appended, and each
    fault is taken by exactly one request.
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.transactions: dict[str, dict[str, Any]] = {}
        self.faults: list[Any] = []  # each: an httpx.Response to answer with, or an exception to raise
        self.with_qr_code = True
        self.gate: threading.Event | None = None  # when set, creates wait for it (in-flight tests)
        # Called with each status read (GET) before it is answered, on the caller's thread: a test can
        # hold reads there, e.g. on a threading.Barrier, to see how many are in flight at once.
        self.on_status_read: Callable[[httpx.Request], None] | None = None
        self._faults_lock = threading.Lock()
        self.refund_answers: list[
            tuple[int, dict[str, Any]]
        ] = []  # scripted refund answers, first used first
        self.refunded: dict[str, dict[str, Any]] = {}  # refundReference -> the body Halo approved
        self.lose_refund_answers = 0  # refunds Halo approves whose answer then never arrives (a read timeout)
        self._refund_lock = threading.Lock()
        # Halo's transaction history (GET /transactions): records as Halo writes them, served in this
        # order a page (limit/offset) at a time, filtered only by merchantReference.
        self.ledger: list[dict[str, Any]] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.gate is not None:
            self.gate.wait(10)
        history = request.method == "GET" and request.url.path == "/transactions"
        if request.method == "GET" and not history and self.on_status_read is not None:
            self.on_status_read(request)
        with self._faults_lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            if isinstance(fault, Exception):
                raise fault
            return fault
        if history:
            return self._history(request)
        if request.method == "POST" and request.url.path.endswith("/refund"):
            return self._refund(request)
        if request.method == "POST":
            return self._create(request)
        reference = request.url.path.rsplit("/", 1)[-1]
        if reference not in self.transactions:
            return httpx.Response(404, json={"errorCode": 122, "message": "E122: Transaction not found"})
        stored = self.transactions[reference]
        approved = (stored["disposition"] or "").lower() == "approved"
        return httpx.Response(
            200,
            json={
                "transactionId": stored["transactionId"],
                "disposition": stored["disposition"],
                "amount": stored["amount"],
                "currency": stored["currencyCode"],
                "responseCode": ("0" if approved else "05") if stored["disposition"] else None,
                "authorisationCode": "A1B2C3D4" if approved else None,
            },
        )

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = _json.loads(request.content)
        if any(t.get("paymentReference") == body.get("paymentReference") for t in self.transactions.values()):
            # Halo refuses a paymentReference a merchant used before (halo-api-facts.md: E124)
            return httpx.Response(
                400, json={"errorCode": 124, "message": "E124: Duplicate Merchant Reference"}
            )
        reference = str(_uuid.uuid4())
        self.transactions[reference] = {**body, "disposition": None, "transactionId": str(_uuid.uuid4())}
        if request.url.path.endswith("/applink"):
            url = f"https://go.merchantportal.dev.haloplus.io/{reference}?env=kernelserver.dev.haloplus.io"
        else:  # the deprecated /consumer/qrCode and its Firebase Dynamic Links
            url = f"https://halompos.page.link/{reference[:8]}"
        answer = {"url": url, "reference": reference}
        if body["image"]["required"] and self.with_qr_code:
            answer["qrCode"] = "data:image/png;base64,iVBORw0KGgo="
        return httpx.Response(200, json=answer)

    def _used(self, payment_reference: Any) -> bool:
        """Halo refuses a paymentReference a merchant used before (halo-api-facts.md: E124)."""
        return any(t.get("paymentReference") == payment_reference for t in self.transactions.values())

    def _refund(self, request: httpx.Request) -> httpx.Response:
        """POST /transactions/{transactionId}/refund: Approved once per refundReference, then 213."""
        body = _json.loads(request.content, parse_float=Decimal)
        transaction_id = request.url.path.split("/")[-2]
        with self._refund_lock:
            if self.refund_answers:
                status, answer = self.refund_answers.pop(0)
                return httpx.Response(status, json=answer)
            if not any(t["transactionId"] == transaction_id for t in self.transactions.values()):
                return httpx.Response(400, json={"errorCode": 122, "message": "E122: Transaction not found"})
            if body["refundReference"] in self.refunded:
                return httpx.Response(
                    400, json={"errorCode": 213, "errorMessage": "Refund Already Processed"}
                )
            self.refunded[body["refundReference"]] = {**body, "transactionId": transaction_id}
            # Halo's history shows every refund it made, whether or not its answer reached the caller.
            self.ledger.append(
                {
                    "id": str(_uuid.uuid4()),
                    "transactionType": "Refund",
                    "merchantReference": body["refundReference"],
                    "originalTransactionId": transaction_id,
                    "disposition": "Approved",
                    "amount": str(body["amount"]),
                    "currency": "ZAR",
                    "createdAt": "2026-11-27T12:00:00.000Z",
                }
            )
            if self.lose_refund_answers:
                self.lose_refund_answers -= 1
                raise httpx.ReadTimeout("the answer was lost", request=request)
        return httpx.Response(
            200, json={"type": "Approved", "authorizationCode": "R1", "haloReference": str(_uuid.uuid4())}
        )

    def _history(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        reference = params.get("merchantReference")
        records = [r for r in self.ledger if reference is None or r.get("merchantReference") == reference]
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
        return httpx.Response(200, json=records[offset : offset + limit])

    @property
    def history_reads(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "GET" and r.url.path == "/transactions"]

    @property
    def refund_requests(self) -> list[dict[str, Any]]:
        return [
            _json.loads(r.content, parse_float=Decimal)
            for r in self.requests
            if r.method == "POST" and r.url.path.endswith("/refund")
        ]

    def tap(self, reference: str, disposition: str) -> None:
        self.transactions[reference]["disposition"] = disposition

    @property
    def status_reads(self) -> int:
        return sum(1 for r in self.requests if r.method == "GET" and r.url.path != "/transactions")

    @property
    def creates(self) -> list[dict[str, Any]]:
        return [
            _json.loads(r.content)
            for r in self.requests
            if r.method == "POST" and not r.url.path.endswith("/refund")
        ]


class FaultyClient:
    """A boto3 client whose chosen operations fail as DynamoDB does when it throttles past all retries."""

    def __init__(
        self, real: Any, failing: set[str], code: str = "ProvisionedThroughputExceededException"
    ) -> None:
        self._real, self.failing, self._code = real, failing, code

    def __getattr__(self, name: str) -> Any:
        if name in self.failing:

            def fail(**_kwargs: Any) -> Any:
                raise ClientError({"Error": {"Code": self._code, "Message": "injected"}}, name)

            return fail
        return getattr(self._real, name)


def api_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    client_id: str = "demo-psp",
    merchants: str = "demo-merchant",
) -> dict[str, Any]:
    """An API Gateway REST proxy event as the authorizer leaves it."""
    text = body if isinstance(body, str) or body is None else _json.dumps(body)
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json", **(headers or {})},
        "queryStringParameters": query,
        "pathParameters": path_params,
        "body": text,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": str(_uuid.uuid4()),
            "stage": "test",
            "authorizer": {"clientId": client_id, "merchants": merchants, "principalId": client_id},
        },
    }


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(_uuid.uuid4()),
                "receiptHandle": "rh",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:halo-events",
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


class CallCounter:
    """Counts the AWS API calls a boto3 client makes, by operation name, and the errors they answered."""

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        self.errors: list[tuple[str, str]] = []  # (operation, error code), e.g. a lost conditional write
        client.meta.events.register("before-call.*.*", self._record)
        client.meta.events.register("after-call.*.*", self._record_error)

    def _record(self, model: Any, **_kwargs: Any) -> None:
        self.calls.append(model.name)

    def _record_error(self, model: Any, http_response: Any, parsed: Any, **_kwargs: Any) -> None:
        if http_response.status_code >= 300:
            self.errors.append((model.name, str(parsed.get("Error", {}).get("Code", ""))))

    def reset(self) -> None:
        self.calls.clear()
        self.errors.clear()


class FakeClock:
    """A clock tests move by hand; both the service and the reconciler read it."""

    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)


def wait_until(condition: Any, timeout: float = 10.0, interval: float = 0.01) -> None:
    """Wait for something observable to become true; AssertionError if it does not within `timeout`."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {condition}")
        time.sleep(interval)
