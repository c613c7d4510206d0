"""The API's bodies as TypedDicts: what `json()` gives, typed. Field names are the wire's camelCase.

They follow docs/openapi.json; NotRequired marks what the API leaves out when it has no value.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

CheckoutStatus = Literal[
    "creating", "open", "approved", "declined", "failed", "cancelled", "expired", "voided"
]
RefundStatus = Literal["pending", "succeeded", "failed"]


class CheckoutCreated(TypedDict):
    id: str
    status: CheckoutStatus
    merchantId: str
    reference: str
    amount: str
    currency: str
    deepLink: str
    haloReference: str
    qrCode: NotRequired[str | None]
    payUrl: NotRequired[str | None]
    returnUrl: NotRequired[str | None]
    fallbackUrl: NotRequired[str | None]
    locale: NotRequired[str | None]
    maxAttempts: NotRequired[int]
    metadata: NotRequired[dict[str, str]]
    expiresAt: str
    createdAt: str
    updatedAt: str


class RefundFailure(TypedDict):
    code: str
    message: str


class Refund(TypedDict):
    id: str
    checkoutId: str
    amount: str
    currency: str
    reference: str
    status: RefundStatus
    failure: NotRequired[RefundFailure | None]
    haloReference: NotRequired[str | None]
    reason: NotRequired[str | None]  # "duplicate_payment": halotap refunded a second approval itself
    haloTransactionId: NotRequired[str | None]  # set on a duplicate payment's refund: the payment refunded
    metadata: NotRequired[dict[str, str]]
    createdAt: str
    updatedAt: str


class Attempt(TypedDict):
    """One Halo transaction of a checkout (its deep link), oldest first."""

    id: str  # the paymentReference: the checkout id, then <checkoutId>.<n>
    haloReference: str | None
    deepLink: str | None
    status: Literal["open", "approved", "declined", "failed", "voided", "refunded"]
    disposition: str | None
    errorCode: NotRequired[int]
    createdAt: str


class Outcome(TypedDict):
    disposition: str
    decidedAt: str
    authorisationCode: NotRequired[str | None]
    responseCode: NotRequired[str | None]
    haloTransactionId: NotRequired[str | None]
    errorCode: NotRequired[str | None]


class Checkout(TypedDict):
    """A checkout as GET returns it (CheckoutView)."""

    id: str
    merchantId: str
    reference: str
    amount: str
    currency: str
    status: CheckoutStatus
    deepLink: NotRequired[str]
    haloReference: NotRequired[str]
    returnUrl: NotRequired[str | None]
    notificationUrl: NotRequired[str | None]
    fallbackUrl: NotRequired[str | None]
    locale: NotRequired[str | None]
    metadata: NotRequired[dict[str, str]]
    outcome: NotRequired[Outcome | None]
    maxAttempts: int
    attempts: list[Attempt]
    notifications: NotRequired[list[dict[str, Any]]]
    payUrl: NotRequired[str]
    qrCode: NotRequired[str]
    expiresAt: str
    createdAt: str
    updatedAt: str
    amountRefunded: str
    refunds: list[Refund]


class CheckoutList(TypedDict):
    data: list[Checkout]
    nextCursor: str | None  # None on the last page


class Event(TypedDict):
    id: str  # the webhook-id the notification carried
    type: str
    timestamp: str
    data: dict[str, Any]  # the checkout, refund or ledger summary, as the notification carried it


class EventList(TypedDict):
    data: list[Event]
    nextCursor: str  # always present: poll from it later


class ResendResult(TypedDict):
    id: str
    status: Literal["queued"]


class PingResult(TypedDict):
    delivered: bool
    status: int | None
    latencyMs: int
    error: str | None


class LedgerSummary(TypedDict):
    merchantId: str
    date: str
    status: Literal["running", "complete", "failed"]
    generatedAt: NotRequired[str]
    counts: NotRequired[dict[str, int]]
    totals: NotRequired[dict[str, dict[str, str]]]


class LedgerReport(LedgerSummary):
    differences: NotRequired[list[dict[str, Any]]]
    differencesCut: NotRequired[int]
    healed: NotRequired[int]


class WebhookEvent(TypedDict):
    """A verified delivery: `id` is its webhook-id (deduplicate on it), the rest is its body."""

    id: str
    type: str
    timestamp: str
    data: dict[str, Any]
