"""When to retry, and how long to wait: the same rule for the sync and the async client."""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

RETRIED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """`max_retries` more tries after the first; waits back off from `base_delay` to at most `max_delay`
    seconds, and a Retry-After is honoured up to `max_delay` (so one answer cannot stall a caller)."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 10.0

    def should_retry(self, response: httpx.Response, attempt: int) -> bool:
        if attempt >= self.max_retries:
            return False
        if response.status_code in RETRIED_STATUSES:
            return True
        return response.status_code == 409 and _code(response) == "idempotency_in_progress"

    def delay(self, response: httpx.Response, attempt: int) -> float:
        retry_after = _seconds(response.headers.get("retry-after"))
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        backoff = self.base_delay * 2**attempt
        # Full jitter: clients that failed together do not retry together.
        return min(random.uniform(backoff / 2, backoff), self.max_delay)  # noqa: S311 (not security)


def _seconds(value: str | None) -> float | None:
    """Retry-After as delay-seconds; an HTTP date (which halotap never sends) falls back to backoff."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0)


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None
