"""The one loop for a conditional write that lost a race: re-read, decide again, write again.

Every write to a checkout is conditional on what its writer read (app/ports.py). When another writer got
there first, the write raises `ConcurrentUpdate`; the checkout is read again and the use case decides
again on what it now is (the webhook that won may have made the change moot), up to
`timing.RACE_RETRIES` times. After that the race is the caller's to report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from halotap.domain import timing
from halotap.domain.errors import ConcurrentUpdate
from halotap.domain.models import Checkout

T = TypeVar("T")


def retry_on_conflict(
    first: Checkout,
    attempt: Callable[[Checkout], T],
    read: Callable[[str], Checkout | None],
    *,
    gave_up: str,
    retries: int = timing.RACE_RETRIES,
) -> T:
    """`attempt(checkout)`, on `first` and then, after each lost race, on the checkout read again.

    `read` is the store's `get`; a checkout is never deleted while it can be written, so it is there.
    After `retries` lost races: `ConcurrentUpdate(gave_up)`.
    """
    checkout = first
    for round_ in range(retries):
        try:
            return attempt(checkout)
        except ConcurrentUpdate:
            if round_ + 1 == retries:
                break
            fresh = read(checkout.id)
            assert fresh is not None, f"checkout {checkout.id} vanished during a race"
            checkout = fresh
    raise ConcurrentUpdate(gave_up)
