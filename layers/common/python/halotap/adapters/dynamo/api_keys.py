"""API keys in the integrations table (issue 20), the port `halotap.app.api_keys.ApiKeyStore`.

Three kinds of item, all in the one table the webhook endpoints share (those use sk "endpoint#..."):

- pk "client#<id>", sk "keyring": {version}. Every create and revoke moves it, in the same transaction,
  conditional on the version the use case read: the optimistic lock that keeps the five-key limit and
  the last-key rule true under racing requests.
- pk "client#<id>", sk "key#<keyId>": an API-made key as listed: its hash, prefix, label, creation time.
- pk "keyhash#<sha256>", sk "key": the authorizer's lookup, one GetItem per uncached request:
  {clientId, status: active|revoked, lastUsedAt}. A revoked key keeps this item as a tombstone (an
  operator key's for good, since its hash may stay in the clients secret; an API key's for a while).

Nothing here holds a key: a leaked table gives hashes of 256-bit random keys (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from halotap.adapters.dynamo.table import Table
from halotap.domain.api_keys import SOURCE_API, SOURCE_OPERATOR, ApiKey, KeyRing, KeyState
from halotap.domain.clock import iso, utc_now
from halotap.domain.errors import ConcurrentUpdate

ACTIVE, REVOKED = "active", "revoked"
# How long an API-made key's tombstone is kept. Past it, the key is simply unknown, which is as refused.
TOMBSTONE_DAYS = 90
BATCH = 100  # BatchGetItem's most keys per call


def _client_pk(client_id: str) -> dict[str, str]:
    return {"S": f"client#{client_id}"}


def _lookup_key(key_hash: str) -> dict[str, Any]:
    return {"pk": {"S": f"keyhash#{key_hash}"}, "sk": {"S": "key"}}


def _s(value: str | None) -> dict[str, Any]:
    return {"S": value} if value is not None else {"NULL": True}


def _text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name) or {}
    return str(value["S"]) if "S" in value else None


def _state(item: dict[str, Any]) -> KeyState:
    return KeyState(
        client_id=_text(item, "clientId") or "",
        revoked=_text(item, "status") == REVOKED,
        last_used_at=_text(item, "lastUsedAt"),
        made_by_api=_text(item, "source") == SOURCE_API,
    )


class DynamoApiKeyStore:
    def __init__(
        self, table_name: str | Callable[[], str], client: Any = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._table = Table(table_name, client)
        self._clock = clock

    def ring(self, client_id: str) -> KeyRing:
        found = self._table.call(
            "query",
            TableName=self._table.name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :key)",
            ExpressionAttributeValues={":pk": _client_pk(client_id), ":key": {"S": "key"}},
            ConsistentRead=True,
        )
        version, keys = 0, []
        for item in found.get("Items", []):
            if item["sk"]["S"] == "keyring":
                version = int(item["version"]["N"])
            elif item["sk"]["S"].startswith("key#"):
                keys.append(
                    ApiKey(
                        key_hash=str(item["keyHash"]["S"]),
                        client_id=client_id,
                        prefix=_text(item, "prefix"),
                        label=_text(item, "label"),
                        created_at=_text(item, "createdAt"),
                    )
                )
        keys.sort(key=lambda k: (k.created_at or "", k.id))
        return KeyRing(client_id, version, tuple(keys))

    def state(self, key_hash: str) -> KeyState | None:
        found = self._table.call(
            "get_item", TableName=self._table.name, Key=_lookup_key(key_hash), ConsistentRead=True
        )
        item = found.get("Item")
        return _state(item) if item else None

    def states(self, key_hashes: Iterable[str]) -> dict[str, KeyState]:
        hashes = list(dict.fromkeys(key_hashes))
        found: dict[str, KeyState] = {}
        for start in range(0, len(hashes), BATCH):
            request: dict[str, Any] = {
                self._table.name: {
                    "Keys": [_lookup_key(h) for h in hashes[start : start + BATCH]],
                    "ConsistentRead": True,
                }
            }
            while request:
                answer = self._table.call("batch_get_item", RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table.name, []):
                    found[item["pk"]["S"].removeprefix("keyhash#")] = _state(item)
                request = answer.get("UnprocessedKeys") or {}
        return found

    def add(self, ring: KeyRing, key: ApiKey) -> None:
        client_pk = _client_pk(ring.client_id)
        self._commit(
            ring,
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": {
                        "pk": client_pk,
                        "sk": {"S": f"key#{key.id}"},
                        "keyHash": {"S": key.key_hash},
                        "prefix": _s(key.prefix),
                        "label": _s(key.label),
                        "createdAt": _s(key.created_at),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": {
                        **_lookup_key(key.key_hash),
                        "clientId": {"S": ring.client_id},
                        "status": {"S": ACTIVE},
                        "source": {"S": SOURCE_API},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def revoke(self, ring: KeyRing, key: ApiKey) -> None:
        tombstone: dict[str, Any] = {
            **_lookup_key(key.key_hash),
            "clientId": {"S": ring.client_id},
            "status": {"S": REVOKED},
            "source": {"S": key.source},
            "revokedAt": {"S": iso(self._clock())},
        }
        writes: list[dict[str, Any]] = []
        if key.source == SOURCE_API:
            expires = self._clock() + timedelta(days=TOMBSTONE_DAYS)
            tombstone["ttl"] = {"N": str(int(expires.timestamp()))}
            writes.append(
                {
                    "Delete": {
                        "TableName": self._table.name,
                        "Key": {"pk": _client_pk(ring.client_id), "sk": {"S": f"key#{key.id}"}},
                    }
                }
            )
        # A tombstone with lastUsedAt dropped: the key's last use is no longer anyone's business.
        writes.append({"Put": {"TableName": self._table.name, "Item": tombstone}})
        self._commit(ring, *writes)

    def touch(self, key_hash: str, client_id: str, at: str) -> None:
        """lastUsedAt = at, only if it is older (or the item is new for an operator key) and not revoked."""
        self._table.call(
            "update_item",
            TableName=self._table.name,
            Key=_lookup_key(key_hash),
            UpdateExpression="SET lastUsedAt = :at, clientId = if_not_exists(clientId, :client), "
            "#status = if_not_exists(#status, :active), #source = if_not_exists(#source, :operator)",
            ConditionExpression="attribute_not_exists(pk) OR "
            "(#status = :active AND clientId = :client AND "
            "(attribute_not_exists(lastUsedAt) OR lastUsedAt < :at))",
            ExpressionAttributeNames={"#status": "status", "#source": "source"},
            ExpressionAttributeValues={
                ":at": {"S": at},
                ":client": {"S": client_id},
                ":active": {"S": ACTIVE},
                ":operator": {"S": SOURCE_OPERATOR},
            },
        )

    def _commit(self, ring: KeyRing, *writes: dict[str, Any]) -> None:
        moved = {
            "Update": {
                "TableName": self._table.name,
                "Key": {"pk": _client_pk(ring.client_id), "sk": {"S": "keyring"}},
                "UpdateExpression": "SET version = :next",
                "ConditionExpression": "version = :read" if ring.version else "attribute_not_exists(version)",
                "ExpressionAttributeValues": {
                    ":next": {"N": str(ring.version + 1)},
                    **({":read": {"N": str(ring.version)}} if ring.version else {}),
                },
            }
        }
        if self._table.transact([moved, *writes]) is not None:
            raise ConcurrentUpdate("the client's keys changed since they were read")
