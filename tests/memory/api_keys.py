"""The integrations table's key items in memory: the port `halotap.app.api_keys.ApiKeyStore`.

Same conditions as adapters/dynamo/api_keys.py: a change of a client's keys fails with ConcurrentUpdate
when the ring's version moved since it was read; lastUsedAt moves forward only, and never on a revoked key.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace

from halotap.domain.api_keys import SOURCE_API, ApiKey, KeyRing, KeyState
from halotap.domain.errors import ConcurrentUpdate


class MemoryApiKeyStore:
    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.keys: dict[str, dict[str, ApiKey]] = {}  # client id -> key hash -> key
        self.lookups: dict[str, KeyState] = {}  # key hash -> state
        self.touches = 0  # lastUsedAt writes, to show how few there are
        self._lock = threading.Lock()

    def ring(self, client_id: str) -> KeyRing:
        with self._lock:
            keys = sorted(self.keys.get(client_id, {}).values(), key=lambda k: (k.created_at or "", k.id))
            return KeyRing(client_id, self.versions.get(client_id, 0), tuple(keys))

    def states(self, key_hashes: Iterable[str]) -> dict[str, KeyState]:
        with self._lock:
            return {h: self.lookups[h] for h in key_hashes if h in self.lookups}

    def state(self, key_hash: str) -> KeyState | None:
        with self._lock:
            return self.lookups.get(key_hash)

    def add(self, ring: KeyRing, key: ApiKey) -> None:
        with self._lock:
            self._move(ring)
            self.keys.setdefault(ring.client_id, {})[key.key_hash] = key
            self.lookups[key.key_hash] = KeyState(ring.client_id, made_by_api=True)

    def revoke(self, ring: KeyRing, key: ApiKey) -> None:
        with self._lock:
            self._move(ring)
            if key.source == SOURCE_API:
                self.keys.get(ring.client_id, {}).pop(key.key_hash, None)
            self.lookups[key.key_hash] = KeyState(
                ring.client_id, revoked=True, made_by_api=key.source == SOURCE_API
            )

    def touch(self, key_hash: str, client_id: str, at: str) -> None:
        with self._lock:
            state = self.lookups.get(key_hash)
            if state is not None and (
                state.revoked
                or state.client_id != client_id
                or (state.last_used_at is not None and state.last_used_at >= at)
            ):
                raise ConcurrentUpdate("not touched")
            self.lookups[key_hash] = replace(state or KeyState(client_id), last_used_at=at)
            self.touches += 1

    def _move(self, ring: KeyRing) -> None:
        if self.versions.get(ring.client_id, 0) != ring.version:
            raise ConcurrentUpdate("the client's keys changed since they were read")
        self.versions[ring.client_id] = ring.version + 1
