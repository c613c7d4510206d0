"""The only code that talks to the checkouts table.

Every write is conditional: a new checkout and its `(merchantId, reference)` guard go in one
transaction, and every later change is an `UpdateItem` on the version the caller read. Reads are
`GetItem` or an index `Query`; nothing here scans.
"""

from __future__ import annotations

import hashlib
import time
from functools import cache
from typing import TYPE_CHECKING, Any

from halotap.adapters.tables import DUE_INDEX, DUE_SHARDS, HALO_REFERENCE_INDEX, MERCHANT_CREATED_INDEX
from halotap.domain import timing
from halotap.domain.errors import ConcurrentUpdate, DependencyUnavailable, ReferenceAlreadyUsed
from halotap.domain.models import Checkout, HistoryEntry, Refund
from halotap.domain.refunds import MAX_REFUNDS_PER_CHECKOUT
from halotap.domain.states import CheckoutStatus

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    from botocore.exceptions import ClientError


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


def _to_item(values: dict[str, Any]) -> dict[str, Any]:
    serializer = _codec()[0]
    return {name: serializer.serialize(value) for name, value in values.items()}


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    deserializer = _codec()[1]
    return {name: deserializer.deserialize(value) for name, value in item.items()}


def _checkout(item: dict[str, Any]) -> Checkout:
    values = _from_item(item)
    for internal in ("pk", "ttl", "dueShard"):
        values.pop(internal, None)
    return Checkout.from_dict(values)


_THROTTLED = (
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _cancellation_reasons(error: Any) -> list[dict[str, Any]]:
    return list(error.response.get("CancellationReasons") or [])


def _assign(
    changes: dict[str, Any],
    names: dict[str, str],
    values: dict[str, Any],
    sets: list[str],
    removes: list[str],
) -> None:
    """Add `changes` (attribute names as stored; None removes) to an UpdateExpression being built.

    "notifications.evt_x.status" addresses a nested map entry: one name placeholder per part.
    """
    for index, (name, value) in enumerate(changes.items()):
        parts = name.split(".")
        path = ".".join(f"#f{index}_{depth}" for depth in range(len(parts)))
        names.update({f"#f{index}_{depth}": part for depth, part in enumerate(parts)})
        if value is None:
            removes.append(path)
            continue
        values[f":v{index}"] = value
        sets.append(f"{path} = :v{index}")


def applied(checkout: Checkout, changes: dict[str, Any], history: list[HistoryEntry]) -> Checkout:
    """`checkout` after `CheckoutStore.update` wrote `changes` and `history` at its version: what DynamoDB
    now holds, as `update` sets and removes it ("a.b" addresses a nested map entry; None removes)."""
    stored = checkout.to_dict()
    for name, value in changes.items():
        *parents, last = name.split(".")
        target = stored
        for part in parents:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    stored["version"] = checkout.version + 1
    stored["history"] = [*stored.get("history", []), *(entry.to_dict() for entry in history)]
    return Checkout.from_dict(stored)


class CheckoutStore:
    def __init__(self, table_name: str, client: Any = None, retention_days: int = 400) -> None:
        self._table = table_name
        self._client = client
        self._retention_seconds = retention_days * 86400

    @property
    def client(self) -> Any:
        if self._client is None:
            from halotap.adapters import aws

            self._client = aws.dynamodb()
        return self._client

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One DynamoDB call. Throttling that outlasts botocore's retries becomes a 503 the caller can retry."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as error:
            if _error_code(error) in (*_THROTTLED, "InternalServerError", "ServiceUnavailable"):
                raise DependencyUnavailable("DynamoDB is throttling or unavailable; retry shortly") from error
            raise
        except BotoCoreError as error:
            raise DependencyUnavailable("DynamoDB could not be reached; retry shortly") from error

    def _expiry(self) -> int:
        return int(time.time()) + self._retention_seconds

    def item(self, checkout: Checkout, ttl: int | None = None) -> dict[str, Any]:
        """The checkout as stored: its key, its attributes, its due shard and its TTL."""
        body = checkout.to_dict()
        if checkout.due_at:
            body["dueShard"] = due_shard(checkout.id)
        return {**checkout_key(checkout.id), **_to_item({**body, "ttl": ttl or self._expiry()})}

    def insert(self, checkout: Checkout) -> None:
        """Store a new checkout, unless the merchant already used its reference.

        A cancelled transaction is answered by its reasons: the reference guard's failed condition is
        `ReferenceAlreadyUsed`; a conflict with another transaction in flight on the same reference is
        retried here, a bounded number of times, and then reads as that reference being taken; throttling
        is `DependencyUnavailable`, which the API answers 503 with Retry-After.
        """
        from botocore.exceptions import ClientError

        ttl = self._expiry()
        guard = {"checkoutId": checkout.id, "createdAt": checkout.created_at, "ttl": ttl}
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self.item(checkout, ttl),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**reference_key(checkout.merchant_id, checkout.reference), **_to_item(guard)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        ]
        for _ in range(timing.RACE_RETRIES):
            try:
                self._call("transact_write_items", TransactItems=items)
                return
            except ClientError as error:
                if _error_code(error) != "TransactionCanceledException":
                    raise
                codes = [str(reason.get("Code") or "None") for reason in _cancellation_reasons(error)]
                if "ConditionalCheckFailed" in codes:
                    raise self._reference_taken(checkout, error) from None
                if any(code in _THROTTLED for code in codes):
                    raise DependencyUnavailable(
                        "DynamoDB is throttling; retry shortly", retryAfter=1
                    ) from error
                if "TransactionConflict" not in codes:
                    raise DependencyUnavailable(
                        f"the checkout could not be stored ({', '.join(codes)}); retry shortly"
                    ) from error
        # Still conflicting after every retry: another request holds this reference right now.
        raise ReferenceAlreadyUsed(
            f"merchant {checkout.merchant_id!r} is using reference {checkout.reference!r} in another request",
            checkoutId=self.checkout_id_for_reference(checkout.merchant_id, checkout.reference),
        )

    def _reference_taken(self, checkout: Checkout, error: Exception) -> ReferenceAlreadyUsed:
        reasons = _cancellation_reasons(error)
        guard = reasons[1] if len(reasons) > 1 else {}
        existing = (guard.get("Item") or {}).get("checkoutId", {}).get("S")
        if existing is None:
            existing = self.checkout_id_for_reference(checkout.merchant_id, checkout.reference)
        return ReferenceAlreadyUsed(
            f"merchant {checkout.merchant_id!r} already used reference {checkout.reference!r}",
            checkoutId=existing,
        )

    def get(self, checkout_id: str) -> Checkout | None:
        item = self._call(
            "get_item", TableName=self._table, Key=checkout_key(checkout_id), ConsistentRead=True
        ).get("Item")
        return _checkout(item) if item else None

    def checkout_id_for_reference(self, merchant_id: str, reference: str) -> str | None:
        item = self._call(
            "get_item", TableName=self._table, Key=reference_key(merchant_id, reference), ConsistentRead=True
        ).get("Item")
        return item["checkoutId"]["S"] if item else None

    def find_by_halo_reference(self, halo_reference: str) -> Checkout | None:
        """The fallback lookup for a Halo webhook without a usable merchantReference."""
        result = self._call(
            "query",
            TableName=self._table,
            IndexName=HALO_REFERENCE_INDEX,
            KeyConditionExpression="haloReference = :ref",
            ExpressionAttributeValues={":ref": {"S": halo_reference}},
            Limit=2,
        )
        items = result.get("Items", [])
        return _checkout(items[0]) if len(items) == 1 else None

    def update(self, checkout: Checkout, changes: dict[str, Any], history: list[HistoryEntry]) -> Checkout:
        """Apply `changes` (attribute names as stored) if the checkout is still at the version the caller read.

        A change to None removes the attribute. `dueAt` carries its shard with it: set, the checkout is
        in the due index; removed, it leaves the index.

        Returns the checkout as it now is, worked out here rather than read back (`ReturnValues` NONE):
        every write to a checkout moves its version, so the condition that passed means the item was
        exactly `checkout`, and it is now `checkout` with `changes` and `history` applied.
        """
        from botocore.exceptions import ClientError

        if "dueAt" in changes:
            changes = {**changes, "dueShard": due_shard(checkout.id) if changes["dueAt"] else None}
        names = {"#version": "version"}
        values: dict[str, Any] = {":expected": checkout.version, ":next": checkout.version + 1}
        sets, removes = ["#version = :next"], list[str]()
        _assign(changes, names, values, sets, removes)
        if history:
            names["#history"] = "history"
            values[":history"] = [entry.to_dict() for entry in history]
            values[":empty"] = []
            sets.append("#history = list_append(if_not_exists(#history, :empty), :history)")
        request = {
            "TableName": self._table,
            "Key": checkout_key(checkout.id),
            "UpdateExpression": "SET "
            + ", ".join(sets)
            + (" REMOVE " + ", ".join(removes) if removes else ""),
            "ConditionExpression": "#version = :expected",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": _to_item(values),
        }
        adds_refund = any(name.startswith("refunds.") for name in changes)
        for first in (True, False):
            try:
                self._call("update_item", **request)
                return applied(checkout, changes, history)
            except ClientError as error:
                if _error_code(error) == "ConditionalCheckFailedException":
                    raise ConcurrentUpdate(
                        f"checkout {checkout.id} changed since version {checkout.version}"
                    ) from None
                if _error_code(error) != "ValidationException" or not (first and adds_refund):
                    raise
                # A late approval's refund on a checkout stored before refunds existed: add the maps, once.
                self._add_refund_maps(checkout.id)
        raise AssertionError("unreachable")

    def reserve_refund(self, checkout: Checkout, refund: Refund, amount: int, limit: int) -> Checkout | None:
        """Add `refund` to the checkout if it is approved, the reference is new, and it fits. None if not.

        One UpdateItem whose condition is the rule itself: `reservedMinor + amount <= amount` (written
        as `reservedMinor <= limit`, with `limit` the checkout's amount less this refund's). However many
        requests race, DynamoDB lets through only those that fit; the caller re-reads to say why not.
        """
        from botocore.exceptions import ClientError

        names = {
            "#version": "version",
            "#status": "status",
            "#reserved": "reservedMinor",
            "#count": "refundCount",
            "#refunds": "refunds",
            "#refs": "refundReferences",
            "#id": refund.id,
            "#ref": refund.reference,
            "#updated": "updatedAt",
            "#due": "dueAt",
            "#shard": "dueShard",
        }
        body = refund.to_dict()
        values = {
            ":approved": CheckoutStatus.APPROVED.value,
            ":limit": limit,
            ":amount": amount,
            ":zero": 0,
            ":one": 1,
            ":max": MAX_REFUNDS_PER_CHECKOUT,
            ":refund": body,
            ":refund_id": refund.id,
            ":at": refund.created_at,
            ":due": refund.next_attempt_at,
            ":shard": due_shard(checkout.id),
        }
        update = (
            "SET #reserved = if_not_exists(#reserved, :zero) + :amount, "
            "#count = if_not_exists(#count, :zero) + :one, #refunds.#id = :refund, #refs.#ref = :refund_id, "
            "#version = #version + :one, #updated = :at, #due = :due, #shard = :shard"
        )
        condition = (
            "#status = :approved AND (attribute_not_exists(#reserved) OR #reserved <= :limit) "
            "AND attribute_not_exists(#refs.#ref) AND (attribute_not_exists(#count) OR #count < :max)"
        )
        for first in (True, False):
            try:
                result = self._call(
                    "update_item",
                    TableName=self._table,
                    Key=checkout_key(checkout.id),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=_to_item(values),
                    ReturnValues="ALL_NEW",
                )
                return _checkout(result["Attributes"])
            except ClientError as error:
                if _error_code(error) == "ConditionalCheckFailedException":
                    return None
                if _error_code(error) != "ValidationException" or not first:
                    raise
                # A checkout stored before refunds existed has no maps to add a refund to: add them, once.
                self._add_refund_maps(checkout.id)
        raise AssertionError("unreachable")

    def _add_refund_maps(self, checkout_id: str) -> None:
        self._call(
            "update_item",
            TableName=self._table,
            Key=checkout_key(checkout_id),
            UpdateExpression="SET #refunds = if_not_exists(#refunds, :empty), #refs = if_not_exists(#refs, :empty)",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#refunds": "refunds", "#refs": "refundReferences"},
            ExpressionAttributeValues={":empty": {"M": {}}},
        )

    def update_refund(
        self, checkout: Checkout, refund_id: str, changes: dict[str, Any], deltas: dict[str, int]
    ) -> Checkout | None:
        """Record Halo's answer on a refund that is still pending; None if it is not (settled meanwhile).

        Conditioned on the refund's own status, not on the checkout's version, so refunds of one checkout
        never contend with each other. Running totals move by `deltas`, added by DynamoDB itself.
        """
        from botocore.exceptions import ClientError

        if "dueAt" in changes:
            changes = {**changes, "dueShard": due_shard(checkout.id) if changes["dueAt"] else None}
        names = {"#version": "version", "#refunds": "refunds", "#id": refund_id, "#status": "status"}
        values: dict[str, Any] = {":one": 1, ":pending": "pending", **({":zero": 0} if deltas else {})}
        sets, removes = ["#version = #version + :one"], list[str]()
        _assign(changes, names, values, sets, removes)
        for index, (name, delta) in enumerate(deltas.items()):
            names[f"#d{index}"] = name
            values[f":d{index}"] = delta
            sets.append(f"#d{index} = if_not_exists(#d{index}, :zero) + :d{index}")
        try:
            result = self._call(
                "update_item",
                TableName=self._table,
                Key=checkout_key(checkout.id),
                UpdateExpression="SET "
                + ", ".join(sets)
                + (" REMOVE " + ", ".join(removes) if removes else ""),
                ConditionExpression="#refunds.#id.#status = :pending",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_to_item(values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        return _checkout(result["Attributes"])

    def due(self, shard: int, now: str, limit: int) -> list[Checkout]:
        """Up to `limit` checkouts of one shard whose next check is due by `now`, oldest first: a Query,
        never a Scan. A Query page stops at 1 MB (the index holds whole checkouts, about 1 to 10 KB each),
        so a backlog takes more than one page; without paging, the rest would wait for the next run."""
        found: list[Checkout] = []
        start: dict[str, Any] | None = None
        while len(found) < limit:
            page = self._call(
                "query",
                TableName=self._table,
                IndexName=DUE_INDEX,
                KeyConditionExpression="dueShard = :shard AND dueAt <= :now",
                ExpressionAttributeValues={":shard": {"S": str(shard)}, ":now": {"S": now}},
                Limit=limit - len(found),
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found += [_checkout(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return found

    def release_reference(self, checkout: Checkout) -> None:
        """Free the PSP's reference of a checkout that never opened, so the PSP can retry with it."""
        from botocore.exceptions import ClientError

        try:
            self._call(
                "delete_item",
                TableName=self._table,
                Key=reference_key(checkout.merchant_id, checkout.reference),
                ConditionExpression="checkoutId = :id",
                ExpressionAttributeValues={":id": {"S": checkout.id}},
            )
        except ClientError as error:
            if _error_code(error) != "ConditionalCheckFailedException":
                raise

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
            "TableName": self._table,
            "IndexName": MERCHANT_CREATED_INDEX,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
        }
        if statuses:
            names = [f":s{index}" for index in range(len(statuses))]
            request["FilterExpression"] = f"#status IN ({', '.join(names)})"
            request["ExpressionAttributeNames"] = {"#status": "status"}
            values.update(dict(zip(names, statuses, strict=True)))
        request["ExpressionAttributeValues"] = _to_item(values)
        start = (
            _to_item(
                {"pk": f"checkout#{after['id']}", "merchantId": merchant_id, "createdAt": after["createdAt"]}
            )
            if after
            else None
        )
        found: list[Checkout] = []
        while True:
            # One more than asked for, so a full page knows whether another follows.
            page = self._call(
                "query",
                **request,
                Limit=limit + 1,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found += [_checkout(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if len(found) > limit:
                last = found[limit - 1]
                return found[:limit], {"id": last.id, "createdAt": last.created_at}
            if not start:
                return found, None
