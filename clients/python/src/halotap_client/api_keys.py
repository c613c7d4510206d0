"""The API-key operations, mixed into both clients: list, create (the key is in the answer once), revoke."""

from __future__ import annotations

from typing import Any, Literal, TypedDict, cast

from halotap_client._calls import Call, segment, without_none


class ApiKey(TypedDict):
    id: str
    prefix: str | None  # None for a key the operator configured: only its hash is known
    label: str | None
    createdAt: str | None
    lastUsedAt: str | None  # to five minutes
    source: Literal["api", "operator"]


class ApiKeyCreated(ApiKey):
    key: str  # shown this once


class ApiKeyRevoked(ApiKey):
    status: Literal["revoked"]


def list_call() -> Call:
    return Call("GET", "/v1/api-keys")


def create_call(label: str | None) -> Call:
    return Call("POST", "/v1/api-keys", json=without_none({"label": label}))


def revoke_call(key_id: str) -> Call:
    return Call("DELETE", f"/v1/api-keys/{segment(key_id)}")


class ApiKeysMixin:
    def _send(self, call: Call) -> Any: ...

    def list_api_keys(self) -> list[ApiKey]:
        return cast(list[ApiKey], self._send(list_call())["data"])

    def create_api_key(self, *, label: str | None = None) -> ApiKeyCreated:
        """A new key for this client (at most 5 active: ConflictError key_limit_reached). Store `key` now."""
        return cast(ApiKeyCreated, self._send(create_call(label)))

    def revoke_api_key(self, key_id: str) -> ApiKeyRevoked:
        """Refused everywhere within 60 s. The client's last key cannot be revoked: ConflictError last_key."""
        return cast(ApiKeyRevoked, self._send(revoke_call(key_id)))


class AsyncApiKeysMixin:
    async def _send(self, call: Call) -> Any: ...

    async def list_api_keys(self) -> list[ApiKey]:
        return cast(list[ApiKey], (await self._send(list_call()))["data"])

    async def create_api_key(self, *, label: str | None = None) -> ApiKeyCreated:
        return cast(ApiKeyCreated, await self._send(create_call(label)))

    async def revoke_api_key(self, key_id: str) -> ApiKeyRevoked:
        return cast(ApiKeyRevoked, await self._send(revoke_call(key_id)))
