"""PSP notifications: a transactional outbox in the checkout item, drained at once and swept by reconcile.

Every real status change writes, in the same conditional UpdateItem, a `notifications.<eventId>` entry
with status `pending` and a `dueAt` for the sweep. Right after the write the event is queued and the
entry marked `queued`. If the process dies between the two, the entry stays `pending` and the checkout
stays due, so the next reconcile run queues it. The event id is derived from the change itself, so a
retried enqueue carries the same id and the deliverer (and the PSP) can drop the copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from halotap.domain.clock import iso
from halotap.domain.events import Event
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


ATTEMPT_FAILED = "checkout.attempt_failed"


def attempt_outbox_changes(checkout: Checkout, attempt_id: str, at: datetime) -> dict[str, Any]:
    """The outbox entry of a failed attempt with attempts left (`checkout.but(**...)`): the checkout stays
    open, so no status change names it; its id comes from the version this write makes, as a status's does."""
    entry = NotificationState(
        type=ATTEMPT_FAILED, status="pending", created_at=iso(at), attempt_id=attempt_id
    )
    return {
        "notifications": {**checkout.notifications, event_id(checkout.id, checkout.version + 1): entry},
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
        if state.attempt_id is not None:  # checkout.attempt_failed: which attempt, and how many may follow
            from halotap.domain.attempts import attempt_data

            data.update(attempt_data(checkout, state.attempt_id))
    return json.dumps({"type": state.type, "timestamp": iso(at), "data": data}, separators=(",", ":"))


class MalformedMessage(ValueError):
    """A queue message that is not a notification message; says what is wrong with it."""


@dataclass(frozen=True)
class NotificationMessage:
    """The notifications-queue message: one webhook to send, with its exact body.

    Its JSON keys are the wire format, read from queues written by earlier releases, so they never change.
    `checkout_id` is "" for an event about no one checkout (`ledger.completed`). `replay` marks a copy the
    deliverer sends even when the notification was already delivered.
    """

    event_id: str
    checkout_id: str
    client_id: str
    type: str
    body: str  # the webhook's exact JSON, the same as the event feed's
    replay: bool = False
    # One endpoint's copy (app/fanout.py). None: the event itself, sent to every endpoint that wants it.
    endpoint_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "eventId": self.event_id,
            "checkoutId": self.checkout_id,
            "clientId": self.client_id,
            "type": self.type,
            "body": self.body,
            "replay": self.replay,
        }
        if self.endpoint_id is not None:
            fields["endpointId"] = self.endpoint_id
        return fields

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, fields: Any) -> NotificationMessage:
        """Unknown keys (the DLQ copy's `attempts`, `lastError`) are ignored; a missing `replay` (queued by a
        release that did not write it) is False."""
        if not isinstance(fields, dict):
            raise MalformedMessage("the body is not a notification message")
        missing = [key for key in _WIRE_KEYS if not isinstance(fields.get(key), str)]
        if missing:
            raise MalformedMessage(f"the body has no {', '.join(missing)}")
        return cls(
            event_id=fields["eventId"],
            checkout_id=fields["checkoutId"],
            client_id=fields["clientId"],
            type=fields["type"],
            body=fields["body"],
            replay=fields.get("replay") is True,
            endpoint_id=fields["endpointId"] if isinstance(fields.get("endpointId"), str) else None,
        )

    def to_endpoint(self, endpoint_id: str, *, replay: bool | None = None) -> NotificationMessage:
        """This event's copy for one endpoint: the same webhook-id and body."""
        return replace(self, endpoint_id=endpoint_id, replay=self.replay if replay is None else replay)

    @classmethod
    def from_json(cls, text: str) -> NotificationMessage:
        try:
            fields = json.loads(text)
        except ValueError:
            raise MalformedMessage("the body is not a notification message") from None
        return cls.from_dict(fields)

    @classmethod
    def of_event(cls, event: Event, *, replay: bool) -> NotificationMessage:
        """The message that delivers a recorded event: the feed's body under the event's webhook-id."""
        return cls(event.id, event.checkout_id, event.client_id, event.type, event.body, replay)


_WIRE_KEYS = ("eventId", "checkoutId", "clientId", "type", "body")  # every key but `replay`: strings


def pending_events(checkout: Checkout) -> list[str]:
    return [event for event, state in checkout.notifications.items() if state.status == "pending"]


# Events about a merchant's day rather than one checkout: the deliverer sends them with no checkout record.
LEDGER_EVENT_TYPES = ("ledger.completed",)
# Events about the PSP's own integration (domain/endpoints.py): also about no one checkout.
ENDPOINT_EVENT_TYPES = ("endpoint.disabled",)
# Every event type a PSP can list, filter on or subscribe an endpoint to.
ALL_EVENT_TYPES = tuple(
    sorted(
        {
            *EVENT_TYPES.values(),
            ATTEMPT_FAILED,
            *REFUND_EVENT_TYPES,
            *LEDGER_EVENT_TYPES,
            *ENDPOINT_EVENT_TYPES,
        }
    )
)
