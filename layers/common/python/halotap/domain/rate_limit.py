"""Rate limits per PSP client (issue 20): a token bucket, the rule API Gateway's usage plans apply.

Deployed, API Gateway enforces it (a usage plan per limit, keyed by the usageIdentifierKey the authorizer
returns; infra/api.py, tools/usage_plans.py); the devstack's API emulator applies this same bucket per
client (devstack/apigw.py), so a burst meets the same 429s locally as on AWS.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_RATE = 25  # requests per second, steady
DEFAULT_BURST = 50  # requests at once, after a quiet spell
MAX_RATE = 10_000  # API Gateway's default account limit per region: no client can be given more


class InvalidRateLimit(ValueError):
    pass


@dataclass(frozen=True)
class RateLimit:
    rate: int = DEFAULT_RATE
    burst: int = DEFAULT_BURST

    def __post_init__(self) -> None:
        if not 1 <= self.rate <= MAX_RATE:
            raise InvalidRateLimit(f"rate must be 1 to {MAX_RATE} requests per second, not {self.rate}")
        if not self.rate <= self.burst <= 2 * MAX_RATE:
            raise InvalidRateLimit(
                f"burst must be at least the rate ({self.rate}) and at most {2 * MAX_RATE}"
            )

    @property
    def is_default(self) -> bool:
        return self == RateLimit()

    @classmethod
    def parse(cls, record: Any) -> RateLimit:
        """A client's "rateLimit" {rate, burst}; the default when absent or unusable.

        An operator's typo must not fail the clients record every key is checked against, so a bad value
        falls back to the default rather than raising (the CLI refuses bad values before writing).
        """
        if not isinstance(record, Mapping):
            return cls()
        try:
            return cls(int(record.get("rate", DEFAULT_RATE)), int(record.get("burst", DEFAULT_BURST)))
        except (TypeError, ValueError):
            return cls()

    def to_record(self) -> dict[str, int]:
        return {"rate": self.rate, "burst": self.burst}


def retry_after_seconds(wait: float) -> int:
    """Retry-After is whole seconds (RFC 9110): round up, and never say 0 to a refused request."""
    return max(1, math.ceil(wait))


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; each request takes one. Thread-safe."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._at = clock()
        self._lock = threading.Lock()

    @property
    def limit(self) -> RateLimit:
        return self._limit

    def take(self) -> float:
        """0.0 if the request may go now (and its token is spent); else how many seconds until one may."""
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self._limit.burst), self._tokens + (now - self._at) * self._limit.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self._limit.rate
