"""A small PSP-side client for the end-to-end tests: what a PSP engineer's own code would do."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx


class PoliteTransport(httpx.HTTPTransport):
    """Sends a request again after a 429, once its Retry-After has passed, as a PSP's client (and both SDKs)
    would. The e2e tests share the demo client and its token bucket (25/s, bursts of 50): a test that
    bursts after another must be slowed, not failed. Only tests/e2e/test_api_keys.py, which is about the
    429 itself, talks without it."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(MAX_RATE_LIMITED_TRIES - 1):
            response = super().handle_request(request)
            if response.status_code != 429:
                return response
            response.read()
            response.close()
            time.sleep(float(response.headers.get("Retry-After", "1")))
        return super().handle_request(request)


MAX_RATE_LIMITED_TRIES = 30


class Psp:
    def __init__(self, devstack: Any) -> None:
        self.devstack = devstack
        self.api = httpx.Client(
            base_url=devstack.api_url,
            headers={"Authorization": f"Bearer {devstack.api_key}"},
            timeout=30,
            transport=PoliteTransport(),
        )
        self.sim = httpx.Client(base_url=devstack.halo_url, timeout=30)

    def create(self, idempotency_key: str | None = None, **fields: Any) -> httpx.Response:
        body = {
            "merchantId": "demo-merchant",
            "reference": f"e2e-{uuid.uuid4().hex[:12]}",
            "amount": "149.99",
            "currency": "ZAR",
            **fields,
        }
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self.api.post("/v1/checkouts", json=body, headers=headers)

    def open_checkout(self, **fields: Any) -> dict[str, Any]:
        response = self.create(**fields)
        assert response.status_code == 201, (response.text, self.devstack.log_tail())
        return dict(response.json())

    def get(self, checkout_id: str) -> dict[str, Any]:
        response = self.api.get(f"/v1/checkouts/{checkout_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def tap(self, checkout: dict[str, Any], disposition: str = "Approved", **options: Any) -> dict[str, Any]:
        response = self.sim.post(
            f"/_sim/transactions/{checkout['haloReference']}/tap",
            json={"disposition": disposition, **options},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def fake_webhook(self, checkout: dict[str, Any], **payload: Any) -> dict[str, Any]:
        response = self.sim.post(f"/_sim/transactions/{checkout['haloReference']}/webhook", json=payload)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_for(self, checkout_id: str, status: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            checkout = self.get(checkout_id)
            if checkout["status"] == status or time.monotonic() > deadline:
                assert checkout["status"] == status, (checkout, self.devstack.log_tail())
                return checkout
            time.sleep(0.2)

    def new_attempt(self, checkout_id: str) -> httpx.Response:
        return self.api.post(f"/v1/checkouts/{checkout_id}/attempts")

    def wait_for_attempt(
        self, checkout_id: str, index: int, status: str, timeout: float = 20.0
    ) -> dict[str, Any]:
        """The checkout once its attempt `index` (0 first) shows `status`."""
        deadline = time.monotonic() + timeout
        while True:
            checkout = self.get(checkout_id)
            attempts = checkout["attempts"]
            if (len(attempts) > index and attempts[index]["status"] == status) or time.monotonic() > deadline:
                assert attempts[index]["status"] == status, (checkout, self.devstack.log_tail())
                return checkout
            time.sleep(0.2)
