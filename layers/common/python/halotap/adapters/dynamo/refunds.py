"""The two refund writes whose condition is not the checkout's version.

Reserving a refund is conditioned on the rule itself (the checkout approved, the reference new, the
total within the amount), so however many requests race, DynamoDB lets through only those that fit.
Recording Halo's answer is conditioned on that refund still being pending, so refunds of one checkout
never contend with each other, and its running totals move by additions DynamoDB makes itself
(docs/architecture.md, "Refunds").
"""

from __future__ import annotations

from typing import Any

from halotap.adapters.dynamo import items
from halotap.adapters.dynamo.expressions import Update
from halotap.adapters.dynamo.table import Table
from halotap.domain.errors import ConcurrentUpdate
from halotap.domain.models import Checkout, Refund, RefundStatus
from halotap.domain.refunds import MAX_REFUNDS_PER_CHECKOUT, minor
from halotap.domain.states import CheckoutStatus


def reserve(table: Table, checkout: Checkout, refund: Refund) -> Checkout | None:
    """Add `refund` to the checkout if it is approved, the reference is new, and it fits. None if not.

    `reservedMinor + amount <= total` is written as `reservedMinor <= total - amount`.
    """
    amount = minor(refund.amount, refund.currency)
    limit = minor(checkout.amount, checkout.currency) - amount
    update = Update()
    status, reserved, count = (
        update.name(items.STATUS),
        update.name(items.RESERVED),
        update.name(items.REFUND_COUNT),
    )
    reference = update.name((items.REFUND_REFERENCES, refund.reference))
    update.add(items.RESERVED, amount).add(items.REFUND_COUNT, 1).add(items.VERSION, 1)
    update.set((items.REFUNDS, refund.id), items.refund(refund))
    update.set((items.REFUND_REFERENCES, refund.reference), refund.id)
    update.set(items.UPDATED_AT, refund.created_at)
    update.set(items.DUE_AT, refund.next_attempt_at).set(items.DUE_SHARD, items.due_shard(checkout.id))
    update.when(f"{status} = {update.value(CheckoutStatus.APPROVED.value)}")
    update.when(f"attribute_not_exists({reserved}) OR {reserved} <= {update.value(limit)}")
    update.when(f"attribute_not_exists({reference})")
    update.when(f"attribute_not_exists({count}) OR {count} < {update.value(MAX_REFUNDS_PER_CHECKOUT)}")
    return _write(table, checkout.id, update, adds_refund=True)


def settle(table: Table, checkout: Checkout, settled: Checkout, refund_id: str) -> Checkout | None:
    """Write what differs between `checkout` and `settled` if refund `refund_id` is still pending; None
    if it is not (settled meanwhile). The totals move by their difference, added by DynamoDB."""
    update = Update()
    update.assign(items.changes(checkout, settled, skip=items.TOTALS))
    for total in items.TOTALS:
        moved = settled.to_dict().get(total, 0) - checkout.to_dict().get(total, 0)
        if moved:
            update.add(total, moved)
    update.add(items.VERSION, 1)
    pending = update.value(RefundStatus.PENDING.value)
    update.when(f"{update.name((items.REFUNDS, refund_id, items.STATUS))} = {pending}")
    return _write(table, checkout.id, update, adds_refund=False)


def _write(table: Table, checkout_id: str, update: Update, *, adds_refund: bool) -> Checkout | None:
    from botocore.exceptions import ClientError

    for first in (True, False):
        try:
            result = table.call(
                "update_item",
                TableName=table.name,
                Key=items.checkout_key(checkout_id),
                ReturnValues="ALL_NEW",
                **update.request(items.to_item),
            )
            return items.checkout(result["Attributes"])
        except ConcurrentUpdate:
            return None
        except ClientError as error:
            if not (
                first and adds_refund and error.response.get("Error", {}).get("Code") == "ValidationException"
            ):
                raise
            add_refund_maps(table, checkout_id)
    raise AssertionError("unreachable")


def add_refund_maps(table: Table, checkout_id: str) -> None:
    """A checkout stored before refunds existed has no maps to add a refund to: add them, once."""
    update = Update()
    update.default(items.REFUNDS, {}).default(items.REFUND_REFERENCES, {})
    update.when("attribute_exists(pk)")
    request: dict[str, Any] = update.request(items.to_item)
    table.call("update_item", TableName=table.name, Key=items.checkout_key(checkout_id), **request)
