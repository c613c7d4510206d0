"""The token bucket both the devstack's emulator and (as usage plans) API Gateway apply per client."""

from __future__ import annotations

import pytest

from halotap.domain.rate_limit import (
    DEFAULT_BURST,
    DEFAULT_RATE,
    InvalidRateLimit,
    RateLimit,
    TokenBucket,
    retry_after_seconds,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_default_is_25_per_second_with_bursts_of_50() -> None:
    assert (RateLimit().rate, RateLimit().burst) == (DEFAULT_RATE, DEFAULT_BURST) == (25, 50)


def test_a_full_bucket_takes_a_burst_then_refuses_saying_how_long_to_wait() -> None:
    clock = Clock()
    bucket = TokenBucket(RateLimit(), clock)
    assert [bucket.take() for _ in range(50)] == [0.0] * 50
    assert bucket.take() == pytest.approx(1 / 25)
    assert retry_after_seconds(1 / 25) == 1


def test_it_refills_at_the_steady_rate_and_never_past_the_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(RateLimit(), clock)
    for _ in range(50):
        bucket.take()
    clock.now += 1.0
    assert sum(bucket.take() == 0.0 for _ in range(30)) == 25
    clock.now += 3600
    assert sum(bucket.take() == 0.0 for _ in range(60)) == 50


@pytest.mark.parametrize(("rate", "burst"), [(0, 10), (10, 5), (10_001, 20_000)])
def test_a_limit_outside_what_api_gateway_takes_is_refused(rate: int, burst: int) -> None:
    with pytest.raises(InvalidRateLimit):
        RateLimit(rate, burst)


@pytest.mark.parametrize("record", [None, "fast", {"rate": "x"}, {"rate": 0}])
def test_an_unusable_stored_limit_falls_back_to_the_default(record: object) -> None:
    assert RateLimit.parse(record) == RateLimit()


def test_a_stored_limit_is_read() -> None:
    assert RateLimit.parse({"rate": 5, "burst": 10}) == RateLimit(5, 10)
