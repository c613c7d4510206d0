"""A PSP's webhook endpoints: where its notifications go, which it wants, and how each is signed.

A client has up to MAX_ENDPOINTS endpoints. The notification URL the operator configured in the clients
secret is one of them, `we_default`, signed with that secret's signing secrets, so nothing configured
before endpoints existed is lost: it is listed, counted and delivered to like any other. What the PSP then
changes about it (events, status, a rotated secret, its own URL) is stored beside the others and laid
over the secret's values (`default_endpoint`).

Each endpoint keeps its own delivery state: `failing_since` is the first failed attempt since its last
success. One that has failed without a single success for `disable_after` is disabled (`should_disable`).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from halotap.domain.clock import iso
from halotap.domain.errors import InvalidRequest
from halotap.domain.notifications import ALL_EVENT_TYPES
from halotap.domain.parties import Client

DEFAULT_ENDPOINT_ID = "we_default"
MAX_ENDPOINTS = 10
MAX_DESCRIPTION_CHARS = 200
MAX_URL_CHARS = 2048
ENABLED, DISABLED, DELETED = "enabled", "disabled", "deleted"
ALL_EVENTS = "*"
ENDPOINT_ID = re.compile(r"we_[a-z2-7]{26}|we_default")
# Only the default endpoint is ever stored as DELETED (a tombstone over the secret's URL); others go.
STATUSES = (ENABLED, DISABLED)
PING = "ping"
DISABLED_EVENT = "endpoint.disabled"


def new_endpoint_id() -> str:
    return "we_" + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()[:26]


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64 (the spec asks for 24 to 64)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def is_endpoint_id(value: str) -> bool:
    return ENDPOINT_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class Endpoint:
    """One webhook endpoint of one client. `secrets` sign every delivery; `previous` signs beside them
    until `previous_until`, so a PSP that rotates can switch its receiver without losing a delivery."""

    client_id: str
    id: str
    url: str | None
    enabled_events: tuple[str, ...] = (ALL_EVENTS,)
    status: str = ENABLED
    description: str | None = None
    created_at: str | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)
    previous: tuple[str, ...] = field(default=(), repr=False)
    previous_until: str | None = None
    failing_since: str | None = None
    disabled_at: str | None = None

    def but(self, **changes: Any) -> Endpoint:
        return replace(self, **changes)

    @property
    def enabled(self) -> bool:
        return self.status == ENABLED and bool(self.url) and bool(self.secrets)

    def wants(self, event_type: str) -> bool:
        return ALL_EVENTS in self.enabled_events or event_type in self.enabled_events

    def signing_secrets(self, now: datetime) -> tuple[str, ...]:
        """The secrets a delivery at `now` is signed with: the current ones, then any still overlapping."""
        if self.previous and self.previous_until is not None and iso(now) < self.previous_until:
            return self.secrets + tuple(s for s in self.previous if s not in self.secrets)
        return self.secrets

    def to_api(self, *, secret: bool = False) -> dict[str, Any]:
        """The endpoint as the API shows it. The secret only when it was just made (create, rotate)."""
        shown: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "enabledEvents": list(self.enabled_events),
            "status": self.status,
            "description": self.description,
            "createdAt": self.created_at,
            "failingSince": self.failing_since,
            "disabledAt": self.disabled_at,
        }
        if secret:
            shown["secret"] = self.secrets[0] if self.secrets else None
        return shown


def default_endpoint(client: Client, stored: Endpoint | None) -> Endpoint | None:
    """The client's `we_default`: the secret's notification URL and signing secrets, under whatever the
    PSP changed about it (`stored`). None when the client has no URL at all, or deleted it."""
    if stored is not None and stored.status == DELETED:
        return None
    base = Endpoint(
        client_id=client.client_id,
        id=DEFAULT_ENDPOINT_ID,
        url=client.notification_url,
        secrets=client.signing_secrets,
    )
    if stored is None:
        return base if base.url else None
    merged = stored.but(url=stored.url or base.url, secrets=stored.secrets or base.secrets)
    return merged if merged.url else None


def checked_events(value: Any) -> tuple[str, ...]:
    """`enabledEvents` as sent: ["*"] or a non-empty list of known event types; InvalidRequest otherwise."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _invalid("enabledEvents", 'must be ["*"] or a non-empty list of event types')
    if ALL_EVENTS in value:
        if len(value) != 1:
            raise _invalid("enabledEvents", '"*" stands alone: it already means every event type')
        return (ALL_EVENTS,)
    unknown = sorted({v for v in value if v not in ALL_EVENT_TYPES})
    if unknown:
        known = ", ".join(ALL_EVENT_TYPES)
        raise _invalid("enabledEvents", f"unknown event type(s) {', '.join(unknown)}; known: {known}")
    return tuple(dict.fromkeys(value))


def checked_url(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_URL_CHARS:
        raise _invalid("url", f"must be an https URL of at most {MAX_URL_CHARS} characters")
    return value


def checked_description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION_CHARS:
        raise _invalid("description", f"must be text of at most {MAX_DESCRIPTION_CHARS} characters")
    return value


def checked_status(value: Any) -> str:
    if value not in STATUSES:
        raise _invalid("status", "must be 'enabled' or 'disabled'")
    return str(value)


def checked_fields(body: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    extra = sorted(set(body) - set(allowed))
    if extra:
        raise _invalid(extra[0], "is not a field of this request")
    missing = [name for name in required if name not in body]
    if missing:
        raise _invalid(missing[0], "is required")
    return body


def should_disable(endpoint: Endpoint, now: datetime, disable_after: timedelta) -> bool:
    """Every delivery to the endpoint has failed since `failing_since`, and that is `disable_after` ago."""
    if endpoint.status != ENABLED or endpoint.failing_since is None:
        return False
    return endpoint.failing_since <= iso(now - disable_after)


def disabled_event_id(endpoint: Endpoint) -> str:
    """The same id however often the disabling is retried: one endpoint fails from one moment once."""
    since = (endpoint.failing_since or "").replace(":", "").replace("-", "").replace(".", "")
    return f"evt_{endpoint.id.removeprefix('we_')}_disabled_{since.lower()}"


def disabled_body(endpoint: Endpoint, at: datetime) -> str:
    data = {
        "endpointId": endpoint.id,
        "url": endpoint.url,
        "failingSince": endpoint.failing_since,
        "disabledAt": iso(at),
    }
    return json.dumps({"type": DISABLED_EVENT, "timestamp": iso(at), "data": data}, separators=(",", ":"))


def _invalid(name: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{name}: {message}", errors=[{"field": name, "message": message}])
