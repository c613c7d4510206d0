"""A PSP client's API keys as the client manages them itself (issue 20): what is stored, what is shown.

Only a key's SHA-256 is stored. A key is shown once, when it is made; afterwards it is named by its id
("key_" and the first 16 hex characters of its hash) and recognised by its prefix (its first characters,
which say nothing useful about the rest: the key is 256 random bits after a fixed "htk_").

Keys the operator configured in the clients secret before keys had an API ("operator" keys) are listed
beside them, with what is known of them: their hash, hence their id, and their last use from the day the
authorizer first sees them. They count toward the limit and may be revoked like any other.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from halotap.domain.clock import iso
from halotap.domain.parties import hash_api_key

MAX_ACTIVE_KEYS = 5
KEY_PREFIX = "htk_"
SHOWN_PREFIX_LENGTH = (
    len(KEY_PREFIX) + 6
)  # "htk_" and 6 random characters: 36 bits, enough to tell keys apart
MAX_LABEL_LENGTH = 100
# lastUsedAt is kept to this resolution: the authorizer writes it at most once per key per period, so a busy
# key costs one conditional write every five minutes, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=5)
# A revoked key stops working within this: API Gateway caches the authorizer's answer for this long
# (infra/api.py, AUTHORIZER_CACHE_TTL), and the authorizer itself reads the key's state on every call.
REVOCATION_SECONDS = 60
SOURCE_API = "api"
SOURCE_OPERATOR = "operator"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_id(key_hash: str) -> str:
    return "key_" + key_hash[:16]


@dataclass(frozen=True)
class ApiKey:
    """One active key of a client. `key_hash` is the SHA-256 the authorizer looks the key up by."""

    key_hash: str = field(repr=False)
    client_id: str
    prefix: str | None  # unknown for an operator key: only its hash was ever stored
    label: str | None
    created_at: str | None  # RFC 3339; unknown for an operator key
    source: str = SOURCE_API
    last_used_at: str | None = None

    @property
    def id(self) -> str:
        return key_id(self.key_hash)

    @classmethod
    def made(cls, client_id: str, secret: str, label: str | None, now: datetime) -> ApiKey:
        return cls(
            key_hash=hash_api_key(secret),
            client_id=client_id,
            prefix=secret[:SHOWN_PREFIX_LENGTH],
            label=label,
            created_at=iso(now),
        )

    @classmethod
    def configured(cls, client_id: str, key_hash: str) -> ApiKey:
        return cls(key_hash, client_id, None, None, None, SOURCE_OPERATOR)

    def used(self, last_used_at: str | None) -> ApiKey:
        return replace(self, last_used_at=last_used_at)

    def to_api(self) -> dict[str, object]:
        return {
            "id": self.id,
            "prefix": self.prefix,
            "label": self.label,
            "createdAt": self.created_at,
            "lastUsedAt": self.last_used_at,
            "source": self.source,
        }


@dataclass(frozen=True)
class KeyState:
    """What the lookup item keyed by a key's hash says: whose key it is, whether revoked, its last use."""

    client_id: str
    revoked: bool = False
    last_used_at: str | None = None
    # False for an operator key, whose item the authorizer made on first use only to keep its last use:
    # such a key stays valid only while its hash is in the clients secret.
    made_by_api: bool = False

    def needs_touch(self, now: datetime) -> bool:
        """True when lastUsedAt is older than the resolution: the one request per period that writes it."""
        if self.revoked:
            return False
        return self.last_used_at is None or self.last_used_at < iso(now - LAST_USED_RESOLUTION)


@dataclass(frozen=True)
class KeyRing:
    """A client's API-made keys as read, with the version every change of them is conditional on."""

    client_id: str
    version: int
    keys: tuple[ApiKey, ...] = ()


def clean_label(value: object) -> str | None:
    """The label as given, or None; ValueError naming the rule when it breaks it."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("label must be a string")
    label = " ".join(value.split())
    if not label:
        return None
    if len(label) > MAX_LABEL_LENGTH or not label.isprintable():
        raise ValueError(f"label must be at most {MAX_LABEL_LENGTH} printable characters")
    return label
