"""The checkouts store in memory, with DynamoDB's conditional semantics (halotap.app.ports.CheckoutRepository).

What the fake must keep, and tests/contract holds it to: a reference is taken once (until released by its
own checkout), `save` is conditional on the version read, `reserve_refund` on the totals as they are at
the write, `settle_refund` on the refund still pending, and the due index is sparse, sharded, and read
oldest first. One lock makes each operation atomic, as one DynamoDB request is.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import fields

from halotap.adapters.dynamo.items import due_shard
from halotap.domain.errors import ConcurrentUpdate, ReferenceAlreadyUsed
from halotap.domain.models import Checkout, HistoryEntry, Refund, RefundStatus
from halotap.domain.refunds import MAX_REFUNDS_PER_CHECKOUT, minor
from halotap.domain.states import CheckoutStatus

_MAPS = ("notifications", "refunds", "refund_references")
_TOTALS = ("reserved_minor", "refunded_minor")


class MemoryCheckoutStore:
    def __init__(self) -> None:
        self.checkouts: dict[str, Checkout] = {}
        self.references: dict[tuple[str, str], str] = {}
        self.writes = 0  # successful writes, for tests that count them
        self._lock = threading.RLock()

    # -- writes ---------------------------------------------------------------------------------------
    def insert(self, checkout: Checkout) -> None:
        with self._lock:
            key = (checkout.merchant_id, checkout.reference)
            if key in self.references:
                raise ReferenceAlreadyUsed(
                    f"merchant {checkout.merchant_id!r} already used reference {checkout.reference!r}",
                    checkoutId=self.references[key],
                )
            if checkout.id in self.checkouts:
                raise ReferenceAlreadyUsed(f"checkout {checkout.id} exists", checkoutId=checkout.id)
            self.references[key] = checkout.id
            self._put(checkout)

    def save(self, before: Checkout, after: Checkout, history: Sequence[HistoryEntry] = ()) -> Checkout:
        with self._lock:
            current = self.checkouts.get(before.id)
            if current is None or current.version != before.version:
                raise ConcurrentUpdate(f"checkout {before.id} changed since version {before.version}")
            # The version matched, so `current` is `before`: applying the difference gives `after`.
            written = _apply(current, before, after).but(
                version=current.version + 1, history=(*current.history, *history)
            )
            self._put(written)
            return written

    def reserve_refund(self, checkout: Checkout, refund: Refund) -> Checkout | None:
        with self._lock:
            current = self.checkouts.get(checkout.id)
            amount = minor(refund.amount, refund.currency)
            if (
                current is None
                or current.status is not CheckoutStatus.APPROVED
                or current.reserved_minor + amount > minor(current.amount, current.currency)
                or refund.reference in current.refund_references
                or current.refund_count >= MAX_REFUNDS_PER_CHECKOUT
            ):
                return None
            written = current.but(
                reserved_minor=current.reserved_minor + amount,
                refund_count=current.refund_count + 1,
                refunds={**current.refunds, refund.id: refund},
                refund_references={**current.refund_references, refund.reference: refund.id},
                version=current.version + 1,
                updated_at=refund.created_at,
                due_at=refund.next_attempt_at,
            )
            self._put(written)
            return written

    def settle_refund(self, checkout: Checkout, settled: Checkout, refund_id: str) -> Checkout | None:
        with self._lock:
            current = self.checkouts.get(checkout.id)
            refund = current.refunds.get(refund_id) if current else None
            if current is None or refund is None or refund.status is not RefundStatus.PENDING:
                return None
            written = _apply(current, checkout, settled).but(version=current.version + 1)
            self._put(written)
            return written

    def release_reference(self, checkout: Checkout) -> None:
        with self._lock:
            key = (checkout.merchant_id, checkout.reference)
            if self.references.get(key) == checkout.id:
                del self.references[key]

    def _put(self, checkout: Checkout) -> None:
        self.checkouts[checkout.id] = checkout
        self.writes += 1

    # -- reads ----------------------------------------------------------------------------------------
    def get(self, checkout_id: str) -> Checkout | None:
        with self._lock:
            return self.checkouts.get(checkout_id)

    def checkout_id_for_reference(self, merchant_id: str, reference: str) -> str | None:
        with self._lock:
            return self.references.get((merchant_id, reference))

    def find_by_halo_reference(self, halo_reference: str) -> Checkout | None:
        with self._lock:
            found = [c for c in self.checkouts.values() if c.halo_reference == halo_reference]
        return found[0] if len(found) == 1 else None

    def due(self, shard: int, now: str, limit: int) -> list[Checkout]:
        with self._lock:
            due = [
                c
                for c in self.checkouts.values()
                if c.due_at and c.due_at <= now and due_shard(c.id) == str(shard)
            ]
        return sorted(due, key=lambda c: c.due_at or "")[:limit]

    def by_merchant(
        self,
        merchant_id: str,
        *,
        statuses: tuple[str, ...],
        window: tuple[str | None, str | None],
        limit: int,
        after: dict[str, str] | None,
    ) -> tuple[list[Checkout], dict[str, str] | None]:
        start, end = window
        with self._lock:
            mine = [c for c in self.checkouts.values() if c.merchant_id == merchant_id]
        mine.sort(key=lambda c: (c.created_at, c.id), reverse=True)
        if after:
            mine = [c for c in mine if (c.created_at, c.id) < (after["createdAt"], after["id"])]
        found = [
            c
            for c in mine
            if (not statuses or c.status.value in statuses)
            and (start is None or c.created_at >= start)
            and (end is None or c.created_at <= end)
        ]
        if len(found) > limit:
            last = found[limit - 1]
            return found[:limit], {"id": last.id, "createdAt": last.created_at}
        return found, None


def _apply(current: Checkout, before: Checkout, after: Checkout) -> Checkout:
    """`current` with what differs between `before` and `after`: maps per entry, totals as additions."""
    changes = {}
    for field in fields(Checkout):
        name = field.name
        if name in ("version", "history"):
            continue
        old, new = getattr(before, name), getattr(after, name)
        if name in _MAPS:
            entries = dict(getattr(current, name))
            for key in set(old) | set(new):
                if old.get(key) != new.get(key):
                    if key in new:
                        entries[key] = new[key]
                    else:
                        entries.pop(key, None)
            changes[name] = entries
        elif name in _TOTALS:
            changes[name] = getattr(current, name) + new - old
        elif old != new:
            changes[name] = new
    return current.but(**changes)
