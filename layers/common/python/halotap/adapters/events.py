"""The only code that talks to the events table: each client's feed, in commit order.

Items:
- `sequence#<client>` / `-`: the client's last allocated sequence number.
- `feed#<client>` / `<sequence, zero-padded>`: one event, what GET /v1/events reads with a Query.
- `event#<id>` / `-`: the same event by its id, for GET /v1/events/{id}, resend, and to record each once.

An event is recorded in one TransactWriteItems that moves the counter from N to N+1 on the condition
that it is still N, and puts the event at N+1. So event N+1 can only be written after event N was, and
the feed is visible as a gap-free prefix: a consistent Query that saw sequence K has seen every event
numbered K or less, and an event committed later, whatever its timestamp, sorts after K.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from halotap.adapters.dynamo.table import Table
from halotap.domain.errors import DependencyUnavailable
from halotap.domain.events import Event
from halotap.domain.timing import EVENT_RETENTION

_SEQUENCE_RACES = 50  # publishers of one client racing for the counter; each loss costs two small calls
_WIDTH = 20  # zero padding, so the string sort key sorts as the number


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class EventLog:
    def __init__(self, table_name: Callable[[], str], client: Any = None) -> None:
        self.table = Table(table_name, client)

    @property
    def client(self) -> Any:
        return self.table.client

    def _call(self, operation: str, **kwargs: Any) -> Any:
        return self.table.call(operation, TableName=self.table.name, **kwargs)

    def record(self, event: Event) -> Event:
        """Place an event at the end of its client's feed, once; a second call returns the first record."""
        table = self.table.name
        for _ in range(_SEQUENCE_RACES):
            existing = self.get(event.id)
            if existing is not None:
                return existing
            last = self._last_sequence(event.client_id)
            placed = Event(**{**event.__dict__, "sequence": last + 1})
            attributes = self._attributes(placed)
            counter: dict[str, Any] = {
                "TableName": table,
                "Key": {"pk": _s(f"sequence#{event.client_id}"), "sk": _s("-")},
                "UpdateExpression": "SET #last = :next",
                "ExpressionAttributeNames": {"#last": "last"},
                "ExpressionAttributeValues": {":next": {"N": str(last + 1)}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            if last:
                counter["ConditionExpression"] = "#last = :last"
                counter["ExpressionAttributeValues"][":last"] = {"N": str(last)}
            reasons = self.table.transact(
                [
                    {"Update": counter},
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {
                                "pk": _s(f"feed#{event.client_id}"),
                                "sk": _s(_padded(last + 1)),
                                **attributes,
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {"pk": _s(f"event#{event.id}"), "sk": _s("-"), **attributes},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
            if reasons is None:
                return placed
            # Another publisher took this number (or recorded this very event): read again, try again.
            # (Throttling was DependencyUnavailable already: table.py.)
        raise DependencyUnavailable(f"could not place event {event.id} in the feed; the next sweep will")

    def get(self, event_id: str) -> Event | None:
        item = self._call(
            "get_item", Key={"pk": _s(f"event#{event_id}"), "sk": _s("-")}, ConsistentRead=True
        ).get("Item")
        return _event(item) if item else None

    def after(
        self, client_id: str, sequence: int, limit: int, types: tuple[str, ...]
    ) -> tuple[list[Event], int]:
        """Up to `limit` events after `sequence`, oldest first, and the sequence the next poll starts after.

        With a type filter, events of other types are read past: the returned position moves over them
        too, so the next poll does not read them again.
        """
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :feed AND sk > :after",
            "ConsistentRead": True,  # the feed's guarantee rests on reading every committed write
            "ScanIndexForward": True,
        }
        values: dict[str, Any] = {":feed": _s(f"feed#{client_id}"), ":after": _s(_padded(sequence))}
        if types:
            names = [f":t{index}" for index in range(len(types))]
            request["FilterExpression"] = f"#type IN ({', '.join(names)})"
            request["ExpressionAttributeNames"] = {"#type": "type"}
            values.update({name: _s(value) for name, value in zip(names, types, strict=True)})
        found: list[Event] = []
        position = sequence
        start: dict[str, Any] | None = None
        while True:
            page = self._call(
                "query",
                **request,
                ExpressionAttributeValues=values,
                Limit=limit - len(found),
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found += [_event(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if found:
                position = max(position, found[-1].sequence)
            if start:
                position = max(position, int(start["sk"]["S"]))
            if len(found) >= limit or not start:
                return found, position

    def _last_sequence(self, client_id: str) -> int:
        item = self._call(
            "get_item", Key={"pk": _s(f"sequence#{client_id}"), "sk": _s("-")}, ConsistentRead=True
        ).get("Item")
        return int(item["last"]["N"]) if item else 0

    @staticmethod
    def _attributes(event: Event) -> dict[str, Any]:
        return {
            "id": _s(event.id),
            "clientId": _s(event.client_id),
            "checkoutId": _s(event.checkout_id),
            "type": _s(event.type),
            "body": _s(event.body),
            "sequence": {"N": str(event.sequence)},
            "ttl": {"N": str(int(time.time() + EVENT_RETENTION.total_seconds()))},
        }


def _padded(sequence: int) -> str:
    return str(sequence).zfill(_WIDTH)


def _event(item: dict[str, Any]) -> Event:
    return Event(
        id=item["id"]["S"],
        client_id=item["clientId"]["S"],
        checkout_id=item["checkoutId"]["S"],
        type=item["type"]["S"],
        body=item["body"]["S"],
        sequence=int(item["sequence"]["N"]),
    )
