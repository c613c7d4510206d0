"""The only code that talks to the integrations table about webhook endpoints.

Items (infra/manifest.py, INTEGRATIONS), one partition per client:
- `client#<id>` / `endpoint#we_...`: one endpoint. Its signing secrets are KMS ciphertext
  (adapters/kms.py), never plaintext. `we_default` holds only what the PSP changed about the default
  endpoint; the clients secret holds the rest (domain/endpoints.py).
- `client#<id>` / `endpoint#count`: how many endpoints besides `we_default` the client has. Adding one
  moves it in the same transaction, conditional on the limit, so two racing creates cannot both be the
  tenth. (The API key items, `key#...` and `keyhash#...`, are another module's.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from halotap.adapters.dynamo.table import Table
from halotap.adapters.kms import SecretSealer
from halotap.domain.endpoints import DISABLED, ENABLED, Endpoint
from halotap.domain.errors import ConcurrentUpdate

_COUNT = "endpoint#count"
_PREFIX = "endpoint#we_"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _key(client_id: str, sk: str) -> dict[str, Any]:
    return {"pk": _s(f"client#{client_id}"), "sk": _s(sk)}


class DynamoEndpointStore:
    def __init__(self, table_name: Callable[[], str], sealer: SecretSealer, client: Any = None) -> None:
        self.table = Table(table_name, client)
        self.sealer = sealer

    def _call(self, operation: str, **kwargs: Any) -> Any:
        return self.table.call(operation, TableName=self.table.name, **kwargs)

    def list(self, client_id: str) -> list[Endpoint]:
        found: list[Endpoint] = []
        start: dict[str, Any] | None = None
        while True:
            page = self._call(
                "query",
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": _s(f"client#{client_id}"), ":prefix": _s(_PREFIX)},
                ConsistentRead=True,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found += [self._endpoint(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found

    def get(self, client_id: str, endpoint_id: str) -> Endpoint | None:
        item = self._call(
            "get_item", Key=_key(client_id, f"endpoint#{endpoint_id}"), ConsistentRead=True
        ).get("Item")
        return self._endpoint(item) if item else None

    def add(self, endpoint: Endpoint, limit: int) -> bool:
        table = self.table.name
        reasons = self.table.transact(
            [
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key(endpoint.client_id, _COUNT),
                        "UpdateExpression": "SET #n = if_not_exists(#n, :zero) + :one",
                        "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
                        "ExpressionAttributeNames": {"#n": "count"},
                        "ExpressionAttributeValues": {
                            ":zero": {"N": "0"},
                            ":one": {"N": "1"},
                            ":limit": {"N": str(limit)},
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": self._item(endpoint),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
        return reasons is None

    def put(self, endpoint: Endpoint) -> None:
        self._call("put_item", Item=self._item(endpoint))

    def remove(self, client_id: str, endpoint_id: str) -> bool:
        table = self.table.name
        reasons = self.table.transact(
            [
                {
                    "Delete": {
                        "TableName": table,
                        "Key": _key(client_id, f"endpoint#{endpoint_id}"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key(client_id, _COUNT),
                        "UpdateExpression": "SET #n = #n - :one",
                        "ConditionExpression": "#n > :zero",
                        "ExpressionAttributeNames": {"#n": "count"},
                        "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}},
                    }
                },
            ]
        )
        return reasons is None

    def mark_failing(self, client_id: str, endpoint_id: str, since: str) -> None:
        # On we_default with nothing stored this creates its record, holding only this state.
        self._quietly(
            Key=_key(client_id, f"endpoint#{endpoint_id}"),
            UpdateExpression="SET failingSince = :since, id = :id, clientId = :client",
            ConditionExpression="attribute_not_exists(failingSince)"
            + ("" if endpoint_id == "we_default" else " AND attribute_exists(pk)"),
            ExpressionAttributeValues={
                ":since": _s(since),
                ":id": _s(endpoint_id),
                ":client": _s(client_id),
            },
        )

    def mark_working(self, client_id: str, endpoint_id: str) -> None:
        self._quietly(
            Key=_key(client_id, f"endpoint#{endpoint_id}"),
            UpdateExpression="REMOVE failingSince",
            ConditionExpression="attribute_exists(failingSince)",
        )

    def disable(self, client_id: str, endpoint_id: str, failing_since: str, at: str) -> bool:
        return self._quietly(
            Key=_key(client_id, f"endpoint#{endpoint_id}"),
            UpdateExpression="SET #status = :disabled, disabledAt = :at",
            ConditionExpression="failingSince = :since AND (attribute_not_exists(#status) OR #status = :enabled)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":disabled": _s(DISABLED),
                ":enabled": _s(ENABLED),
                ":at": _s(at),
                ":since": _s(failing_since),
            },
        )

    def _quietly(self, **update: Any) -> bool:
        """A state write that is moot when its condition fails (another attempt wrote it first)."""
        try:
            self._call("update_item", **update)
        except ConcurrentUpdate:
            return False
        return True

    def _item(self, endpoint: Endpoint) -> dict[str, Any]:
        item: dict[str, Any] = {
            **_key(endpoint.client_id, f"endpoint#{endpoint.id}"),
            "id": _s(endpoint.id),
            "clientId": _s(endpoint.client_id),
            "enabledEvents": {"L": [_s(e) for e in endpoint.enabled_events]},
            "status": _s(endpoint.status),
        }
        optional = {
            "url": endpoint.url,
            "description": endpoint.description,
            "createdAt": endpoint.created_at,
            "previousUntil": endpoint.previous_until,
            "failingSince": endpoint.failing_since,
            "disabledAt": endpoint.disabled_at,
        }
        item.update({name: _s(value) for name, value in optional.items() if value is not None})
        for name, secrets in (("secrets", endpoint.secrets), ("previous", endpoint.previous)):
            if secrets:
                item[name] = _s(self.sealer.seal(secrets, endpoint.client_id, endpoint.id, name))
        return item

    def _endpoint(self, item: dict[str, Any]) -> Endpoint:
        client_id, endpoint_id = item["clientId"]["S"], item["id"]["S"]

        def text(name: str) -> str | None:
            return item[name]["S"] if name in item else None

        def sealed(name: str) -> tuple[str, ...]:
            if name not in item:
                return ()
            return self.sealer.open(item[name]["S"], client_id, endpoint_id, name)

        events = tuple(e["S"] for e in item["enabledEvents"]["L"]) if "enabledEvents" in item else ("*",)
        return Endpoint(
            client_id=client_id,
            id=endpoint_id,
            url=text("url"),
            enabled_events=events,
            status=text("status") or ENABLED,
            description=text("description"),
            created_at=text("createdAt"),
            secrets=sealed("secrets"),
            previous=sealed("previous"),
            previous_until=text("previousUntil"),
            failing_since=text("failingSince"),
            disabled_at=text("disabledAt"),
        )
