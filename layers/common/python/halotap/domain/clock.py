"""Time as halotap reads and writes it: now in UTC, and the wire format of a timestamp.

Its own module, apart from the pydantic models, so that code needing only a timestamp (webhook intake,
the Halo client) does not import pydantic at a cold start.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Timestamps on the wire: UTC, millisecond precision, `Z` suffix."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
