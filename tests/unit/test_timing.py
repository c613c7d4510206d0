"""The timing policy: one module, and the manifest's queues agree with it."""

from __future__ import annotations

import pytest

from halotap.domain import timing
from halotap.domain.timing import (
    MAX_VISIBILITY_DELAY,
    NOTIFY_SCHEDULE,
    check_notify_schedule,
    next_notify_delay,
    parse_seconds,
)
from halotap.settings import ConfigurationError, Settings
from infra import manifest

# ----------------------------------------------------------------------------- the schedule


def test_the_default_schedule_is_svix_s() -> None:
    assert NOTIFY_SCHEDULE == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert sum(NOTIFY_SCHEDULE) / 3600 == pytest.approx(27.6, abs=0.1)


def test_next_delay_walks_the_schedule_then_gives_up() -> None:
    delays = [next_notify_delay(n, NOTIFY_SCHEDULE, None) for n in range(1, 9)]
    assert delays == [5, 300, 1800, 7200, 18000, 36000, 36000, None]


def test_retry_after_lengthens_a_delay_but_never_shortens_it() -> None:
    assert next_notify_delay(1, NOTIFY_SCHEDULE, 60) == 60
    assert next_notify_delay(3, NOTIFY_SCHEDULE, 60) == 1800


def test_a_delay_never_exceeds_what_change_message_visibility_accepts() -> None:
    assert next_notify_delay(1, (50_000,), None) == MAX_VISIBILITY_DELAY
    assert next_notify_delay(1, (5,), 99_999) == MAX_VISIBILITY_DELAY


def test_retry_after_does_not_extend_an_exhausted_schedule() -> None:
    assert next_notify_delay(3, (1, 2), 30) is None


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError):
        next_notify_delay(0, NOTIFY_SCHEDULE, None)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_an_unset_schedule_is_the_default(text: str | None) -> None:
    assert parse_seconds("HALOTAP_NOTIFY_SCHEDULE", text, NOTIFY_SCHEDULE) == NOTIFY_SCHEDULE


def test_a_configured_schedule_is_parsed() -> None:
    assert parse_seconds("HALOTAP_NOTIFY_SCHEDULE", "1, 2,4", NOTIFY_SCHEDULE) == (1, 2, 4)


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("1,x,3", "'x'"),
        ("5,0", "'0'"),
        ("5,-1", "'-1'"),
        ("1,,2", "''"),
        ("2.5", "'2.5'"),
    ],
)
def test_a_bad_schedule_names_the_bad_item(text: str, bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        parse_seconds("HALOTAP_NOTIFY_SCHEDULE", text, NOTIFY_SCHEDULE)


def test_a_schedule_longer_than_sqs_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="50000"):
        check_notify_schedule((5, 50_000))


def test_a_schedule_with_more_attempts_than_the_queue_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="at most"):
        check_notify_schedule((1,) * timing.NOTIFY_MAX_ATTEMPTS)
    with pytest.raises(ConfigurationError, match="HALOTAP_NOTIFY_SCHEDULE"):
        _ = Settings(
            {"HALOTAP_NOTIFY_SCHEDULE": ",".join(["1"] * timing.NOTIFY_MAX_ATTEMPTS)}
        ).notify_schedule


# ----------------------------------------------------------------------------- the manifest agrees


def test_sqs_never_parks_a_notification_the_deliverer_would_still_retry() -> None:
    longest = timing.NOTIFY_MAX_ATTEMPTS
    assert manifest.NOTIFICATIONS.max_receive_count > longest
    assert len(NOTIFY_SCHEDULE) + 1 <= longest


def test_sqs_never_parks_a_webhook_before_it_is_left_to_reconciliation() -> None:
    # The consumer hands a webhook Halo cannot confirm to reconcile on receive CONFIRM_ATTEMPTS, so SQS's
    # maxReceiveCount must be above it, or the event would land in the DLQ with work left to do.
    assert timing.confirm_retry_delay(timing.CONFIRM_ATTEMPTS, 30) is None
    assert timing.confirm_retry_delay(timing.CONFIRM_ATTEMPTS - 1, 30) is not None
    assert manifest.HALO_EVENTS.max_receive_count > timing.CONFIRM_ATTEMPTS


@pytest.mark.parametrize("spec", [f for f in manifest.FUNCTIONS if f.queue], ids=lambda f: f.name)
def test_every_queue_hides_a_message_longer_than_six_of_its_consumer_s_timeouts(
    spec: manifest.Function,
) -> None:
    assert spec.queue is not None
    assert manifest.queue(spec.queue).visibility_timeout_seconds >= 6 * spec.timeout_seconds


def test_a_confirm_retry_fits_in_one_visibility_change() -> None:
    delays = [
        timing.confirm_retry_delay(n, timing.CONFIRM_RETRY_SECONDS) for n in range(1, timing.CONFIRM_ATTEMPTS)
    ]
    assert all(d is not None and 0 < d <= MAX_VISIBILITY_DELAY for d in delays)
    assert delays == sorted(delays)


def test_reconcile_backs_off_then_repeats_its_last_gap() -> None:
    gaps = [timing.reconcile_delay(n, (30, 60, 120)).total_seconds() for n in range(5)]
    assert gaps == [60, 120, 120, 120, 120]
