"""`CheckoutStore.update` answers with the checkout it wrote without reading it back: that answer is what
DynamoDB then holds, for every kind of change a use case makes."""

from __future__ import annotations

from typing import Any

import pytest

from halotap.domain.models import Checkout, HistoryEntry, NotificationState, Outcome
from halotap.domain.states import CheckoutStatus

AT = "2026-11-27T12:00:00.000Z"
LATER = "2026-11-27T12:05:00.000Z"


def stored_checkout(services) -> Checkout:
    checkout = Checkout(
        id="chk_storeupdate0000000000000000",
        client_id="demo-psp",
        merchant_id="demo-merchant",
        reference="order-store-update",
        amount="10.00",
        currency="ZAR",
        status=CheckoutStatus.CREATING,
        metadata={"order": "1"},
        notifications={"evt_a": NotificationState(type="checkout.approved", status="queued", created_at=AT)},
        expires_at=LATER,
        created_at=AT,
        updated_at=AT,
        history=(HistoryEntry(at=AT, type="created", source="api", to_status="creating"),),
        due_at=LATER,
    )
    services.store.insert(checkout)
    read = services.store.get(checkout.id)
    assert read is not None
    return read


CHANGES: dict[str, dict[str, Any]] = {
    "open": {
        "status": "open",
        "deepLink": "https://go.example/x",
        "haloReference": "halo-ref-1",
        "updatedAt": LATER,
        "dueAt": LATER,
    },
    "settle, leaving the due index": {
        "status": "approved",
        "outcome": Outcome(disposition="Approved", authorisation_code="A1", decided_at=LATER).to_dict(),
        "dueAt": None,
        "checks": 2,
    },
    "a nested notification field": {
        "notifications.evt_a.status": "delivered",
        "notifications.evt_a.attempts": 3,
    },
    "a new notification entry": {
        "notifications.evt_b": NotificationState(
            type="checkout.voided", status="pending", created_at=LATER
        ).to_dict()
    },
    "remove a top-level field": {"metadata": None},
}


@pytest.mark.parametrize("kind", CHANGES)
def test_the_checkout_update_answers_is_the_one_stored(services, kind):
    checkout = stored_checkout(services)
    history = [
        HistoryEntry(at=LATER, type="status_changed", source="api", from_status="creating", to_status="x")
    ]

    answered = services.store.update(checkout, CHANGES[kind], history)

    assert answered == services.store.get(checkout.id)
    assert answered.version == checkout.version + 1
    assert answered.history[-1] == history[0]
