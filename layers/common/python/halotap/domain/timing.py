"""Every timing policy in halotap, in one place: how long to wait, how often to try, when to give up.

Settings (`halotap.settings`) may override the few values marked "overridable" from the environment;
the manifest (`infra/manifest.py`) derives its queues' receive counts and visibility timeouts from
the constants here, and `tests/unit/test_timing.py` fails when the two disagree.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# -- PSP notifications -------------------------------------------------------------------------------
# Svix's schedule after the first, immediate attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (~27.6 h).
# Overridable: HALOTAP_NOTIFY_SCHEDULE (the devstack uses 1,2,4,8).
NOTIFY_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
# The deliverer parks an exhausted message itself. SQS's own maxReceiveCount is only the safety net for a
# deliverer that crashes on a message, so it must sit above the longest schedule any setting allows.
NOTIFY_MAX_ATTEMPTS = 12
NOTIFY_MAX_RECEIVES = NOTIFY_MAX_ATTEMPTS + 8
NOTIFY_TIMEOUT_SECONDS = 15.0  # Standard Webhooks: a delivery times out after 15-30 s
MAX_RETRY_AFTER = 3600  # an endpoint may slow us down, but not park a notification for days
MAX_VISIBILITY_DELAY = 43200  # ChangeMessageVisibility refuses more than 12 h
# A status change's outbox entry is swept by reconcile this long after the change, if still pending.
OUTBOX_SWEEP_AFTER = timedelta(seconds=60)
# How long GET /v1/events keeps an event: the promised 30 days, plus a day so TTL never undercuts it.
EVENT_RETENTION = timedelta(days=31)

# A rotated endpoint secret keeps signing beside the new one this long, so the PSP can switch its receiver
# without failing a delivery. Overridable: HALOTAP_SECRET_ROTATION_OVERLAP_SECONDS (the devstack uses 300).
SECRET_ROTATION_OVERLAP = timedelta(hours=24)
# An endpoint whose every delivery has failed for this long is disabled (app/fanout.py). Overridable:
# HALOTAP_ENDPOINT_DISABLE_AFTER_SECONDS (the devstack uses 20).
ENDPOINT_DISABLE_AFTER = timedelta(days=5)

# -- Confirming a Halo webhook -----------------------------------------------------------------------
# While Halo shows nothing final for a webhook's payment, the event is retried through its queue this
# many times (receives), then reconciliation owns the checkout.
CONFIRM_ATTEMPTS = 4
CONFIRM_RETRY_SECONDS = 30  # overridable: HALOTAP_CONFIRM_RETRY_SECONDS (the devstack uses 1)
CONFIRM_RETRY_CAP_SECONDS = 300
# A record that fails for any other reason (DynamoDB throttled, a race lost too often) is retried by SQS
# up to this many receives, then parked in the halo-events DLQ.
HALO_EVENT_MAX_RECEIVES = CONFIRM_ATTEMPTS + 1

# -- Reconciliation ----------------------------------------------------------------------------------
# When an open checkout is checked with Halo: this long after opening, then after each gap in turn (the
# last one repeating), never past expiry plus grace. Overridable: HALOTAP_RECONCILE_BACKOFF.
RECONCILE_BACKOFF: tuple[int, ...] = (30, 60, 120, 300, 600)
# Halo down or DynamoDB throttled: look again this soon. Overridable: HALOTAP_RECONCILE_AFTER_ERROR_SECONDS
# (the devstack uses 2, so a checkout whose lookups failed settles within seconds of Halo answering again).
RECONCILE_AFTER_ERROR = timedelta(seconds=30)
RECONCILE_MIN_TIME_LEFT_SECONDS = 5.0  # stop a run with this much of the Lambda's time left
# How many due checkouts a run examines at once (threads, each mostly waiting on one Halo status GET).
# 8: at ~300 ms a GET that is about 27 examinations a second, about 1,300 in the 50 s a 55 s run has
# before the time check stops it. It is also what Halo sees from reconcile: 8 status GETs in flight at
# most, beside apply_halo_event's cap of 20 (infra/manifest.py), so 28 from one stack in all. And it
# stays under botocore's pool of 10 connections per client, so no DynamoDB call waits for a connection.
# Overridable: HALOTAP_RECONCILE_WORKERS.
RECONCILE_WORKERS = 8
# How many due checkouts a run examines at most. 1,000 fills about 38 s of a run at the pace above, so a
# slower Halo (up to ~400 ms a GET) still gets through a full batch before the time check, and the run
# says "batch full" (more is due: a backlog) rather than "out of time". It also bounds the due query: a run
# reads up to this many entries from each of the 8 shards (so the oldest of all are among them), and a
# Query page holds 1 MB, about a thousand index entries of ~1 KB (the due index projects the whole item),
# so a bigger batch would not be read in one Query a shard anyway. Overridable: HALOTAP_RECONCILE_BATCH.
RECONCILE_BATCH = 1000
EXPIRY_GRACE_SECONDS = (
    120  # taps in flight at expiry get this long; overridable: HALOTAP_EXPIRY_GRACE_SECONDS
)
CREATING_TIMEOUT = timedelta(seconds=60)  # a checkout still `creating` after this lost its Lambda mid-call

# -- Watching after final --------------------------------------------------------------------------------
# A final checkout that Halo could still change (an approval can be voided; an expiry, decline, cancel or
# failure can turn out approved) is asked about again this many seconds after the change that made it
# final, once at each offset: about 5 min, 30 min, 2 h, 6 h, 24 h and 48 h. A change found goes through the
# same apply path as a webhook (docs/architecture.md, "Watching after final"). Six status GETs per checkout
# in all (docs/performance.md). Overridable: HALOTAP_WATCH_SCHEDULE (the devstack uses seconds).
WATCH_SCHEDULE: tuple[int, ...] = (300, 1800, 7200, 21600, 86400, 172800)
# Halo's SDK guide says an Indeterminate outcome may need "a manual reversal by the merchant via the web
# portal". One still Indeterminate this long after it was recorded is flagged `needsAttention` and counted
# (the IndeterminateNeedsAttention alarm). Overridable: HALOTAP_INDETERMINATE_ATTENTION_SECONDS.
INDETERMINATE_ATTENTION_AFTER = timedelta(minutes=30)

# -- Refunds ------------------------------------------------------------------------------------------
# A refund whose answer is unknown is retried by reconciliation on the reconcile backoff (above); one
# still pending after this long raises RefundPendingTooLong (docs/operations.md).
REFUND_PENDING_ALARM_AFTER = timedelta(minutes=15)
# Reconciliation never retries a refund while its first call may still be in flight: that call could
# then meet Halo's 213 for the retry's refund and read it as a refusal. The first retry waits for the
# call's connect and read timeouts plus this margin (for the write that records the answer).
REFUND_FIRST_CALL_MARGIN_SECONDS = 5.0


def refund_first_call_window(connect_timeout: float, read_timeout: float) -> timedelta:
    """How long a refund's first call to Halo can take, answer recorded: no retry before this is over."""
    return timedelta(seconds=connect_timeout + read_timeout + REFUND_FIRST_CALL_MARGIN_SECONDS)


def refund_retry_delay(attempts: int, backoff: tuple[int, ...]) -> timedelta:
    """The gap before retrying a pending refund already sent `attempts` times."""
    return timedelta(seconds=backoff[min(max(attempts - 1, 0), len(backoff) - 1)])


# -- Calls to Halo -----------------------------------------------------------------------------------
HALO_CONNECT_TIMEOUT_SECONDS = 3.0
HALO_READ_TIMEOUT_SECONDS = 10.0  # with connect, inside API Gateway's 29 s
HALO_RETRY_ATTEMPTS = 4  # only calls safe to repeat are retried (see adapters/halo.py)
HALO_RETRY_BUDGET_SECONDS = 6.0
HALO_BREAKER_THRESHOLD = 5  # consecutive failures that open the circuit
HALO_BREAKER_COOLDOWN_SECONDS = 30.0  # overridable: HALOTAP_HALO_BREAKER_COOLDOWN_SECONDS (devstack: 2)

# -- Races and idempotency ---------------------------------------------------------------------------
RACE_RETRIES = 5  # a conditional write that lost a race is re-read and decided again this many times
IDEMPOTENCY_RETENTION_SECONDS = 24 * 3600  # a replay within a day returns the first answer, like Stripe


def parse_seconds(name: str, text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """Comma-separated positive whole seconds, e.g. "1,2,4"; unset or blank means `default`.

    Raises ValueError naming the setting, so a bad deploy fails with a message an operator can act on.
    """
    if text is None or not text.strip():
        return default
    values: list[int] = []
    for raw in text.split(","):
        item = raw.strip()
        if not (item.isascii() and item.isdigit()) or int(item) < 1:
            raise ValueError(f"{name}: {item!r} is not a positive whole number of seconds")
        values.append(int(item))
    return tuple(values)


def check_notify_schedule(schedule: tuple[int, ...]) -> tuple[int, ...]:
    if len(schedule) + 1 > NOTIFY_MAX_ATTEMPTS:
        raise ValueError(f"HALOTAP_NOTIFY_SCHEDULE allows at most {NOTIFY_MAX_ATTEMPTS - 1} retries")
    if max(schedule) > MAX_VISIBILITY_DELAY:
        raise ValueError(
            f"HALOTAP_NOTIFY_SCHEDULE: {max(schedule)} is more than SQS's {MAX_VISIBILITY_DELAY} s limit"
        )
    return schedule


def next_notify_delay(attempt_number: int, schedule: tuple[int, ...], retry_after: int | None) -> int | None:
    """Seconds to wait before the next attempt, after `attempt_number` attempts; None once exhausted.

    The first attempt is immediate and `schedule[n - 1]` follows attempt n, so a schedule of k delays
    allows k + 1 attempts. An endpoint's Retry-After can lengthen a delay but not shorten it. The
    result never exceeds 43200 s, the most ChangeMessageVisibility accepts.
    """
    if attempt_number < 1:
        raise ValueError("attempt_number counts attempts already made, starting at 1")
    if attempt_number > len(schedule):
        return None
    delay = schedule[attempt_number - 1]
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, MAX_VISIBILITY_DELAY)


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


def confirm_retry_delay(receives: int, retry_seconds: int) -> int | None:
    """After `receives` receives of a webhook Halo cannot confirm yet: seconds until the next, or None."""
    if receives >= CONFIRM_ATTEMPTS:
        return None
    return int(min(retry_seconds * 2.0 ** (receives - 1), CONFIRM_RETRY_CAP_SECONDS))


def watch_offset(checks: int, schedule: tuple[int, ...]) -> timedelta | None:
    """When, after the change that made a checkout final, its watch check number `checks + 1` is due;
    None once the schedule is spent and the watch is over."""
    if checks >= len(schedule):
        return None
    return timedelta(seconds=schedule[checks])


def reconcile_delay(checks: int, backoff: tuple[int, ...]) -> timedelta:
    """The gap before the next Halo check of an open checkout already checked `checks` times."""
    return timedelta(seconds=backoff[min(checks + 1, len(backoff) - 1)])


def halo_retry_pause(attempt: int) -> float:
    """Exponential backoff with jitter between Halo retries: about 0.2 s, 0.4 s, 0.8 s, at most 2 s."""
    return min(2.0, 0.2 * 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not crypto
