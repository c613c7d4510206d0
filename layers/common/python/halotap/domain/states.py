"""Checkout states and the rules that move them. Pure: no I/O, so every rule is a unit test."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CheckoutStatus(StrEnum):
    CREATING = "creating"  # the checkout is stored and Halo is being asked for a deep link
    OPEN = "open"
    APPROVED = "approved"
    DECLINED = "declined"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    VOIDED = "voided"

    @property
    def is_final(self) -> bool:
        return self not in (CheckoutStatus.CREATING, CheckoutStatus.OPEN)


class Disposition(StrEnum):
    APPROVED = "Approved"
    DECLINED = "Declined"
    DECLINED_OFFLINE = "DeclinedOffline"
    UNABLE_TO_GO_ONLINE = "UnableToGoOnline"
    INDETERMINATE = "Indeterminate"
    VOIDED = "Voided"

    @classmethod
    def parse(cls, value: str) -> Disposition:
        """Halo's documentation writes dispositions in more than one case; compare without it."""
        folded = value.strip().casefold()
        for member in cls:
            if member.value.casefold() == folded:
                return member
        raise ValueError(f"unknown Halo disposition {value!r}")

    @property
    def status(self) -> CheckoutStatus:
        return _STATUS_OF[self]


_STATUS_OF = {
    Disposition.APPROVED: CheckoutStatus.APPROVED,
    Disposition.DECLINED: CheckoutStatus.DECLINED,
    Disposition.DECLINED_OFFLINE: CheckoutStatus.DECLINED,
    Disposition.UNABLE_TO_GO_ONLINE: CheckoutStatus.FAILED,
    Disposition.INDETERMINATE: CheckoutStatus.FAILED,
    Disposition.VOIDED: CheckoutStatus.VOIDED,
}


class Verdict(StrEnum):
    TRANSITION = "transition"  # a real change: stored, one history entry, one PSP notification
    REPEAT = "repeat"  # the checkout already says this: success, nothing written
    STALE = "stale"  # an older outcome arriving after a newer one (approval after its void): nothing written
    ANOMALY = "anomaly"  # contradicts a final status: recorded in history, counted, status unchanged


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    new_status: CheckoutStatus | None = None
    replaced_status: CheckoutStatus | None = None  # the final non-approval an approval or a void overrode
    reason: str = ""


def decide(current: CheckoutStatus, disposition: Disposition) -> Decision:
    """What a Halo outcome does to a checkout in `current` status (docs/architecture.md, "Checkout states").

    Every (status, disposition) pair has a result, and every confirmed outcome Halo can give for an
    unfinished checkout is final, so nothing stays `open` because Halo's last word was unexpected.
    """
    target = disposition.status
    if current == target:
        return Decision(Verdict.REPEAT, reason=f"already {current.value}")
    if not current.is_final:
        return _settle(target)
    if target == CheckoutStatus.APPROVED:
        return _approval_after(current)
    if target == CheckoutStatus.VOIDED:
        return _void_after(current)
    return Decision(Verdict.ANOMALY, reason=f"{disposition.value} received while {current.value}")


def _settle(target: CheckoutStatus) -> Decision:
    if target == CheckoutStatus.VOIDED:
        # Halo approved and then reversed it before halotap saw the approval: money moved and came
        # back, so the PSP learns the payment ended voided (history carries the reason).
        return Decision(Verdict.TRANSITION, target, reason="voided before its approval was seen")
    return Decision(Verdict.TRANSITION, target)


def _approval_after(current: CheckoutStatus) -> Decision:
    if current == CheckoutStatus.VOIDED:
        return Decision(Verdict.STALE, reason="approval arrived after its void")
    # Money wins: the shopper paid, so the PSP must see it and can refund.
    return Decision(
        Verdict.TRANSITION,
        CheckoutStatus.APPROVED,
        replaced_status=current,
        reason=f"approved after {current.value}",
    )


def _void_after(current: CheckoutStatus) -> Decision:
    if current == CheckoutStatus.APPROVED:
        return Decision(Verdict.TRANSITION, CheckoutStatus.VOIDED)
    # A void proves an approval halotap never saw, after it had given up on the checkout: the PSP
    # must learn that money moved and came back, and which status this replaces.
    return Decision(
        Verdict.TRANSITION,
        CheckoutStatus.VOIDED,
        replaced_status=current,
        reason=f"voided after {current.value}",
    )


def can_cancel(current: CheckoutStatus) -> bool:
    return current == CheckoutStatus.OPEN
