"""Halo's circuit breaker: fail fast while Halo is down, instead of holding every caller for a full timeout."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from halotap.domain import timing
from halotap.domain.errors import HaloUnavailable

logger = logging.getLogger("halotap.adapters.halo")  # its lines read as the Halo client's, as before


class CircuitBreaker:
    """Fails fast while Halo is down, per container, instead of holding every caller for a full timeout.

    After `threshold` consecutive failures (timeouts, refused connections, 5xx) the circuit opens for
    `cooldown` seconds; then one trial call is let through, and its result closes or re-opens it.

    Safe to share between threads (reconcile calls Halo from several): every read and change of the state
    holds one lock, so no failure is lost to a race, and only one caller gets the trial call after a
    cooldown. Taking the trial starts a new cooldown for everyone else; the trial's result then closes the
    circuit or re-opens it, and a trial that never reports (an unexpected error) just lets the next
    cooldown end with another one.
    """

    def __init__(
        self,
        threshold: int = timing.HALO_BREAKER_THRESHOLD,
        cooldown: float = timing.HALO_BREAKER_COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.threshold, self.cooldown, self._clock = threshold, cooldown, clock
        self.failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._cooling_down()

    def _cooling_down(self) -> bool:
        """Call with the lock held."""
        return self.opened_at is not None and self._clock() - self.opened_at < self.cooldown

    def before_call(self) -> None:
        with self._lock:
            if self.opened_at is None:
                return
            if not self._cooling_down():
                self.opened_at = self._clock()  # this caller's call is the trial; the rest still fail fast
                return
            failures = self.failures
        raise HaloUnavailable(
            f"Halo failed {failures} times in a row; not calling it for {self.cooldown:.0f} s (circuit open)",
        )

    def record(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self.failures, self.opened_at = 0, None
                return
            self.failures += 1
            if self.failures < self.threshold:
                return
            opened = self.opened_at is None
            self.opened_at = self._clock()  # (re)open: a failed trial call starts a new cooldown
            failures = self.failures
        if opened:
            logger.warning(
                "Halo's circuit opened: calls fail fast until a trial call succeeds",
                extra={"failures": failures, "cooldownSeconds": self.cooldown},
            )


__all__ = ["CircuitBreaker"]
