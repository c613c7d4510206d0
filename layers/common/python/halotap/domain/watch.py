"""Watching after final, and the one rule for when reconciliation must next look at a checkout. Pure.

Halo stays the source of truth after a checkout is final: an approval can be voided, and an expiry,
decline, cancel or failure can turn out approved at Halo (a tap in flight, a late authorisation). Its
webhook for that change can be lost like any other. So a checkout that Halo could still change stays
watched: reconciliation asks Halo again at each offset of the watch schedule (domain/timing.py) after the
change that made it final, and applies whatever it finds through the same path as a webhook.

Watched checkouts are found through the due index (`dueAt`), a sparse index: nothing is ever scanned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from halotap.domain import timing
from halotap.domain.clock import iso
from halotap.domain.models import Attention, Checkout, RefundStatus
from halotap.domain.states import CheckoutStatus, Disposition

# Final statuses Halo can still change. `voided` is the end: money moved and came back.
WATCHED = frozenset(
    {
        CheckoutStatus.APPROVED,  # can become voided
        CheckoutStatus.EXPIRED,  # can turn out approved (money wins)
        CheckoutStatus.DECLINED,
        CheckoutStatus.CANCELLED,
        CheckoutStatus.FAILED,  # only with a Halo reference: a create that never reached Halo has nothing to ask
    }
)
INDETERMINATE_REASON = "indeterminate_unresolved"


def is_watched(status: CheckoutStatus, halo_reference: str | None) -> bool:
    return status in WATCHED and bool(halo_reference)


def watch_changes(
    status: CheckoutStatus, halo_reference: str | None, at: datetime, schedule: tuple[int, ...]
) -> dict[str, Any]:
    """What starts (or, for a status Halo cannot change, ends) the watch, as changes for `Checkout.but`,
    written with the change that made the checkout final."""
    offset = timing.watch_offset(0, schedule)
    if not is_watched(status, halo_reference) or offset is None:
        return {"watch_from": None, "watch_checks": 0, "watch_due": None}
    return {"watch_from": iso(at), "watch_checks": 0, "watch_due": iso(at + offset)}


def next_watch(checkout: Checkout, schedule: tuple[int, ...]) -> dict[str, Any]:
    """The changes (for `Checkout.but`) after one watch check found nothing new: the next offset, or the
    end of the watch."""
    checks = checkout.watch_checks + 1
    offset = timing.watch_offset(checks, schedule)
    if checkout.watch_from is None or offset is None:
        return {"watch_checks": checks, "watch_due": None}
    return {"watch_checks": checks, "watch_due": iso(datetime.fromisoformat(checkout.watch_from) + offset)}


def attention_changes(
    status: CheckoutStatus, disposition: Disposition | None, at: datetime, after: Any
) -> dict[str, Any]:
    """An Indeterminate outcome gets a deadline by which something else must replace it; any other change
    clears both the deadline and a flag set earlier (the person's question has been answered)."""
    if status is CheckoutStatus.FAILED and disposition is Disposition.INDETERMINATE:
        return {"attention_due": iso(at + after), "needs_attention": None}
    return {"attention_due": None, "needs_attention": None}


def attention(checkout: Checkout, now: datetime) -> Attention:
    """The flag of an Indeterminate outcome that nothing has replaced in time."""
    return Attention(
        reason=INDETERMINATE_REASON,
        detail=(
            "Halo reported Indeterminate and nothing has replaced it; the payment may need a manual reversal "
            "by the merchant in Halo's merchant portal (docs/operations.md, IndeterminateNeedsAttention)"
        ),
        since=iso(now),
    )


def next_due(checkout: Checkout, *, without_refund: str | None = None) -> str | None:
    """When reconciliation must next look at a final checkout: the earliest of a pending refund's retry,
    the next watch check and an Indeterminate outcome's deadline. None: nothing left to do.

    `without_refund` leaves one refund out (the caller is settling it in the same write).
    """
    times = [
        refund.next_attempt_at
        for refund in checkout.refunds.values()
        if refund.status == RefundStatus.PENDING and refund.next_attempt_at and refund.id != without_refund
    ]
    times += [t for t in (checkout.watch_due, checkout.attention_due) if t]
    return min(times) if times else None


def final_changes(
    checkout: Checkout,
    status: CheckoutStatus,
    disposition: Disposition | None,
    at: datetime,
    *,
    schedule: tuple[int, ...],
    attention_after: Any,
) -> dict[str, Any]:
    """What every change to a final status writes beside the status: the watch and the attention deadline."""
    return {
        **watch_changes(status, checkout.halo_reference, at, schedule),
        **attention_changes(status, disposition, at, attention_after),
    }


__all__ = [
    "INDETERMINATE_REASON",
    "WATCHED",
    "attention",
    "attention_changes",
    "final_changes",
    "is_watched",
    "next_due",
    "next_watch",
    "watch_changes",
]
