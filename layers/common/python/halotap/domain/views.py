"""The checkout and its refunds as the API shows them: what a PSP reads, not what halotap keeps.

The entity (domain/models.py) carries bookkeeping a PSP never sees: the version, the due time, the
watch, the refund totals. A view leaves those out and adds what is worked out for the reader: how to
pay while the checkout is open, the amount refunded, the notifications as a list. infra/openapi.py
describes these views from the same field lists, so the document and the answers cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from halotap.domain.attempts import attempts_view
from halotap.domain.models import Checkout, Record, Refund, wire_name
from halotap.domain.states import CheckoutStatus

# A refund's bookkeeping, never on the wire.
REFUND_INTERNAL_FIELDS = ("requested_amount", "attempts", "next_attempt_at")


# Stored with the checkout, never shown to the PSP: bookkeeping, and the merchant as the page shows it.
INTERNAL_FIELDS = (
    "version",
    "client_id",
    "due_at",
    "checks",
    "merchant_name",
    "merchant_locale",
    "wants_qr_code",
    "refund_references",
    "reserved_minor",
    "refunded_minor",
    "refund_count",
    "watch_from",
    "watch_checks",
    "watch_due",
    "attention_due",
)
_NOT_IN_VIEW = frozenset(
    wire_name(name) for name in (*INTERNAL_FIELDS, "notifications", "refunds", "attempts")
)


def refund_view(refund: Refund) -> dict[str, Any]:
    """A refund as GET /v1/checkouts/{id}/refunds/{refundId} returns it, and as a refund event's data."""
    body = refund.to_dict()
    for name in REFUND_INTERNAL_FIELDS:
        body.pop(wire_name(name), None)
    return body


def checkout_view(checkout: Checkout, pay_url: str | None = None) -> dict[str, Any]:
    """The checkout as GET returns it. Bookkeeping fields stay internal.

    While it is open it also says how to pay, so a PSP that lost the create response can still send
    the shopper on: the deep link, halotap's hosted page (`pay_url`) and the QR code if one was asked for.
    """
    body = {key: value for key, value in checkout.to_dict().items() if key not in _NOT_IN_VIEW}
    if checkout.status is CheckoutStatus.OPEN and checkout.deep_link:
        if pay_url:
            body["payUrl"] = pay_url
        if checkout.wants_qr_code:
            from halotap.domain.qr import svg_data_uri

            body["qrCode"] = svg_data_uri(checkout.deep_link)
    body["attempts"] = attempts_view(checkout)  # one stored before attempts existed shows one
    body.setdefault("outcome", None)
    body.setdefault("settlement", None)
    body.setdefault("needsAttention", None)
    body["amountRefunded"] = checkout.refund_total()
    body["refunds"] = [
        refund_view(refund)
        for refund in sorted(checkout.refunds.values(), key=lambda r: (r.created_at, r.id))
    ]
    body["notifications"] = [
        {"eventId": event_id, **state.to_dict()}
        for event_id, state in sorted(checkout.notifications.items(), key=lambda pair: pair[1].created_at)
    ]
    return body


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutCreated(Record):
    """The 201 body of POST /v1/checkouts."""

    id: str
    status: CheckoutStatus
    merchant_id: str
    reference: str
    amount: str
    currency: str
    deep_link: str
    halo_reference: str
    qr_code: str | None = None
    # halotap's hosted page for this checkout: a QR code on a desktop, a button on a phone
    pay_url: str | None = None
    return_url: str | None = None
    fallback_url: str | None = None
    locale: str | None = None
    max_attempts: int = 1
    metadata: dict[str, str] = field(default_factory=dict)
    expires_at: str
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, checkout: Checkout, qr_code: str | None) -> CheckoutCreated:
        assert checkout.deep_link
        assert checkout.halo_reference
        return cls(
            id=checkout.id,
            status=checkout.status,
            merchant_id=checkout.merchant_id,
            reference=checkout.reference,
            amount=checkout.amount,
            currency=checkout.currency,
            deep_link=checkout.deep_link,
            halo_reference=checkout.halo_reference,
            qr_code=qr_code,
            return_url=checkout.return_url,
            fallback_url=checkout.fallback_url,
            locale=checkout.locale,
            max_attempts=checkout.max_attempts,
            metadata=checkout.metadata,
            expires_at=checkout.expires_at,
            created_at=checkout.created_at,
            updated_at=checkout.updated_at,
        )
