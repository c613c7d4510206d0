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
    replaced_status: CheckoutStatus | None = None  # set when money wins over a final non-approval
    reason: str = ""


def decide(current: CheckoutStatus, disposition: Disposition) -> Decision:
    """What a Halo outcome does to a checkout in `current` status (docs/architecture.md, "Checkout states")."""
    target = disposition.status
    if current == target:
        return Decision(Verdict.REPEAT, reason=f"already {current.value}")
    if current in (CheckoutStatus.OPEN, CheckoutStatus.CREATING) and target != CheckoutStatus.VOIDED:
        return Decision(Verdict.TRANSITION, target)
    if target == CheckoutStatus.APPROVED:
        if current == CheckoutStatus.VOIDED:
            return Decision(Verdict.STALE, reason="approval arrived after its void")
        # Money wins: the shopper paid, so the PSP must see it and can refund.
        return Decision(
            Verdict.TRANSITION, target, replaced_status=current, reason=f"approved after {current.value}"
        )
    if target == CheckoutStatus.VOIDED and current == CheckoutStatus.APPROVED:
        return Decision(Verdict.TRANSITION, target)
    return Decision(Verdict.ANOMALY, reason=f"{disposition.value} received while {current.value}")


def can_cancel(current: CheckoutStatus) -> bool:
    return current == CheckoutStatus.OPEN
