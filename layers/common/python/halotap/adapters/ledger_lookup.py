"""The daily ledger's reads of the checkouts table: many checkouts by id at once, a payment by Halo's
transaction id, and a merchant's approved checkouts of a window. BatchGetItem and Query only, never a Scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from halotap.adapters.dynamo.checkouts import CheckoutStore
from halotap.adapters.dynamo.items import checkout, checkout_key
from halotap.adapters.tables import HALO_TRANSACTION_INDEX
from halotap.domain.models import Checkout
from halotap.domain.states import CheckoutStatus

BATCH_GET_MAX = 100  # DynamoDB's BatchGetItem limit
_UNPROCESSED_ROUNDS = 8  # DynamoDB hands back what it throttled; each round asks again for just those


class LedgerLookup:
    def __init__(self, store: CheckoutStore, table_name: str) -> None:
        self._store = store
        self._table = table_name

    def checkouts(self, checkout_ids: Iterable[str]) -> dict[str, Checkout]:
        """The checkouts that exist among `checkout_ids`, by id: one BatchGetItem per 100 ids."""
        wanted = sorted(set(checkout_ids))
        found: dict[str, Checkout] = {}
        for start in range(0, len(wanted), BATCH_GET_MAX):
            keys = [checkout_key(checkout_id) for checkout_id in wanted[start : start + BATCH_GET_MAX]]
            request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            for _ in range(_UNPROCESSED_ROUNDS):
                answer = self._store.table.call("batch_get_item", RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table, []):
                    found_one = checkout(item)
                    found[found_one.id] = found_one
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

    def by_halo_transaction(self, transaction_id: str) -> Checkout | None:
        """The approved checkout whose Halo transaction is `transaction_id` (a refund record names it)."""
        answer = self._store.table.call(
            "query",
            TableName=self._table,
            IndexName=HALO_TRANSACTION_INDEX,
            KeyConditionExpression="haloTransactionId = :id",
            ExpressionAttributeValues={":id": {"S": transaction_id}},
            Limit=2,
        )
        items = answer.get("Items", [])
        return checkout(items[0]) if len(items) == 1 else None

    def approved(self, merchant_id: str, window: tuple[str, str], page_size: int = 500) -> Iterator[Checkout]:
        """A merchant's approved checkouts created in `window` (inclusive), a page at a time."""
        after: dict[str, str] | None = None
        while True:
            page, after = self._store.by_merchant(
                merchant_id,
                statuses=(CheckoutStatus.APPROVED.value,),
                window=window,
                limit=page_size,
                after=after,
            )
            yield from page
            if after is None:
                return
