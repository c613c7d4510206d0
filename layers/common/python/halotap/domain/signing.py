"""Standard Webhooks signatures for halotap's notifications to a PSP.

`webhook-signature` is `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the bytes
after `whsec_`. A header carries one signature per active secret, so a PSP can rotate its secret:
halotap signs with old and new, the receiver accepts whichever it knows.

Error messages never quote a secret: they end up in logs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
MIN_SECRET_BYTES = 24  # the Standard Webhooks spec's floor
USER_AGENT = "halotap-webhooks/1"


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_` secret stands for; ValueError, without the secret, when it is malformed."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook signing secret must start with {SECRET_PREFIX!r}")
    encoded = secret[len(SECRET_PREFIX) :]
    # Some generators drop the base64 padding; the reference libraries accept that, so does halotap.
    encoded += "=" * (-len(encoded) % 4)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook signing secret must be base64 after 'whsec_'") from None
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"a webhook signing secret must decode to at least {MIN_SECRET_BYTES} bytes")
    return key


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of `{id}.{timestamp}.{body}`."""
    signed = b"%s.%d.%s" % (webhook_id.encode(), timestamp, body)
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets: Sequence[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one signature per active secret, space-separated."""
    if isinstance(secrets, str):  # a lone string would be signed character by character
        raise TypeError("secrets must be a sequence of secrets, not one string")
    if not secrets:
        raise ValueError("at least one webhook signing secret is needed")
    return " ".join(sign(secret, webhook_id, timestamp, body) for secret in secrets)


def headers(secrets: Sequence[str], webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header of one delivery attempt.

    Keep `webhook_id` across retries (receivers deduplicate on it) but pass each attempt's own time as
    `timestamp`: receivers reject a timestamp more than 5 minutes old, and retries run for hours.
    """
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, webhook_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
