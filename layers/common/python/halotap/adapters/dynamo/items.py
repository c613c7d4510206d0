"""A Checkout and its DynamoDB item, both ways: the only module that knows the item's attribute names.

The item is the checkout's stored form (`Checkout.to_dict`, camelCase) plus what only the table needs:
its key, its TTL and `dueShard`, the due index's partition, derived from the id whenever `dueAt` is set.

`changes` is how a write is worked out: the difference between two checkouts' stored forms, per top-level
attribute and, for the maps that several writers fill (`MAPS`), per entry, so that a write names only
the entries it changed and never clobbers one it did not.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import TYPE_CHECKING, Any

from halotap.adapters.tables import DUE_SHARDS
from halotap.domain.models import Checkout, HistoryEntry, Refund

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

Path = tuple[str, ...]

# Maps written entry by entry: a notification's delivery, a refund's answer, a refund reference.
MAPS = ("notifications", "refunds", "refundReferences")
# Written by the store itself, never diffed: the version moves on every write, history only grows.
VERSION, HISTORY = "version", "history"
DUE_AT, DUE_SHARD = "dueAt", "dueShard"
STATUS, UPDATED_AT = "status", "updatedAt"
RESERVED, REFUNDED, REFUND_COUNT = "reservedMinor", "refundedMinor", "refundCount"
REFUNDS, REFUND_REFERENCES = "refunds", "refundReferences"
_INTERNAL = ("pk", "ttl", DUE_SHARD)
# Running totals that refunds settled at once (not conditioned on the version) each move by their own
# amount: written as an addition by DynamoDB, never as a value read earlier.
TOTALS = (RESERVED, REFUNDED)


@cache
def _codec() -> tuple[TypeSerializer, TypeDeserializer]:
    """boto3's attribute-value codec, loaded on first use: importing boto3 costs a cold start ~160 ms."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def checkout_key(checkout_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"checkout#{checkout_id}"}}


def reference_key(merchant_id: str, reference: str) -> dict[str, Any]:
    return {"pk": {"S": f"ref#{merchant_id}#{reference}"}}


def due_shard(checkout_id: str) -> str:
    return str(int(hashlib.sha256(checkout_id.encode()).hexdigest()[:8], 16) % DUE_SHARDS)


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    serializer = _codec()[0]
    return {name: serializer.serialize(value) for name, value in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    deserializer = _codec()[1]
    return {name: deserializer.deserialize(value) for name, value in item.items()}


def value(plain: Any) -> dict[str, Any]:
    """One attribute value, as DynamoDB takes it."""
    return dict(_codec()[0].serialize(plain))


def checkout(item: dict[str, Any]) -> Checkout:
    values = from_item(item)
    for internal in _INTERNAL:
        values.pop(internal, None)
    return Checkout.from_dict(values)


def checkout_item(record: Checkout, ttl: int) -> dict[str, Any]:
    """The checkout as stored: its key, its attributes, its due shard and its TTL."""
    body = record.to_dict()
    if record.due_at:
        body[DUE_SHARD] = due_shard(record.id)
    return {**checkout_key(record.id), **to_item({**body, "ttl": ttl})}


def reference_item(record: Checkout, ttl: int) -> dict[str, Any]:
    """The guard that holds a merchant's reference for one checkout."""
    guard = {"checkoutId": record.id, "createdAt": record.created_at, "ttl": ttl}
    return {**reference_key(record.merchant_id, record.reference), **to_item(guard)}


def guarded_checkout_id(item: dict[str, Any]) -> str | None:
    """The checkout a reference guard (as DynamoDB returned it) holds the reference for."""
    found = (item or {}).get("checkoutId", {}).get("S")
    return str(found) if found is not None else None


def history(entries: tuple[HistoryEntry, ...] | list[HistoryEntry]) -> list[dict[str, Any]]:
    return [entry.to_dict() for entry in entries]


def refund(record: Refund) -> dict[str, Any]:
    return record.to_dict()


def changes(before: Checkout, after: Checkout, *, skip: tuple[str, ...] = ()) -> dict[Path, Any]:
    """What differs between two checkouts' stored forms, as attribute paths: a value to set, or None to
    remove. Maps in `MAPS` differ per entry. `dueAt` brings `dueShard` with it: set, the checkout is in
    the due index; removed, it leaves it. `skip` names attributes the caller writes its own way."""
    old, new = before.to_dict(), after.to_dict()
    found: dict[Path, Any] = {}
    for name in sorted(set(old) | set(new)):
        if name in (VERSION, HISTORY, *skip) or old.get(name) == new.get(name):
            continue
        if name in MAPS and isinstance(old.get(name), dict) and isinstance(new.get(name), dict):
            was, now = old[name], new[name]
            for key in sorted(set(was) | set(now)):
                if was.get(key) != now.get(key):
                    found[(name, key)] = now.get(key)
            continue
        found[(name,)] = new.get(name)
    if (DUE_AT,) in found:
        found[(DUE_SHARD,)] = due_shard(after.id) if found[(DUE_AT,)] is not None else None
    return found


def touches_refunds(paths: dict[Path, Any]) -> bool:
    """A write that adds a refund entry needs the maps to exist (an item stored before refunds did not)."""
    return any(path[0] in (REFUNDS, REFUND_REFERENCES) and len(path) > 1 for path in paths)
