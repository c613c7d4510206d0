"""What the devstack's own logs and control APIs show of a secret: never the secret itself.

The Halo webhook URL carries its token in the path (/v1/halo/webhooks/<token>), and every Halo call
carries a merchant's x-api-key. Both are cut here, for the API emulator's access log, the simulator's
webhook log and its /_sim/requests answer alike.
"""

from __future__ import annotations

import re

REDACTED = "***"
_WEBHOOK_TOKEN = re.compile(r"(/halo/webhooks/)[^/?#\s]+")
SECRET_HEADERS = frozenset({"x-api-key", "authorization"})


def webhook_token(text: str) -> str:
    """`text` (a path or URL) with any Halo webhook token replaced by ***."""
    return _WEBHOOK_TOKEN.sub(rf"\g<1>{REDACTED}", text)


def key(value: str) -> str:
    """Enough of a key to tell keys apart in a test ("sim-…"), never enough to use it."""
    return value[:4] + "…" if len(value) > 8 else REDACTED


def headers(values: dict[str, str]) -> dict[str, str]:
    return {name: key(value) if name.lower() in SECRET_HEADERS else value for name, value in values.items()}
