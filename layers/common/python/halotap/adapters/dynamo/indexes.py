"""Reads through the checkouts table's indexes: Query only, never a Scan.

- the due index (`dueShard`, `dueAt`): sparse, only checkouts with something left to do;
- by merchant (`merchantId`, `createdAt`): the listing;
- by Halo reference: the fallback lookup for a webhook without a usable merchantReference.
"""

from __future__ import annotations

from typing import Any

from halotap.adapters.dynamo import items
from halotap.adapters.dynamo.table import Table
from halotap.adapters.tables import DUE_INDEX, HALO_REFERENCE_INDEX, MERCHANT_CREATED_INDEX
from halotap.domain.models import Checkout


class CheckoutIndexes:
    def __init__(self, table: Table) -> None:
        self.table = table

    def find_by_halo_reference(self, halo_reference: str) -> Checkout | None:
        """The checkout Halo knows as `halo_reference`; None if none, or (never expected) more than one."""
        result = self.table.call(
            "query",
            TableName=self.table.name,
            IndexName=HALO_REFERENCE_INDEX,
            KeyConditionExpression="haloReference = :ref",
            ExpressionAttributeValues={":ref": {"S": halo_reference}},
            Limit=2,
        )
        found = result.get("Items", [])
        return items.checkout(found[0]) if len(found) == 1 else None

    def due(self, shard: int, now: str, limit: int) -> list[Checkout]:
        """Up to `limit` checkouts of one shard whose next check is due by `now`, oldest first: a Query,
        never a Scan. A Query page stops at 1 MB (the index holds whole checkouts, about 1 to 10 KB each),
        so a backlog takes more than one page; without paging, the rest would wait for the next run."""
        found: list[Checkout] = []
        start: dict[str, Any] | None = None
        while len(found) < limit:
            page = self.table.call(
                "query",
                TableName=self.table.name,
                IndexName=DUE_INDEX,
                KeyConditionExpression="dueShard = :shard AND dueAt <= :now",
                ExpressionAttributeValues={":shard": {"S": str(shard)}, ":now": {"S": now}},
                Limit=limit - len(found),
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found += [items.checkout(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return found

    def by_merchant(
        self,
        merchant_id: str,
        *,
        statuses: tuple[str, ...],
        window: tuple[str | None, str | None],
        limit: int,
        after: dict[str, str] | None,
    ) -> tuple[list[Checkout], dict[str, str] | None]:
        """One page of a merchant's checkouts, newest first, from the byMerchantCreated index: Query only.

        A status filter is applied by DynamoDB after the key condition, so a page is filled by reading on
        until `limit` checkouts matched or the index ran out. Returns the page and where the next one
        starts (the last checkout's index key), or None when nothing is left.
        """
        created_from, created_to = window
        values: dict[str, Any] = {":merchant": merchant_id}
        condition = "merchantId = :merchant"
        if created_from and created_to:
            condition += " AND createdAt BETWEEN :from AND :to"
            values.update({":from": created_from, ":to": created_to})
        elif created_from:
            condition += " AND createdAt >= :from"
            values[":from"] = created_from
        elif created_to:
            condition += " AND createdAt <= :to"
            values[":to"] = created_to
        request: dict[str, Any] = {
            "TableName": self.table.name,
            "IndexName": MERCHANT_CREATED_INDEX,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
        }
        if statuses:
            names = [f":s{index}" for index in range(len(statuses))]
            request["FilterExpression"] = f"#status IN ({', '.join(names)})"
            request["ExpressionAttributeNames"] = {"#status": "status"}
            values.update(dict(zip(names, statuses, strict=True)))
        request["ExpressionAttributeValues"] = items.to_item(values)
        start = (
            items.to_item(
                {"pk": f"checkout#{after['id']}", "merchantId": merchant_id, "createdAt": after["createdAt"]}
            )
            if after
            else None
        )
        found: list[Checkout] = []
        while True:
            # One more than asked for, so a full page knows whether another follows.
            page = self.table.call(
                "query",
                **request,
                Limit=limit + 1,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found += [items.checkout(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if len(found) > limit:
                last = found[limit - 1]
                return found[:limit], {"id": last.id, "createdAt": last.created_at}
            if not start:
                return found, None
