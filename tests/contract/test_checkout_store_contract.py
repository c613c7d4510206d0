"""The checkout store's contract, held by the in-memory store and DynamoDB's alike (conftest.py runs each
test against both), so the fake the use-case tests run on cannot drift from DynamoDB's conditions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from halotap.adapters.tables import DUE_SHARDS
from halotap.domain.errors import ConcurrentUpdate, ReferenceAlreadyUsed
from halotap.domain.models import (
    Checkout,
    HistoryEntry,
    NotificationState,
    Outcome,
    Refund,
    RefundFailure,
    RefundStatus,
)
from halotap.domain.states import CheckoutStatus

AT = "2026-11-27T12:00:00.000Z"
LATER = "2026-11-27T12:05:00.000Z"
LATEST = "2026-11-27T12:10:00.000Z"


def a_checkout(number: int = 1, **changes: Any) -> Checkout:
    values: dict[str, Any] = {
        "id": f"chk_contract{number:020d}",
        "client_id": "demo-psp",
        "merchant_id": "demo-merchant",
        "reference": f"order-{number}",
        "amount": "100.00",
        "currency": "ZAR",
        "status": CheckoutStatus.OPEN,
        "metadata": {"order": str(number)},
        "notifications": {
            "evt_a": NotificationState(type="checkout.approved", status="queued", created_at=AT)
        },
        "expires_at": LATEST,
        "created_at": AT,
        "updated_at": AT,
        "history": (HistoryEntry(at=AT, type="created", source="api", to_status="creating"),),
        **changes,
    }
    return Checkout(**values)


def stored(store: Any, checkout: Checkout) -> Checkout:
    store.insert(checkout)
    read = store.get(checkout.id)
    assert read is not None
    return read


def a_refund(checkout: Checkout, number: int, amount: str) -> Refund:
    return Refund(
        id=f"rfd_contract{number:020d}",
        checkout_id=checkout.id,
        amount=amount,
        currency=checkout.currency,
        reference=f"refund-{number}",
        status=RefundStatus.PENDING,
        created_at=LATER,
        updated_at=LATER,
        next_attempt_at=LATEST,
    )


# -- insert, get, references --------------------------------------------------------------------------
def test_an_inserted_checkout_reads_back_as_it_was_written(store):
    checkout = a_checkout(due_at=LATER)
    assert stored(store, checkout) == checkout
    assert store.checkout_id_for_reference("demo-merchant", "order-1") == checkout.id


def test_a_reference_is_taken_once_and_the_refusal_names_the_checkout_holding_it(store):
    first = stored(store, a_checkout(1))
    with pytest.raises(ReferenceAlreadyUsed) as refused:
        store.insert(a_checkout(2, reference=first.reference))
    assert refused.value.extensions["checkoutId"] == first.id
    assert store.get(a_checkout(2).id) is None


def test_release_reference_frees_a_reference_only_for_the_checkout_that_holds_it(store):
    holder = stored(store, a_checkout(1))
    store.release_reference(a_checkout(2, reference=holder.reference))  # not the holder: nothing happens
    assert store.checkout_id_for_reference("demo-merchant", holder.reference) == holder.id

    store.release_reference(holder)
    assert store.checkout_id_for_reference("demo-merchant", holder.reference) is None
    store.insert(a_checkout(3, reference=holder.reference))  # the PSP may use it again


def test_find_by_halo_reference_finds_the_one_checkout_halo_knows_by_it(store):
    stored(store, a_checkout(1, halo_reference="halo-1"))
    stored(store, a_checkout(2, halo_reference="halo-2"))
    found = store.find_by_halo_reference("halo-2")
    assert found is not None
    assert found.id == a_checkout(2).id
    assert store.find_by_halo_reference("halo-unknown") is None


# -- save -----------------------------------------------------------------------------------------------
CHANGES: dict[str, Any] = {
    "open": lambda c: c.but(
        status=CheckoutStatus.OPEN, deep_link="https://go.example/x", halo_reference="h-1", due_at=LATER
    ),
    "settle, leaving the due index": lambda c: c.but(
        status=CheckoutStatus.APPROVED,
        outcome=Outcome(disposition="Approved", authorisation_code="A1", decided_at=LATER),
        due_at=None,
        checks=2,
    ),
    "a notification's fields": lambda c: c.but(
        notifications={"evt_a": c.notifications["evt_a"].but(status="delivered", attempts=3)}
    ),
    "a new notification entry": lambda c: c.but(
        notifications={
            **c.notifications,
            "evt_b": NotificationState(type="checkout.voided", status="pending", created_at=LATER),
        }
    ),
    "remove a top-level field": lambda c: c.but(metadata={}, deep_link=None),
    "nothing but history": lambda c: c,
}


@pytest.mark.parametrize("kind", CHANGES)
def test_save_answers_with_the_checkout_it_stored_at_the_next_version(store, kind):
    checkout = stored(store, a_checkout(deep_link="https://go.example/old", due_at=AT))
    entry = HistoryEntry(at=LATER, type="status_changed", source="api", from_status="open", to_status="x")

    answered = store.save(checkout, CHANGES[kind](checkout), [entry])

    assert answered == store.get(checkout.id)
    assert answered.version == checkout.version + 1
    assert answered.history == (*checkout.history, entry)


def test_save_on_a_stale_read_loses_the_race_and_changes_nothing(store):
    read = stored(store, a_checkout())
    winner = store.save(read, read.but(status=CheckoutStatus.APPROVED))

    with pytest.raises(ConcurrentUpdate):
        store.save(read, read.but(status=CheckoutStatus.CANCELLED))

    assert store.get(read.id) == winner


# -- refunds --------------------------------------------------------------------------------------------
def test_reserve_refund_adds_the_refund_and_holds_its_amount(store):
    checkout = stored(store, a_checkout(status=CheckoutStatus.APPROVED))
    refund = a_refund(checkout, 1, "30.00")

    reserved = store.reserve_refund(checkout, refund)

    assert reserved is not None
    assert reserved == store.get(checkout.id)
    assert reserved.refunds[refund.id] == refund
    assert reserved.refund_references == {refund.reference: refund.id}
    assert (reserved.reserved_minor, reserved.refund_count, reserved.due_at) == (3000, 1, LATEST)
    assert reserved.version == checkout.version + 1


def test_reserve_refund_refuses_a_used_reference_an_unapproved_checkout_and_more_than_the_amount(store):
    approved = stored(store, a_checkout(1, status=CheckoutStatus.APPROVED))
    assert store.reserve_refund(approved, a_refund(approved, 1, "60.00")) is not None
    assert store.reserve_refund(approved, a_refund(approved, 1, "1.00").but(id="rfd_other")) is None
    assert store.reserve_refund(approved, a_refund(approved, 2, "40.01")) is None
    assert store.reserve_refund(approved, a_refund(approved, 3, "40.00")) is not None
    open_ = stored(store, a_checkout(2))
    assert store.reserve_refund(open_, a_refund(open_, 4, "1.00")) is None


def test_racing_refunds_never_reserve_more_than_the_amount(store):
    checkout = stored(store, a_checkout(status=CheckoutStatus.APPROVED))
    refunds = [a_refund(checkout, number, "30.00") for number in range(8)]  # 240.00 asked of 100.00

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda refund: store.reserve_refund(checkout, refund), refunds))

    final = store.get(checkout.id)
    assert final is not None
    assert sum(answer is not None for answer in answers) == 3 == len(final.refunds)
    assert final.reserved_minor == 9000


def settled_with(checkout: Checkout, refund: Refund, status: RefundStatus) -> Checkout:
    amount = 3000
    done = refund.but(status=status, updated_at=LATEST, next_attempt_at=None)
    if status is RefundStatus.FAILED:
        done = done.but(failure=RefundFailure(code="declined", message="no"))
        totals = {"reserved_minor": checkout.reserved_minor - amount}
    else:
        totals = {"refunded_minor": checkout.refunded_minor + amount}
    event = f"evt_{refund.id}_{status.value}"
    notice = NotificationState(type=f"refund.{status.value}", status="pending", created_at=LATEST)
    return checkout.but(
        refunds={**checkout.refunds, refund.id: done},
        notifications={**checkout.notifications, event: notice},
        updated_at=LATEST,
        **totals,
    )


def test_settle_refund_writes_only_while_the_refund_is_pending(store):
    checkout = stored(store, a_checkout(status=CheckoutStatus.APPROVED))
    refund = a_refund(checkout, 1, "30.00")
    reserved = store.reserve_refund(checkout, refund)
    assert reserved is not None

    settled = store.settle_refund(reserved, settled_with(reserved, refund, RefundStatus.SUCCEEDED), refund.id)
    assert settled is not None
    assert settled == store.get(checkout.id)
    assert settled.refunds[refund.id].status is RefundStatus.SUCCEEDED
    assert (settled.refunded_minor, settled.version) == (3000, reserved.version + 1)

    # A second answer on the same read (a concurrent retry) finds it settled and writes nothing.
    again = store.settle_refund(reserved, settled_with(reserved, refund, RefundStatus.FAILED), refund.id)
    assert again is None
    assert store.get(checkout.id) == settled


def test_refunds_settled_from_one_read_each_land_without_clobbering_the_other(store):
    checkout = stored(store, a_checkout(status=CheckoutStatus.APPROVED))
    first, second = a_refund(checkout, 1, "30.00"), a_refund(checkout, 2, "30.00")
    store.reserve_refund(checkout, first)
    read = store.reserve_refund(store.get(checkout.id), second)
    assert read is not None

    store.settle_refund(read, settled_with(read, first, RefundStatus.SUCCEEDED), first.id)
    final = store.settle_refund(read, settled_with(read, second, RefundStatus.FAILED), second.id)

    assert final is not None
    assert final.refunds[first.id].status is RefundStatus.SUCCEEDED
    assert final.refunds[second.id].status is RefundStatus.FAILED
    assert {event for event in final.notifications if event.startswith("evt_rfd")} == {
        f"evt_{first.id}_succeeded",
        f"evt_{second.id}_failed",
    }
    assert (final.refunded_minor, final.reserved_minor) == (3000, 3000)  # each total moved by its own


# -- the due index --------------------------------------------------------------------------------------
def all_due(store: Any, now: str, limit: int = 50) -> list[list[str]]:
    """Each shard's due checkout ids, as the index answers."""
    return [[c.id for c in store.due(shard, now, limit)] for shard in range(DUE_SHARDS)]


def every_due(store: Any, now: str) -> list[str]:
    return [checkout_id for shard in all_due(store, now) for checkout_id in shard]


def test_the_due_index_holds_only_what_is_due_by_now_oldest_first_per_shard(store):
    times = ["2026-11-27T12:03:00.000Z", "2026-11-27T12:01:00.000Z", "2026-11-27T12:02:00.000Z", LATEST]
    checkouts = [stored(store, a_checkout(n, due_at=due)) for n, due in enumerate(times)]
    stored(store, a_checkout(9))  # nothing due: not in the index at all

    found = all_due(store, LATER)

    assert sorted(i for shard in found for i in shard) == sorted(c.id for c in checkouts[:3])
    by_id = {c.id: c.due_at for c in checkouts}
    for shard in found:
        assert [by_id[i] for i in shard] == sorted(by_id[i] for i in shard)
    assert all(len(store.due(shard, LATER, 1)) <= 1 for shard in range(DUE_SHARDS))


def test_a_checkout_leaves_the_due_index_when_its_due_time_goes_and_returns_when_set(store):
    checkout = stored(store, a_checkout(due_at=AT))
    cleared = store.save(checkout, checkout.but(due_at=None))
    assert every_due(store, LATEST) == []

    store.save(cleared, cleared.but(due_at=LATER))
    assert every_due(store, LATEST) == [checkout.id]


def test_by_merchant_pages_newest_first_with_a_status_filter(store):
    for n in range(5):
        status = CheckoutStatus.APPROVED if n % 2 == 0 else CheckoutStatus.OPEN
        stored(store, a_checkout(n, created_at=f"2026-11-27T12:0{n}:00.000Z", status=status))

    page, after = store.by_merchant(
        "demo-merchant", statuses=("approved",), window=(None, None), limit=2, after=None
    )
    rest, end = store.by_merchant(
        "demo-merchant", statuses=("approved",), window=(None, None), limit=2, after=after
    )

    assert [c.reference for c in page + rest] == ["order-4", "order-2", "order-0"]
    assert end is None
