"""The local stand-in for EventBridge schedules: runs a scheduled function every few seconds."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from devstack import lambda_runtime
from devstack.config import ACCOUNT_ID, REGION
from infra import manifest

log = logging.getLogger("devstack.ticker")

STOP_JOIN_SECONDS = 1.0


def scheduled_event(spec: manifest.Function) -> dict[str, Any]:
    """An EventBridge "Scheduled Event", as the rule would send it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/halotap-local-{spec.name}"],
        "detail": {},
    }


class ScheduleTicker:
    """A devstack part: invokes one scheduled function every `interval` seconds, never two runs at once."""

    def __init__(
        self,
        spec: manifest.Function,
        interval: float,
        *,
        invoke: lambda_runtime.Invoker = lambda_runtime.invoke,
    ) -> None:
        if spec.schedule_minutes is None:
            raise ValueError(f"{spec.name} has no schedule")
        self.name = f"ticker:{spec.name}"
        self._spec, self._interval, self._invoke = spec, interval, invoke
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """No run starts after this; a run under way finishes or is abandoned (Devstack.stop)."""
        self._stopping.set()

    def stop(self) -> None:
        self.request_stop()
        if self._thread is not None:
            # A run may take seconds (reconcile's budget is 55); the process exits without it.
            self._thread.join(STOP_JOIN_SECONDS)
            self._thread = None

    def check(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError(f"{self.name} is not running")

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            started = time.monotonic()
            try:
                self._invoke(self._spec, scheduled_event(self._spec))
                self.runs += 1
            except Exception:  # a failed run is logged, as Lambda would; the next tick tries again
                log.exception("%s failed", self._spec.name)
            # One line per run, so a run's length can be read against its budget (the storm test does).
            log.info(
                "%s: ran %.1f s (budget %d s)",
                self._spec.name,
                time.monotonic() - started,
                self._spec.timeout_seconds,
            )
