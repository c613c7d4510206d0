"""PSP notifications: a transactional outbox in the checkout item, drained at once and swept by reconcile.

Every real status change writes, in the same conditional UpdateItem, a `notifications.<eventId>` entry
with status `pending` and a `dueAt` for the sweep. Right after the write the event is queued and the
entry marked `queued`. If the process dies between the two, the entry stays `pending` and the checkout
stays due, so the next reconcile run queues it. The event id is derived from the change itself, so a
retried enqueue carries the same id and the deliverer (and the PSP) can drop the copy.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from halotap.domain.clock import iso
from halotap.domain.ids import event_id, refund_event_id
from halotap.domain.models import Checkout, NotificationState
from halotap.domain.states import CheckoutStatus
from halotap.domain.timing import OUTBOX_SWEEP_AFTER
from halotap.domain.views import checkout_view, refund_view

# A notification in one of these statuses needs no more attempts: a copy of its message is dropped.
SETTLED = ("delivered", "gone")
EVENT_TYPES = {
    CheckoutStatus.APPROVED: "checkout.approved",
    CheckoutStatus.DECLINED: "checkout.declined",
    CheckoutStatus.FAILED: "checkout.failed",
    CheckoutStatus.CANCELLED: "checkout.cancelled",
    CheckoutStatus.EXPIRED: "checkout.expired",
    CheckoutStatus.VOIDED: "checkout.voided",
}
REFUND_EVENT_TYPES = ("refund.succeeded", "refund.failed")


def outbox_changes(checkout: Checkout, new_status: CheckoutStatus, at: datetime) -> dict[str, Any]:
    """What a status change adds to the checkout (`checkout.but(**...)`) so its notification cannot be lost:
    a pending entry, named by the version the change writes, and the sweep's due time."""
    entry = NotificationState(type=EVENT_TYPES[new_status], status="pending", created_at=iso(at))
    return {
        "notifications": {**checkout.notifications, event_id(checkout.id, checkout.version + 1): entry},
        "due_at": iso(at + OUTBOX_SWEEP_AFTER),
    }


def refund_outbox_changes(
    checkout: Checkout, refund_id: str, event_type: str, at: datetime
) -> dict[str, Any]:
    """The outbox entry of a refund's outcome (`checkout.but(**...)`), written with the outcome itself.

    Its id comes from the refund and its outcome, which happens once, so any retry carries the same id.
    """
    entry = NotificationState(type=event_type, status="pending", created_at=iso(at), refund_id=refund_id)
    return {
        "notifications": {**checkout.notifications, refund_event_id(refund_id, event_type): entry},
        "due_at": iso(at + OUTBOX_SWEEP_AFTER),
    }


def marked(checkout: Checkout, events: list[str], status: str) -> dict[str, NotificationState]:
    """The checkout's notifications with `events` moved to `status`."""
    return {
        event: state.but(status=status) if event in events else state
        for event, state in checkout.notifications.items()
    }


def notification_body(checkout: Checkout, event: str, at: datetime) -> str:
    """The exact JSON the PSP receives, fixed when the event is queued so every attempt sends the same."""
    state = checkout.notifications[event]
    if state.refund_id is not None:
        data = refund_view(checkout.refunds[state.refund_id])  # a refund event's data is the refund
    else:
        data = checkout_view(checkout)
        data.pop("notifications", None)  # delivery bookkeeping is not part of the event
    return json.dumps({"type": state.type, "timestamp": iso(at), "data": data}, separators=(",", ":"))


def message(
    checkout: Checkout, event: str, at: datetime, *, replay: bool = False, body: str | None = None
) -> str:
    """The queued message. `body` is the event as already recorded in the feed, so both carry the same."""
    return json.dumps(
        {
            "eventId": event,
            "checkoutId": checkout.id,
            "clientId": checkout.client_id,
            "type": checkout.notifications[event].type,
            "body": body or notification_body(checkout, event, at),
            "replay": replay,
        }
    )


def pending_events(checkout: Checkout) -> list[str]:
    return [event for event, state in checkout.notifications.items() if state.status == "pending"]


# Events about a merchant's day rather than one checkout: the deliverer sends them with no checkout record.
LEDGER_EVENT_TYPES = ("ledger.completed",)
