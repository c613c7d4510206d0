"""Examples for the OpenAPI documents (infra/openapi.py attaches them): one for every request body and every
response body, so a generated client's docs and a mock server show real shapes.

tests/unit/test_openapi.py checks that every example conforms to the schema it illustrates, so an example
cannot drift from the contract.
"""

from __future__ import annotations

from typing import Any

from halotap.domain.errors import PROBLEM_TYPE_BASE
from infra import openapi_api_keys, openapi_endpoints

CHECKOUT_ID = "chk_01JD8Z6Q4W9X3V2T7K5M1N0P8R"
CREATED_AT = "2026-11-27T12:00:00.000Z"
UPDATED_AT = "2026-11-27T12:00:41.250Z"
DEEP_LINK = "https://halompos.page.link/Xy12Ab"
PAY_URL = f"https://pay.example.com/pay/{CHECKOUT_ID}"

CREATE_CHECKOUT: dict[str, Any] = {
    "merchantId": "demo-merchant",
    "reference": "order-1042",
    "currency": "ZAR",
    "amount": "149.99",
    "returnUrl": "https://shop.example.com/orders/1042",
    "metadata": {"cart": "1042"},
}
CREATE_REFUND: dict[str, Any] = {
    "reference": "refund-1042-1",
    "amount": "50.00",
    "reason": "One item returned",
}

CHECKOUT_CREATED: dict[str, Any] = {
    "id": CHECKOUT_ID,
    "status": "open",
    "merchantId": "demo-merchant",
    "reference": "order-1042",
    "amount": "149.99",
    "currency": "ZAR",
    "deepLink": DEEP_LINK,
    "haloReference": "b7c1f0e2-5d3a-4c6e-9f41-2a8d7e6b0c13",
    "payUrl": PAY_URL,
    "returnUrl": "https://shop.example.com/orders/1042",
    "maxAttempts": 1,
    "metadata": {"cart": "1042"},
    "expiresAt": "2026-11-27T12:30:00.000Z",
    "createdAt": CREATED_AT,
    "updatedAt": CREATED_AT,
}
REFUND: dict[str, Any] = {
    "id": "rfd_01JD8ZB2C5D7E9F1G3H5J7K9M1",
    "checkoutId": CHECKOUT_ID,
    "amount": "50.00",
    "currency": "ZAR",
    "reference": "refund-1042-1",
    "status": "succeeded",
    "haloReference": "4d2e9a71-0b6c-4f8e-a3d5-71c0e9b2f6a4",
    "reason": "One item returned",
    "metadata": {},
    "createdAt": "2026-11-27T12:05:00.000Z",
    "updatedAt": "2026-11-27T12:05:01.120Z",
}
CHECKOUT_VIEW: dict[str, Any] = {
    "id": CHECKOUT_ID,
    "merchantId": "demo-merchant",
    "reference": "order-1042",
    "amount": "149.99",
    "currency": "ZAR",
    "status": "approved",
    "haloReference": "b7c1f0e2-5d3a-4c6e-9f41-2a8d7e6b0c13",
    "returnUrl": "https://shop.example.com/orders/1042",
    "isConsumerApp": False,
    "metadata": {"cart": "1042"},
    "maxAttempts": 1,
    "attempts": [
        {
            "id": CHECKOUT_ID,
            "haloReference": "b7c1f0e2-5d3a-4c6e-9f41-2a8d7e6b0c13",
            "deepLink": DEEP_LINK,
            "status": "approved",
            "disposition": "Approved",
            "createdAt": CREATED_AT,
        }
    ],
    "outcome": {"disposition": "Approved", "authorisationCode": "A1B2C3", "decidedAt": UPDATED_AT},
    "notifications": [
        {
            "eventId": f"evt_{CHECKOUT_ID}_2",
            "type": "checkout.approved",
            "status": "delivered",
            "attempts": 1,
            "createdAt": UPDATED_AT,
            "deliveredAt": "2026-11-27T12:00:41.900Z",
        }
    ],
    "expiresAt": "2026-11-27T12:30:00.000Z",
    "createdAt": CREATED_AT,
    "updatedAt": UPDATED_AT,
    "amountRefunded": "0.00",
    "refunds": [],
}
EVENT: dict[str, Any] = {
    "id": f"evt_{CHECKOUT_ID}_2",
    "type": "checkout.approved",
    "timestamp": UPDATED_AT,
    "data": CHECKOUT_VIEW,
}
LEDGER_SUMMARY: dict[str, Any] = {
    "merchantId": "demo-merchant",
    "date": "2026-11-26",
    "status": "complete",
    "generatedAt": "2026-11-27T03:00:12.000Z",
    "counts": {"matched": 412},
    "notCompared": 0,
    "totals": {
        "ZAR": {
            "haloApproved": "61800.00",
            "halotapApproved": "61800.00",
            "refunded": "1200.00",
            "fees": "0.00",
            "net": "60600.00",
        }
    },
}
LEDGER_REPORT: dict[str, Any] = {**LEDGER_SUMMARY, "differences": [], "differencesCut": 0, "healed": 0}

# By the component a response or request refers to.
BY_SCHEMA: dict[str, Any] = {
    "CreateCheckoutRequest": CREATE_CHECKOUT,
    "CreateRefundRequest": CREATE_REFUND,
    "CheckoutCreated": CHECKOUT_CREATED,
    "CheckoutView": CHECKOUT_VIEW,
    "CheckoutList": {"data": [CHECKOUT_VIEW], "nextCursor": None},
    "Refund": REFUND,
    "Event": EVENT,
    "EventList": {"data": [EVENT], "nextCursor": "eyJzIjo0Mn0.c2lnbmF0dXJl"},
    "PingResult": {"delivered": True, "status": 204, "latencyMs": 84, "error": None},
    "LedgerReport": LEDGER_REPORT,
    "AttemptFailedData": {},  # filled below, from the checkout's own example
    "LedgerSummary": {"merchantId": "demo-merchant", "date": "2026-11-26", "status": "running"},
    **openapi_api_keys.EXAMPLES,
}

# By operation and status, for bodies with no component of their own.
BY_OPERATION: dict[tuple[str, str, str], Any] = {
    ("POST", "/v1/events/{id}/resend", "202"): {"id": EVENT["id"], "status": "queued"},
    ("GET", "/pay/{id}", "200"): "<!doctype html><html lang=en>...</html>",
    ("GET", "/pay/{id}", "404"): "<!doctype html><html lang=en>...This payment link is not valid...</html>",
    ("GET", "/pay/{id}", "503"): "<!doctype html><html lang=en>...Please refresh...</html>",
    ("GET", "/pay/{id}/status", "200"): {
        "status": "open",
        "returnUrl": None,
        "reason": None,
        "attemptsLeft": 0,
    },
    ("POST", "/pay/{id}/attempts", "200"): {
        "status": "open",
        "returnUrl": None,
        "reason": None,
        "attemptsLeft": 0,
    },
    ("POST", "/pay/{id}/attempts", "409"): {
        "status": "approved",
        "returnUrl": "https://shop.example.com/orders/1042?checkoutId=" + CHECKOUT_ID + "&status=approved",
        "reason": None,
        "attemptsLeft": 0,
    },
    ("GET", "/v1/merchants/{merchantId}/ledger/{date}", "200/text/csv"): "kind,type,checkoutId\n",
    ("POST", "/v1/halo/webhooks/{token}", "request"): {
        "merchantReference": CHECKOUT_ID,
        "disposition": "Approved",
        "amount": "149.99",
        "currency": "ZAR",
    },
}

BY_SCHEMA.update(openapi_endpoints.EXAMPLES_BY_SCHEMA)
BY_OPERATION.update(openapi_endpoints.EXAMPLES_BY_OPERATION)

# The usual code of each problem status; 404 and 409 depend on the route.
_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "idempotency_key_reused",
    429: "rate_limited",
    502: "halo_unavailable",
    503: "dependency_unavailable",
    504: "halo_timeout",
}


def _code(method: str, path: str, status: int) -> str:
    if "/webhook-endpoints" in path and status in (404, 409):
        return "endpoint_not_found" if status == 404 else "endpoint_limit_reached"
    return openapi_api_keys.PROBLEM_CODES.get((method, path, status)) or _route_code(method, path, status)


def _route_code(method: str, path: str, status: int) -> str:
    if status == 404:
        if "/events" in path:
            return "event_not_found"
        if "/merchants/" in path:
            return "merchant_not_found"
        return "checkout_not_found"
    if status == 409:
        return {
            ("POST", "/v1/checkouts"): "reference_already_used",
            ("POST", "/v1/checkouts/{id}/cancel"): "checkout_not_cancellable",
            ("POST", "/v1/checkouts/{id}/attempts"): "attempt_not_allowed",
        }.get((method, path), "refund_exceeds_amount")
    return _CODES[status]


def problem(method: str, path: str, status: int, title: str) -> dict[str, Any]:
    code = _code(method, path, status)
    return {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": title,
        "code": code,
        "instance": path,
        "requestId": "c0a8f1e2-7b3d-4e5f-9a1b-2c3d4e5f6a7b",
    }


def _attempt_failed() -> dict[str, Any]:
    failed = {
        "id": CHECKOUT_ID,
        "haloReference": "b7c1f0e2-5d3a-4c6e-9f41-2a8d7e6b0c13",
        "deepLink": DEEP_LINK,
        "status": "declined",
        "disposition": "Declined",
        "errorCode": 318,
        "createdAt": CREATED_AT,
    }
    return {
        **CHECKOUT_VIEW,
        "status": "open",
        "maxAttempts": 3,
        "attempts": [failed],
        "outcome": None,
        "notifications": [],
        "attempt": failed,
        "attemptsLeft": 2,
    }


ATTEMPT_FAILED = _attempt_failed()
ATTEMPT_FAILED.pop("notifications")  # delivery bookkeeping is not part of an event
BY_SCHEMA["AttemptFailedData"] = ATTEMPT_FAILED
