"""The delivery log in the events table: one item per event and endpoint, beside the event itself.

- `deliveries#<eventId>` / `<endpointId>`: that endpoint's attempts at that event, newest last, at most
  domain/deliveries.py's MAX_ATTEMPTS_PER_ENDPOINT (the oldest go first), and whether one succeeded.

Each attempt rewrites its item on the condition that no other attempt did meanwhile (`writes`, the number
of attempts written). The item's TTL is the event's own retention from the last attempt; the API shows
the log only while its event is in the feed, so the log is readable exactly as long as the event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from halotap.adapters.dynamo.table import Table
from halotap.domain.deliveries import DeliveryAttempt, bounded
from halotap.domain.errors import ConcurrentUpdate
from halotap.domain.timing import EVENT_RETENTION, RACE_RETRIES


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class DynamoDeliveryLog:
    def __init__(self, table_name: Callable[[], str], client: Any = None) -> None:
        self.table = Table(table_name, client)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        return self.table.call(operation, TableName=self.table.name, **kwargs)

    def add(self, event_id: str, attempt: DeliveryAttempt) -> None:
        key = {"pk": _s(f"deliveries#{event_id}"), "sk": _s(attempt.endpoint_id)}
        for _ in range(RACE_RETRIES):
            item = self._call("get_item", Key=key, ConsistentRead=True).get("Item")
            written = int(item["writes"]["N"]) if item else 0
            attempts = (
                [DeliveryAttempt.from_item(a) for a in json.loads(item["attempts"]["S"])] if item else []
            )
            kept = bounded([*attempts, attempt])
            delivered = bool(item and item["delivered"]["BOOL"]) or attempt.delivered
            try:
                self._call(
                    "put_item",
                    Item={
                        **key,
                        "attempts": _s(json.dumps([a.to_item() for a in kept], separators=(",", ":"))),
                        "delivered": {"BOOL": delivered},
                        "writes": {"N": str(written + 1)},
                        "ttl": {"N": str(int(time.time() + EVENT_RETENTION.total_seconds()))},
                    },
                    ConditionExpression="attribute_not_exists(pk)" if item is None else "writes = :n",
                    **({} if item is None else {"ExpressionAttributeValues": {":n": {"N": str(written)}}}),
                )
                return
            except ConcurrentUpdate:
                continue  # another copy's attempt was written first: read it and add this one after it

    def _items(self, event_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            page = self._call(
                "query",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": _s(f"deliveries#{event_id}")},
                ConsistentRead=True,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found += page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def attempts(self, event_id: str) -> list[DeliveryAttempt]:
        every = [
            DeliveryAttempt.from_item(a)
            for item in self._items(event_id)
            for a in json.loads(item["attempts"]["S"])
        ]
        return sorted(every, key=lambda a: (a.at, a.endpoint_id, a.attempt))

    def delivered_to(self, event_id: str) -> set[str]:
        return {item["sk"]["S"] for item in self._items(event_id) if item["delivered"]["BOOL"]}
