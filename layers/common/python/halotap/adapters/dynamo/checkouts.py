"""The checkouts store: `halotap.app.ports.CheckoutRepository` on one DynamoDB table.

Every write is conditional. A new checkout and its `(merchantId, reference)` guard go in one
transaction; `save` writes what differs between the checkout as read and as the use case wants it,
on the condition that the item is still at the version read; the refund writes have conditions of
their own (refunds.py). Reads are GetItem or an index Query (indexes.py); nothing here scans.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from halotap.adapters.dynamo import items, refunds
from halotap.adapters.dynamo.expressions import Update
from halotap.adapters.dynamo.indexes import CheckoutIndexes
from halotap.adapters.dynamo.table import Table
from halotap.domain import timing
from halotap.domain.errors import ConcurrentUpdate, DependencyUnavailable, ReferenceAlreadyUsed
from halotap.domain.models import Checkout, HistoryEntry, Refund


class CheckoutStore(CheckoutIndexes):
    def __init__(self, table_name: str, client: Any = None, retention_days: int = 400) -> None:
        super().__init__(Table(table_name, client))
        self._retention_seconds = retention_days * 86400

    @property
    def client(self) -> Any:
        return self.table.client

    def _expiry(self) -> int:
        return int(time.time()) + self._retention_seconds

    def item(self, checkout: Checkout, ttl: int | None = None) -> dict[str, Any]:
        """The checkout as stored (tests and the bench seed items with it)."""
        return items.checkout_item(checkout, ttl or self._expiry())

    def insert(self, checkout: Checkout) -> None:
        """Store a new checkout, unless the merchant already used its reference.

        A cancelled transaction is answered by its reasons: the reference guard's failed condition is
        `ReferenceAlreadyUsed`; a conflict with another transaction in flight on the same reference is
        retried here, a bounded number of times, and then reads as that reference being taken; throttling
        is `DependencyUnavailable` (table.py), which the API answers 503 with Retry-After.
        """
        ttl = self._expiry()
        new = {"TableName": self.table.name, "ConditionExpression": "attribute_not_exists(pk)"}
        writes = [
            {"Put": {**new, "Item": items.checkout_item(checkout, ttl)}},
            {
                "Put": {
                    **new,
                    "Item": items.reference_item(checkout, ttl),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        ]
        for _ in range(timing.RACE_RETRIES):
            reasons = self.table.transact(writes)
            if reasons is None:
                return
            codes = [str(reason.get("Code") or "None") for reason in reasons]
            if "ConditionalCheckFailed" in codes:
                guard = reasons[1] if len(reasons) > 1 else {}
                existing = items.guarded_checkout_id(guard.get("Item") or {})
                raise ReferenceAlreadyUsed(
                    f"merchant {checkout.merchant_id!r} already used reference {checkout.reference!r}",
                    checkoutId=existing
                    or self.checkout_id_for_reference(checkout.merchant_id, checkout.reference),
                )
            if "TransactionConflict" not in codes:
                raise DependencyUnavailable(
                    f"the checkout could not be stored ({', '.join(codes)}); retry shortly"
                )
        # Still conflicting after every retry: another request holds this reference right now.
        raise ReferenceAlreadyUsed(
            f"merchant {checkout.merchant_id!r} is using reference {checkout.reference!r} in another request",
            checkoutId=self.checkout_id_for_reference(checkout.merchant_id, checkout.reference),
        )

    def get(self, checkout_id: str) -> Checkout | None:
        item = self.table.call(
            "get_item", TableName=self.table.name, Key=items.checkout_key(checkout_id), ConsistentRead=True
        ).get("Item")
        return items.checkout(item) if item else None

    def checkout_id_for_reference(self, merchant_id: str, reference: str) -> str | None:
        item = self.table.call(
            "get_item",
            TableName=self.table.name,
            Key=items.reference_key(merchant_id, reference),
            ConsistentRead=True,
        ).get("Item")
        return items.guarded_checkout_id(item) if item else None

    def save(self, before: Checkout, after: Checkout, history: Sequence[HistoryEntry] = ()) -> Checkout:
        """Write what differs between `before` and `after`, and append `history`, if the checkout is still
        at `before.version`; otherwise `ConcurrentUpdate`.

        Returns the checkout as it now is, worked out here rather than read back (`ReturnValues` NONE):
        the condition that passed means the item was exactly `before`, so it is now `after` at the next
        version with `history` appended.
        """
        from botocore.exceptions import ClientError

        changes = items.changes(before, after)
        update = Update().assign(changes).set(items.VERSION, before.version + 1)
        if history:
            update.append(items.HISTORY, items.history(list(history)))
        update.when(f"{update.name(items.VERSION)} = {update.value(before.version)}")
        for first in (True, False):
            try:
                self.table.call(
                    "update_item",
                    TableName=self.table.name,
                    Key=items.checkout_key(before.id),
                    **update.request(items.to_item),
                )
                return after.but(version=before.version + 1, history=(*before.history, *history))
            except ConcurrentUpdate:
                raise ConcurrentUpdate(
                    f"checkout {before.id} changed since version {before.version}"
                ) from None
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if not (first and code == "ValidationException" and items.touches_refunds(changes)):
                    raise
                # A late approval's refund on a checkout stored before refunds existed: add the maps, once.
                refunds.add_refund_maps(self.table, before.id)
        raise AssertionError("unreachable")

    def reserve_refund(self, checkout: Checkout, refund: Refund) -> Checkout | None:
        return refunds.reserve(self.table, checkout, refund)

    def settle_refund(self, checkout: Checkout, settled: Checkout, refund_id: str) -> Checkout | None:
        return refunds.settle(self.table, checkout, settled, refund_id)

    def release_reference(self, checkout: Checkout) -> None:
        """Free the PSP's reference of a checkout that never opened, so the PSP can retry with it."""
        # A failed condition: the reference is held by another checkout (or by none), nothing of this one's.
        with suppress(ConcurrentUpdate):
            self.table.call(
                "delete_item",
                TableName=self.table.name,
                Key=items.reference_key(checkout.merchant_id, checkout.reference),
                ConditionExpression="checkoutId = :id",
                ExpressionAttributeValues={":id": {"S": checkout.id}},
            )
