"""API keys by API (issue 20): a client lists, makes and revokes its own keys; the authorizer checks them.

Every change of a client's keys is conditional on its key ring's version (`ApiKeyStore`), so two racing
creates cannot both take the fifth place, and two racing revokes cannot both leave the client keyless:
the loser reads again and decides again. Keys the operator put in the clients secret stay valid; they are
listed, counted and revoked beside the API's own (domain/api_keys.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from halotap.domain.api_keys import MAX_ACTIVE_KEYS, ApiKey, KeyRing, KeyState, new_api_key
from halotap.domain.clock import iso, utc_now
from halotap.domain.errors import (
    ApiKeyNotFound,
    ConcurrentUpdate,
    DependencyUnavailable,
    KeyLimitReached,
    LastKey,
    Unauthorized,
)
from halotap.domain.parties import Caller, Client, find_client, hash_api_key

logger = logging.getLogger(__name__)

ATTEMPTS = 5  # reads-and-decides again after a lost race; clients rarely change keys at once


class ApiKeyStore(Protocol):
    """The integrations table's key items (adapters/dynamo/api_keys.py; tests/memory/api_keys.py)."""

    def ring(self, client_id: str) -> KeyRing: ...
    def states(self, key_hashes: Iterable[str]) -> dict[str, KeyState]: ...
    def state(self, key_hash: str) -> KeyState | None: ...
    def add(self, ring: KeyRing, key: ApiKey) -> None: ...  # ConcurrentUpdate if the ring moved
    def revoke(self, ring: KeyRing, key: ApiKey) -> None: ...  # ConcurrentUpdate if the ring moved
    def touch(self, key_hash: str, client_id: str, at: str) -> None: ...


class ClientDirectory(Protocol):
    def clients(self) -> list[Client]: ...


@dataclass(frozen=True)
class MadeKey:
    key: ApiKey
    secret: str

    def to_api(self) -> dict[str, object]:
        return {**self.key.to_api(), "key": self.secret}


class ApiKeyService:
    def __init__(
        self,
        store: ApiKeyStore,
        directory: ClientDirectory,
        *,
        clock: Callable[[], datetime] = utc_now,
        new_secret: Callable[[], str] = new_api_key,
    ) -> None:
        self._store = store
        self._directory = directory
        self._clock = clock
        self._new_secret = new_secret

    # -- the PSP's own calls ----------------------------------------------------------------------------
    def list_keys(self, caller: Caller) -> list[ApiKey]:
        _, keys = self._active(caller.client_id)
        return keys

    def create(self, caller: Caller, label: str | None) -> MadeKey:
        for _ in range(ATTEMPTS):
            ring, keys = self._active(caller.client_id)
            if len(keys) >= MAX_ACTIVE_KEYS:
                raise KeyLimitReached(
                    f"this client has {len(keys)} active API keys, the most it may have; revoke one first",
                    limit=MAX_ACTIVE_KEYS,
                )
            secret = self._new_secret()
            made = ApiKey.made(caller.client_id, secret, label, self._clock())
            try:
                self._store.add(ring, made)
            except ConcurrentUpdate:
                continue
            logger.info("API key created", extra={"clientId": caller.client_id, "keyId": made.id})
            return MadeKey(made, secret)
        raise ConcurrentUpdate("the client's keys changed while this request ran; retry")

    def revoke(self, caller: Caller, key_id: str) -> ApiKey:
        for _ in range(ATTEMPTS):
            ring, keys = self._active(caller.client_id)
            key = next((k for k in keys if k.id == key_id), None)
            if key is None:
                raise ApiKeyNotFound(f"no active API key {key_id!r}")
            if len(keys) == 1:
                raise LastKey("this is the client's only active API key; create another before revoking it")
            try:
                self._store.revoke(ring, key)
            except ConcurrentUpdate:
                continue
            logger.info("API key revoked", extra={"clientId": caller.client_id, "keyId": key.id})
            return key
        raise ConcurrentUpdate("the client's keys changed while this request ran; retry")

    # -- the authorizer ---------------------------------------------------------------------------------
    def authenticate(self, secret: str) -> Client | None:
        """The client owning this key, or None: unknown, revoked, or its client gone from the secret.

        One GetItem on the key's hash. A key the table does not know may be an operator key in the
        clients secret (checked in constant time by find_client). A revoked operator key is refused by
        its tombstone here, although its hash is still in the secret.
        """
        key_hash = hash_api_key(secret)
        state = self._store.state(key_hash)
        if state is not None and state.revoked:
            return None
        clients = self._directory.clients()
        if state is not None and state.made_by_api:
            client = next((c for c in clients if c.client_id == state.client_id), None)
        else:
            # An operator key is valid while its hash is in the secret: `revoke-key` removes it there.
            client = find_client(secret, clients)
        if client is None or (state is not None and state.client_id != client.client_id):
            return None
        now = self._clock()
        if state is None or state.needs_touch(now):
            self._touch(key_hash, client.client_id, iso(now))
        return client

    def _touch(self, key_hash: str, client_id: str, at: str) -> None:
        # lastUsedAt is bookkeeping: a failed write (a race with another container, a throttle) must not
        # refuse a good key.
        try:
            self._store.touch(key_hash, client_id, at)
        except (ConcurrentUpdate, DependencyUnavailable):
            logger.info("lastUsedAt not recorded this time", extra={"clientId": client_id})

    # -- shared -----------------------------------------------------------------------------------------
    def _active(self, client_id: str) -> tuple[KeyRing, list[ApiKey]]:
        """The ring as read and every active key: the API's, then the operator's still in the secret."""
        client = next((c for c in self._directory.clients() if c.client_id == client_id), None)
        if client is None:
            raise Unauthorized("this client is no longer configured")
        ring = self._store.ring(client_id)
        made = {k.key_hash: k for k in ring.keys}
        configured = [
            ApiKey.configured(client_id, h) for h in dict.fromkeys(client.key_hashes) if h not in made
        ]
        candidates = [*ring.keys, *configured]
        states = self._store.states(k.key_hash for k in candidates)
        keys = []
        for key in candidates:
            state = states.get(key.key_hash)
            if state is not None and (state.revoked or state.client_id != client_id):
                continue
            keys.append(key.used(state.last_used_at if state else None))
        return ring, keys
