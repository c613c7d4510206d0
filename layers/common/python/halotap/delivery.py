"""One delivery attempt of a PSP notification, and the schedule of the attempts that follow.

No AWS here: the notifier reads an SQS message, calls `deliver`, and on "retry" hides the message for
`next_delay(...)` seconds with ChangeMessageVisibility; when that returns None it lets the message go
to the DLQ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx

from halotap import ssrf

# Svix's schedule after the first, immediate attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (~27.6 h).
DEFAULT_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
SCHEDULE_ENV = "HALOTAP_NOTIFY_SCHEDULE"
MAX_RETRY_AFTER = 3600  # an endpoint may slow us down, but not park a notification for days
MAX_DELAY = 43200  # ChangeMessageVisibility refuses more than 12 h
MAX_ERROR_BODY_CHARS = 200
_READ_LIMIT_BYTES = 4096  # enough for an error snippet; a hostile endpoint cannot make us buffer more

Outcome = Literal["delivered", "gone", "retry", "failed"]


@dataclass(frozen=True)
class Attempt:
    """What one POST came to.

    - delivered: 2xx, done.
    - gone: 410, the PSP asks us to stop; do not retry.
    - retry: any other failure; try again after `next_delay`.
    - failed: no request was made and none ever should be (the URL is unsafe).
    """

    outcome: Outcome
    status: int | None
    error: str | None
    retry_after: int | None


def parse_schedule(text: str | None) -> tuple[int, ...]:
    """The retry delays from HALOTAP_NOTIFY_SCHEDULE, e.g. "1,2,4"; unset or blank means Svix's."""
    if text is None or not text.strip():
        return DEFAULT_SCHEDULE
    delays: list[int] = []
    for raw in text.split(","):
        item = raw.strip()
        if not (item.isascii() and item.isdigit()) or int(item) < 1:
            raise ValueError(f"{SCHEDULE_ENV}: {item!r} is not a positive whole number of seconds")
        if int(item) > MAX_DELAY:
            raise ValueError(f"{SCHEDULE_ENV}: {item!r} is more than SQS's {MAX_DELAY} s visibility limit")
        delays.append(int(item))
    return tuple(delays)


def deliver(
    http: httpx.Client,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float = 15.0,
    allow_loopback_http: bool = False,
    resolve: ssrf.Resolver | None = None,
) -> Attempt:
    """POST one signed notification, after checking the URL again (its DNS may have changed).

    Only 2xx counts as delivered and 410 as a request to stop. Everything else, other 4xx included,
    is retried: Standard Webhooks and Svix treat any non-2xx as a failed attempt, and a PSP that
    briefly answers 401 or 404 while it deploys or rotates its secret should still get the event.
    The schedule is finite, so a permanently broken endpoint costs a bounded number of attempts.
    Redirects are not followed: the target would escape the SSRF check, and the spec counts a 3xx
    as a failure.
    """
    try:
        ssrf.check_url(url, allow_loopback_http=allow_loopback_http, resolve=resolve)
    except ssrf.UnsafeUrl as unsafe:
        return Attempt("failed", None, f"unsafe url: {unsafe}", None)
    try:
        with http.stream(
            "POST", url, content=body, headers=headers, timeout=timeout, follow_redirects=False
        ) as response:
            return _judge(response)
    except httpx.TimeoutException:
        return Attempt("retry", None, "timeout", None)
    except httpx.TransportError as failure:
        return Attempt(
            "retry", None, _shorten(f"connection error: {str(failure) or type(failure).__name__}"), None
        )


def _judge(response: httpx.Response) -> Attempt:
    status = response.status_code
    if 200 <= status < 300:
        return Attempt("delivered", status, None, None)
    snippet = _read_snippet(response)
    if status == 410:
        return Attempt("gone", status, _error(status, snippet), None)
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if 300 <= status < 400:
        return Attempt("retry", status, f"HTTP {status}: redirect not followed", retry_after)
    return Attempt("retry", status, _error(status, snippet), retry_after)


def next_delay(attempt_number: int, schedule: tuple[int, ...], retry_after: int | None) -> int | None:
    """Seconds to wait before the next attempt, after `attempt_number` attempts; None once exhausted.

    The first attempt is immediate and `schedule[n - 1]` follows attempt n, so a schedule of k delays
    allows k + 1 attempts. An endpoint's Retry-After can lengthen a delay but not shorten it. The
    result never exceeds 43200 s, the most ChangeMessageVisibility accepts; SQS counts that 12 h from
    when the message was received, so a caller that has held the message for a while must subtract it.
    """
    if attempt_number < 1:
        raise ValueError("attempt_number counts attempts already made, starting at 1")
    if attempt_number > len(schedule):
        return None
    delay = schedule[attempt_number - 1]
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, MAX_DELAY)


def parse_retry_after(value: str | None, now: datetime | None = None) -> int | None:
    """A Retry-After header (delay-seconds or HTTP-date) in seconds, clamped to [1, MAX_RETRY_AFTER]."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = int(value) if len(value) <= 10 else MAX_RETRY_AFTER  # int() refuses huge digit strings
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000" in the date parses as naive; HTTP-dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = math.ceil((when - (now or datetime.now(UTC))).total_seconds())
    return min(max(seconds, 1), MAX_RETRY_AFTER)


def _read_snippet(response: httpx.Response) -> str:
    """The start of the body, read no further than needed: an endpoint's answer may be huge."""
    read = bytearray()
    try:
        for chunk in response.iter_bytes():
            read += chunk
            if len(read) >= _READ_LIMIT_BYTES:
                break
    except httpx.HTTPError:
        pass  # the status is what matters; a body cut short is still a snippet
    return " ".join(read.decode("utf-8", errors="replace").split())


def _error(status: int, snippet: str) -> str:
    return _shorten(f"HTTP {status}: {snippet}" if snippet else f"HTTP {status}")


def _shorten(text: str) -> str:
    if len(text) <= MAX_ERROR_BODY_CHARS:
        return text
    return text[: MAX_ERROR_BODY_CHARS - 1] + "…"
