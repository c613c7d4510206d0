"""The PSP's webhook endpoint, for the local devstack and tests.

Any POST outside ``/_sink/`` is a notification: the sink verifies its Standard Webhooks signature
with the ``standardwebhooks`` library (a receiver's view, independent of halotap's signing code),
records it and answers 204, or 400 when no configured secret verifies it. A control API drives it:

- ``POST /_sink/faults`` ``{"status": 503, "count": 2, "retryAfter": 30}``: the next 2 deliveries
  get a 503 with ``Retry-After: 30``. ``GET`` lists pending faults, ``DELETE`` clears them.
- ``GET /_sink/received[?webhookId=...]``: what arrived, oldest first. ``DELETE`` forgets it all.
- ``GET /_sink/deliveries[?webhookId=...]``: the last MAX_RAW deliveries verbatim (body, ``webhook-*``
  headers and path), for a test that verifies one itself, as a PSP's own code would (the SDKs' webhook
  helpers, or one webhook endpoint's own secret).
- ``POST /_sink/secrets`` ``{"secret": "whsec_..."}``: verify with this secret too, as a PSP does once
  it created a webhook endpoint (``POST /v1/webhook-endpoints`` answers its secret).

Run standalone with ``python -m devstack.sink --port 4020 --secret whsec_...``.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeGuard

import httpx
from standardwebhooks import Webhook

from devstack.http_server import FaultQueue, JsonHttpServer, Request, Response, json_response

log = logging.getLogger("devstack.sink")

CONTROL_PREFIX = "/_sink/"
MAX_RECEIVED = 10_000  # notifications kept for /_sink/received, and webhook ids whose attempts are counted
MAX_SECRETS = 200  # secrets added at run time (one per webhook endpoint a test creates), at most
MAX_RAW = 100  # deliveries kept verbatim for /_sink/deliveries: a body is KBs, so far fewer than the above

Json = dict[str, Any]


class WebhookSink(JsonHttpServer):
    """Receives, verifies and records PSP notifications; injects failures on request."""

    name = "sink"
    thread_name = "webhook-sink"
    description = "PSP webhook sink"
    logger = log

    def __init__(self, host: str = "127.0.0.1", port: int = 4020, *, secrets: list[str]) -> None:
        if not secrets:
            raise ValueError("the sink needs at least one whsec_ secret to verify with")
        super().__init__(host, port)
        # Built once, so a malformed secret fails at start-up rather than on the first delivery.
        self._verifiers = [Webhook(secret) for secret in secrets]
        self._lock = threading.Condition()
        # Bounded, newest kept (devstack/README.md, "Bounds"): a long storm cannot grow the process.
        self._received: deque[Json] = deque(maxlen=MAX_RECEIVED)
        self._raw: deque[Json] = deque(maxlen=MAX_RAW)
        self._attempts: OrderedDict[str, int] = OrderedDict()
        self._faults = FaultQueue()  # of {"status", "count", "retryAfter"}
        self._control_routes: dict[tuple[str, str], Callable[[dict[str, list[str]], bytes], Response]] = {
            ("GET", "/_sink/received"): self._list_received,
            ("DELETE", "/_sink/received"): self._clear_received,
            ("GET", "/_sink/deliveries"): self._list_deliveries,
            ("GET", "/_sink/faults"): self._list_faults,
            ("POST", "/_sink/faults"): self._add_fault,
            ("DELETE", "/_sink/faults"): self._clear_faults,
            ("POST", "/_sink/secrets"): self._add_secret,
        }

    # ----------------------------------------------------------------------- lifecycle

    def check(self) -> None:
        """Raise unless the sink answers its control API: the devstack's readiness probe."""
        response = httpx.get(f"{self.url}{CONTROL_PREFIX}received", timeout=2.0, trust_env=False)
        if response.status_code != 200:
            raise RuntimeError(f"webhook sink answered {response.status_code}")

    # ----------------------------------------------------------------------- in-process access

    def received(self, webhook_id: str | None = None) -> list[Json]:
        with self._lock:
            return [dict(e) for e in self._received if webhook_id is None or e["webhookId"] == webhook_id]

    def wait_for(self, count: int, *, webhook_id: str | None = None, timeout: float = 5.0) -> list[Json]:
        """The entries once at least `count` have arrived (or whatever arrived by `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.received(webhook_id)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            return self.received(webhook_id)

    # ----------------------------------------------------------------------- requests

    def handle(self, request: Request) -> Response:
        method, path = request.method, request.path
        if not path.startswith(CONTROL_PREFIX):
            if method != "POST":
                return json_response(405, {"error": "notifications are POSTed"})
            return self._notification(path, request.headers, request.body)
        control = self._control_routes.get((method, path.rstrip("/")))
        if control is None:
            return json_response(404, {"error": f"no control route {method} {path}"})
        return control(request.query, request.body)

    def _list_received(self, query: dict[str, list[str]], body: bytes) -> Response:
        return json_response(200, self.received(query.get("webhookId", [None])[0]))

    def _list_deliveries(self, query: dict[str, list[str]], body: bytes) -> Response:
        webhook_id = query.get("webhookId", [None])[0]
        with self._lock:
            found = [dict(d) for d in self._raw if webhook_id is None or d["webhookId"] == webhook_id]
        return json_response(200, found)

    def _clear_received(self, query: dict[str, list[str]], body: bytes) -> Response:
        with self._lock:
            self._received.clear()
            self._raw.clear()
            self._attempts.clear()
        return json_response(200, {"cleared": True})

    def _list_faults(self, query: dict[str, list[str]], body: bytes) -> Response:
        with self._lock:
            return json_response(200, [dict(f) for f in self._faults])

    def _clear_faults(self, query: dict[str, list[str]], body: bytes) -> Response:
        with self._lock:
            self._faults.clear()
        return json_response(200, {"cleared": True})

    def _notification(self, path: str, headers: dict[str, str], body: bytes) -> Response:
        verified = any(self._verifies(verifier, headers, body) for verifier in self._verifiers)
        event_type, checkout_id = _describe(body)
        webhook_id = headers.get("webhook-id")
        with self._lock:
            fault = self._faults.take()
            key = webhook_id or ""
            self._attempts[key] = self._attempts.get(key, 0) + 1
            self._attempts.move_to_end(key)
            while len(self._attempts) > MAX_RECEIVED:
                self._attempts.popitem(last=False)
            status = fault["status"] if fault else (204 if verified else 400)
            self._received.append(
                {
                    "webhookId": webhook_id,
                    "type": event_type,
                    "checkoutId": checkout_id,
                    "verified": verified,
                    "attempt": self._attempts[key],
                    "status": status,
                    "receivedAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    "path": path,
                }
            )
            self._raw.append(
                {
                    "webhookId": webhook_id,
                    "headers": {
                        name: value for name, value in headers.items() if name.startswith("webhook-")
                    },
                    "body": body.decode("utf-8", "replace"),
                    "path": path,
                }
            )
            self._lock.notify_all()
        if fault:
            extra = {"Retry-After": str(fault["retryAfter"])} if fault.get("retryAfter") is not None else {}
            return json_response(status, {"error": "injected fault", "status": status}, extra)
        if not verified:
            return json_response(400, {"error": "signature verification failed"})
        return json_response(204)

    @staticmethod
    def _verifies(verifier: Webhook, headers: dict[str, str], body: bytes) -> bool:
        try:
            verifier.verify(body, headers, json_parse=False)
        except Exception:  # the library raises several types for malformed input; all mean "no"
            return False
        return True

    def _add_secret(self, query: dict[str, list[str]], body: bytes) -> Response:
        try:
            secret = json.loads(body or b"{}").get("secret")
            verifier = Webhook(secret)
        except Exception:  # bad JSON, not an object, or not a whsec_ secret: all the caller's to fix
            return json_response(400, {"error": 'send {"secret": "whsec_..."}'})
        with self._lock:
            if len(self._verifiers) < MAX_SECRETS:
                self._verifiers.append(verifier)
        return json_response(201, {"added": True})

    def _add_fault(self, query: dict[str, list[str]], body: bytes) -> Response:
        try:
            spec = json.loads(body or b"{}")
        except ValueError:
            return json_response(400, {"error": "the fault must be JSON"})
        if not isinstance(spec, dict):
            return json_response(400, {"error": "the fault must be a JSON object"})
        status, count, retry_after = spec.get("status"), spec.get("count", 1), spec.get("retryAfter")
        if not _is_int(status) or not 200 <= status <= 599:
            return json_response(400, {"error": "status must be an HTTP status code"})
        if not _is_int(count) or count < 1:
            return json_response(400, {"error": "count must be a positive integer"})
        if retry_after is not None and (not _is_int(retry_after) or retry_after < 0):
            return json_response(400, {"error": "retryAfter must be a non-negative integer"})
        fault = {"status": status, "count": count, "retryAfter": retry_after}
        with self._lock:
            self._faults.append(fault)
            return json_response(201, dict(fault))


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(body: bytes) -> tuple[str | None, str | None]:
    """The event type and checkout id of a notification body, if it has them."""
    try:
        event = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(event, dict):
        return None, None
    event_type = event.get("type") if isinstance(event.get("type"), str) else None
    payload = event.get("data")
    # A checkout event's data is the checkout; a refund event's is the refund, which names its checkout.
    checkout_id = payload.get("checkoutId", payload.get("id")) if isinstance(payload, dict) else None
    return event_type, checkout_id if isinstance(checkout_id, str) else None


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.sink", description="PSP webhook sink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4020)
    parser.add_argument(
        "--secret", action="append", required=True, help="whsec_ secret to verify with (repeatable)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sink = WebhookSink(args.host, args.port, secrets=args.secret)
    sink.serve_until_interrupted()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
