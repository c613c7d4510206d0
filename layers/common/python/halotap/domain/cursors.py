"""Opaque page cursors: where a listing stopped, sealed with an HMAC and bound to who asked what.

A cursor names a position in one query of one client. The MAC covers the position and a binding (the
client id and the query's filters), so a cursor that was edited, or that comes from another client or
another query, fails the check and is answered `400 invalid_cursor` instead of reading another page
than the one it was handed out for. The key comes from the stack's `cursor-key` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from halotap.domain.errors import InvalidCursor

_MAC_BYTES = 16  # 128 bits: forging one is out of reach, and the cursor stays short

DEFAULT_PAGE_SIZE = 20  # items on a page of GET /v1/checkouts or GET /v1/events, unless `limit` says
MAX_PAGE_SIZE = 100


def _mac(key: bytes, binding: str, payload: bytes) -> bytes:
    return hmac.new(key, binding.encode() + b"\x00" + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def seal(key: bytes, binding: str, position: dict[str, Any]) -> str:
    payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(_mac(key, binding, payload) + payload).decode().rstrip("=")


def unseal(key: bytes, binding: str, cursor: str) -> dict[str, Any]:
    """The position a cursor names, if this key sealed it for this binding; InvalidCursor otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except ValueError:
        raw = b""
    mac, payload = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    if len(mac) != _MAC_BYTES or not hmac.compare_digest(mac, _mac(key, binding, payload)):
        raise InvalidCursor("the cursor was altered, or belongs to another API key or another query")
    position: Any = json.loads(payload)
    if not isinstance(position, dict):
        raise InvalidCursor("the cursor was altered, or belongs to another API key or another query")
    return position
