"""Attempts: a checkout may be tried up to `maxAttempts` times, one Halo transaction each (issue 19). Pure.

Halo refuses a paymentReference a merchant used before (E124), so each attempt has its own: the checkout id
for the first (as before attempts existed), `<checkoutId>.<n>` for the n-th. A webhook or status for any
attempt therefore names its checkout, found with one GetItem (`checkout_id_of`).

What an outcome on one attempt does to its checkout is `plan`; `decide` (domain/states.py) still rules the
checkout whenever the outcome is about it rather than only about the attempt.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from halotap.domain.errors import AttemptNotAllowed, AttemptsExhausted
from halotap.domain.ids import CHECKOUT_ID
from halotap.domain.models import Attempt, Checkout
from halotap.domain.states import CheckoutStatus, Disposition

if TYPE_CHECKING:
    from halotap.domain.halo import DeepLink, ReportedOutcome

MAX_ATTEMPTS = 5
# An attempt whose link Halo never gave back is skipped, not retried forever: the item stays small.
MAX_ENTRIES = 2 * MAX_ATTEMPTS
# Halo's confirmed outcomes that end an attempt without money moving: another attempt may follow.
FAILING = frozenset(
    {
        Disposition.DECLINED,
        Disposition.DECLINED_OFFLINE,
        Disposition.UNABLE_TO_GO_ONLINE,
        Disposition.INDETERMINATE,
    }
)
STATUSES = ("open", "approved", "declined", "failed", "voided", "refunded")
# What a PSP reads of an attempt; the rest is bookkeeping.
INTERNAL_FIELDS = ("halo_transaction_id", "duplicate_refund", "lost")


class Plan(StrEnum):
    CHECKOUT = "checkout"  # the outcome is the checkout's: decide() rules it, as before attempts
    ATTEMPT_FAILED = "attempt_failed"  # the current attempt failed and another is allowed: stays open
    DUPLICATE = "duplicate"  # a second approval on an approved checkout: refunded in full
    ATTEMPT_ONLY = "attempt_only"  # news of an earlier attempt that changes nothing else
    REPEAT = "repeat"  # already recorded


def payment_reference(checkout_id: str, number: int) -> str:
    return checkout_id if number == 1 else f"{checkout_id}.{number}"


def checkout_id_of(reference: str) -> str | None:
    """The checkout a paymentReference (Halo's merchantReference) belongs to; None if it is not ours."""
    head, dot, number = reference.partition(".")
    if CHECKOUT_ID.fullmatch(head) is None:
        return None
    if dot and not (number.isdigit() and 2 <= int(number) <= MAX_ENTRIES):
        return None
    return head


def is_refunded_duplicate(checkout: Checkout, halo_transaction_id: str) -> bool:
    """Whether this Halo transaction is a second approval of the checkout that halotap refunded in full."""
    return any(
        attempt.halo_transaction_id == halo_transaction_id and attempt.duplicate_refund is not None
        for attempt in attempts_of(checkout)
    )


def attempts_of(checkout: Checkout) -> tuple[Attempt, ...]:
    """The checkout's attempts, oldest first. One stored before attempts existed reads as one attempt."""
    if checkout.attempts:
        return checkout.attempts
    if checkout.status is CheckoutStatus.CREATING or not checkout.halo_reference:
        return ()
    outcome = checkout.outcome
    status = {
        CheckoutStatus.APPROVED: "approved",
        CheckoutStatus.DECLINED: "declined",
        CheckoutStatus.FAILED: "failed",
        CheckoutStatus.VOIDED: "voided",
    }.get(checkout.status, "open")
    return (
        Attempt(
            id=checkout.id,
            halo_reference=checkout.halo_reference,
            deep_link=checkout.deep_link,
            status=status if outcome is not None else "open",
            disposition=outcome.disposition if outcome else None,
            error_code=outcome.error_code if outcome else None,
            created_at=checkout.created_at,
            halo_transaction_id=checkout.halo_transaction_id,
        ),
    )


def first_attempt(checkout_id: str, link: DeepLink, at: str) -> Attempt:
    return Attempt(
        id=checkout_id, halo_reference=link.reference, deep_link=link.url, status="open", created_at=at
    )


def tries(checkout: Checkout) -> int:
    """Attempts that count against `maxAttempts`: every one whose link could reach the shopper."""
    return sum(1 for attempt in attempts_of(checkout) if not attempt.lost)


def current(checkout: Checkout) -> Attempt | None:
    found = attempts_of(checkout)
    return found[-1] if found else None


def attempts_left(checkout: Checkout) -> int:
    """How many more attempts may follow the current one."""
    return max(0, checkout.max_attempts - tries(checkout))


def is_retry(checkout: Checkout) -> bool:
    """Open, its current attempt failed, and another is allowed: the shopper may try again."""
    now = current(checkout)
    return (
        checkout.status is CheckoutStatus.OPEN
        and now is not None
        and now.status in ("declined", "failed")
        and attempts_left(checkout) > 0
    )


def attempt_for(
    checkout: Checkout, merchant_reference: str | None, halo_reference: str | None
) -> Attempt | None:
    """The attempt an outcome is about: by paymentReference, else by Halo's reference, else the current."""
    for attempt in attempts_of(checkout):
        if merchant_reference and attempt.id == merchant_reference:
            return attempt
    for attempt in attempts_of(checkout):
        if halo_reference and attempt.halo_reference == halo_reference:
            return attempt
    return current(checkout)


def status_of(disposition: Disposition) -> str:
    """An attempt's status for Halo's disposition."""
    return {
        CheckoutStatus.APPROVED: "approved",
        CheckoutStatus.DECLINED: "declined",
        CheckoutStatus.FAILED: "failed",
        CheckoutStatus.VOIDED: "voided",
    }[disposition.status]


def recorded(attempt: Attempt, outcome: ReportedOutcome) -> Attempt:
    """The attempt once Halo's confirmed outcome on it is recorded."""
    return attempt.but(
        status=status_of(outcome.disposition),
        disposition=outcome.disposition.value,
        error_code=outcome.error_code,
        halo_transaction_id=outcome.halo_transaction_id or attempt.halo_transaction_id,
    )


def is_kept(attempt: Attempt) -> bool:
    """The attempt whose approval the checkout keeps (or kept, and was voided)."""
    return attempt.status in ("approved", "voided") and attempt.duplicate_refund is None


def plan(
    checkout: Checkout, attempt: Attempt, disposition: Disposition, error_code: int | None = None
) -> Plan:
    """What Halo's confirmed `disposition` on `attempt` does (docs/architecture.md, "Attempts").

    A repeat that brings Halo's `error_code` where the attempt has none (reconciliation read the status
    before the webhook that explains it arrived) still records the code: the page's advice needs it."""
    is_current = attempt.id == (current(checkout) or attempt).id
    if disposition is Disposition.APPROVED:
        return _approval(checkout, attempt)
    if disposition is Disposition.VOIDED:
        ours = is_kept(attempt) or (is_current and checkout.status is not CheckoutStatus.APPROVED)
        return Plan.CHECKOUT if ours else Plan.ATTEMPT_ONLY
    if attempt.status == status_of(disposition):
        return _again(checkout, attempt, is_current, error_code)
    if not is_current:
        return Plan.ATTEMPT_ONLY
    if checkout.status is CheckoutStatus.OPEN and disposition in FAILING and attempts_left(checkout) > 0:
        return Plan.ATTEMPT_FAILED
    return Plan.CHECKOUT


def _again(checkout: Checkout, attempt: Attempt, is_current: bool, error_code: int | None) -> Plan:
    """The outcome the attempt already shows: a repeat, unless it brings the error code it lacks."""
    if error_code is not None and attempt.error_code is None:
        return Plan.ATTEMPT_ONLY
    repeat = not is_current or checkout.status is CheckoutStatus.OPEN
    return Plan.REPEAT if repeat else Plan.CHECKOUT


def _approval(checkout: Checkout, attempt: Attempt) -> Plan:
    """The first approval is kept, whichever attempt made it (money wins); any later one is a duplicate."""
    if attempt.duplicate_refund is not None:
        return Plan.REPEAT
    if checkout.status is CheckoutStatus.APPROVED and attempt.status != "approved":
        return Plan.DUPLICATE
    return Plan.CHECKOUT


def attempt_changes(checkout: Checkout, attempt: Attempt | None, outcome: ReportedOutcome) -> dict[str, Any]:
    """The changes that record Halo's outcome on `attempt` (none if the outcome names no attempt)."""
    return {} if attempt is None else with_attempt(checkout, recorded(attempt, outcome))


def with_attempt(checkout: Checkout, attempt: Attempt) -> dict[str, Any]:
    """The changes (`Checkout.but`) that write `attempt` over the one with its id, or append it."""
    found = attempts_of(checkout)
    if any(a.id == attempt.id for a in found):
        return {"attempts": tuple(attempt if a.id == attempt.id else a for a in found)}
    return {"attempts": (*found, attempt)}


def check_new(checkout: Checkout) -> None:
    """Raise unless a new attempt may follow the current one. Having had every attempt is said first: it is
    the answer whatever else holds (a last attempt still open, or the checkout declined by its failure)."""
    if attempts_left(checkout) <= 0 or len(attempts_of(checkout)) >= MAX_ENTRIES:
        raise AttemptsExhausted(
            f"checkout {checkout.id} has had all {checkout.max_attempts} of its attempts",
            maxAttempts=checkout.max_attempts,
            currentStatus=checkout.status.value,
        )
    if checkout.status is not CheckoutStatus.OPEN:
        raise AttemptNotAllowed(
            f"checkout {checkout.id} is {checkout.status.value}", currentStatus=checkout.status.value
        )
    now = current(checkout)
    if now is not None and now.status == "open":
        raise AttemptNotAllowed(
            f"the current attempt of checkout {checkout.id} is still open at Halo",
            currentStatus=checkout.status.value,
        )


def attempt_view(checkout: Checkout, attempt: Attempt) -> dict[str, Any]:
    """An attempt as the PSP reads it (GET /v1/checkouts/{id}, and checkout.attempt_failed's data). A second
    approval reads `refunded` once its refund has succeeded."""
    body = attempt.to_dict()
    for name in ("haloTransactionId", "duplicateRefund", "lost"):
        body.pop(name, None)
    refund = checkout.refunds.get(attempt.duplicate_refund or "")
    if refund is not None and refund.status == "succeeded":
        body["status"] = "refunded"
    body.setdefault("haloReference", None)
    body.setdefault("deepLink", None)
    body.setdefault("disposition", None)
    return body


def attempt_data(checkout: Checkout, attempt_id: str) -> dict[str, Any]:
    """What checkout.attempt_failed adds to the checkout: the failed attempt and how many may follow it."""
    found = attempts_of(checkout)
    index = next((i for i, a in enumerate(found) if a.id == attempt_id), len(found) - 1)
    counted = sum(1 for a in found[: index + 1] if not a.lost)
    return {
        "attempt": attempt_view(checkout, found[index]),
        "attemptsLeft": max(0, checkout.max_attempts - counted),
    }


def attempts_view(checkout: Checkout) -> list[dict[str, Any]]:
    return [attempt_view(checkout, attempt) for attempt in attempts_of(checkout)]


__all__ = [
    "FAILING",
    "MAX_ATTEMPTS",
    "Plan",
    "attempt_changes",
    "attempt_data",
    "attempt_for",
    "attempt_view",
    "attempts_left",
    "attempts_of",
    "attempts_view",
    "check_new",
    "checkout_id_of",
    "current",
    "first_attempt",
    "is_retry",
    "payment_reference",
    "plan",
    "recorded",
    "status_of",
    "tries",
    "with_attempt",
]
