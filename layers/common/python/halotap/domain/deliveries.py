"""The delivery log: every attempt to send an event to an endpoint, as `GET /v1/events/{id}/deliveries`
shows it. What a PSP asks when it wonders "did you send it, and what did my server answer?".

Bounded: the log keeps the newest MAX_ATTEMPTS_PER_ENDPOINT attempts of each event at each endpoint
(a full retry schedule is at most timing.NOTIFY_MAX_ATTEMPTS, so two schedules' worth: the first and
a resend or recover), so one event's log holds at most that times the endpoints it went to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from halotap.domain import timing

MAX_ATTEMPTS_PER_ENDPOINT = 2 * timing.NOTIFY_MAX_ATTEMPTS
# The endpointId logged for a checkout's own notificationUrl, which overrides the client's endpoints.
CHECKOUT_URL = "checkout"


@dataclass(frozen=True)
class DeliveryAttempt:
    endpoint_id: str  # we_..., or CHECKOUT_URL for a checkout's own notificationUrl
    attempt: int  # 1 for the first attempt of one queued copy; a resend or recover starts at 1 again
    at: str
    status: int | None  # the HTTP status the endpoint answered; None when no answer came
    latency_ms: int
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def to_api(self) -> dict[str, Any]:
        return {
            "endpointId": None if self.endpoint_id == CHECKOUT_URL else self.endpoint_id,
            "attempt": self.attempt,
            "at": self.at,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "error": self.error,
        }

    def to_item(self) -> dict[str, Any]:
        return {
            "endpointId": self.endpoint_id,
            "attempt": self.attempt,
            "at": self.at,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "error": self.error,
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> DeliveryAttempt:
        status = item.get("status")
        return cls(
            endpoint_id=str(item["endpointId"]),
            attempt=int(item["attempt"]),
            at=str(item["at"]),
            status=None if status is None else int(status),
            latency_ms=int(item.get("latencyMs", 0)),
            error=None if item.get("error") is None else str(item["error"]),
        )


def bounded(attempts: list[DeliveryAttempt]) -> list[DeliveryAttempt]:
    """One endpoint's attempts at one event, the newest MAX_ATTEMPTS_PER_ENDPOINT of them."""
    return attempts[-MAX_ATTEMPTS_PER_ENDPOINT:]
