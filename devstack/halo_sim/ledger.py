"""Halo's transaction history as the simulator keeps it: each merchant's records sorted by (createdAt, id).

What `GET /transactions` pages through: the payments tapped, the refunds approved, and the records a
test plants with `POST /_sim/ledger/transactions`.
"""

from __future__ import annotations

import bisect
import itertools
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from devstack.halo_sim.wire import Json, amount_text
from halotap.domain.currencies import MINOR_UNITS

FEE_RATE = Decimal("0.029")  # what the simulator charges on money taken: 2.9% of an approved purchase
MAX_PAGE = 1000
DEFAULT_PAGE = 100


def _minor_digits(currency: str) -> int:
    digits = MINOR_UNITS.get(currency.upper())
    return 2 if digits is None else digits


def _fee(amount: Decimal, currency: str) -> Decimal:
    return (amount * FEE_RATE).quantize(Decimal(1).scaleb(-_minor_digits(currency)), ROUND_HALF_UP)


@dataclass(slots=True)
class LedgerRecord:
    """One record of Halo's transaction history, as the simulator keeps it."""

    id: str
    merchant_id: str
    merchant_reference: str
    transaction_type: str  # "Purchase" | "Refund"
    disposition: str
    amount: Decimal
    currency: str
    created_at: str  # wire_time: the sort key, with `id`
    original_transaction_id: str | None = None
    fee: Decimal = Decimal(0)
    recon_reference: str = field(default_factory=lambda: secrets.token_hex(6).upper())

    @property
    def key(self) -> tuple[str, str]:
        return (self.created_at, self.id)

    def provider_fields(self) -> Json:
        """iVeri's reconciliation keys, from createdAt's UTC date and time (the acquirer's own clock)."""
        digits = self.created_at.replace("-", "").replace(":", "")  # 20261207T100000.123Z
        return {
            "reconReference": self.recon_reference,
            "acquirerDate": digits[:8],
            "acquirerTime": digits[9:15],
        }

    def view(self) -> Json:
        return {
            "id": self.id,
            "merchantReference": self.merchant_reference,
            "merchantTransactionReference": self.merchant_reference,  # the name in Halo's own example
            "disposition": self.disposition,
            "amount": amount_text(self.amount),
            "currency": self.currency,
            "createdAt": self.created_at,
            "transactionType": self.transaction_type,
            "originalTransactionId": self.original_transaction_id,
            "transactionFee": str(self.fee),
            "paymentProviderFields": self.provider_fields(),
        }


def charged_fee(transaction_type: str, disposition: str, amount: Decimal, currency: str) -> Decimal:
    """A fee only on money taken: an approved purchase pays FEE_RATE; a decline or a refund pays nothing."""
    if transaction_type == "Purchase" and disposition == "Approved":
        return _fee(amount, currency)
    return Decimal(0).quantize(Decimal(1).scaleb(-_minor_digits(currency)))


@dataclass(frozen=True)
class LedgerQuery:
    """GET /transactions' filters, checked. `start`/`end` are wire_time strings; `end_inclusive` False
    when `end` is the next day's midnight (an endDate given as a date means the whole of that day)."""

    start: str | None = None
    end: str | None = None
    end_inclusive: bool = True
    merchant_reference: str | None = None
    disposition: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    limit: int = DEFAULT_PAGE
    offset: int = 0

    def keeps(self, record: LedgerRecord) -> bool:
        return (
            (self.merchant_reference is None or record.merchant_reference == self.merchant_reference)
            and (self.disposition is None or record.disposition == self.disposition)
            and (self.min_amount is None or record.amount >= self.min_amount)
            and (self.max_amount is None or record.amount <= self.max_amount)
        )

    @property
    def filters_records(self) -> bool:
        return any(
            v is not None
            for v in (self.merchant_reference, self.disposition, self.min_amount, self.max_amount)
        )


class Ledger:
    """Every merchant's records, each merchant's kept sorted by (createdAt, id) as they are added.

    A page is a bisect for the date window and a slice for limit/offset, so paging through 100,000
    records of one day never sorts or scans the day again. Not thread-safe: the simulator's lock guards it.
    """

    def __init__(self) -> None:
        self._records: dict[str, list[LedgerRecord]] = {}  # merchantId -> sorted by key
        self._keys: dict[str, list[tuple[str, str]]] = {}  # the same order, keys only (for bisect)
        self._by_id: dict[str, LedgerRecord] = {}
        self._by_reference: dict[str, list[LedgerRecord]] = {}

    def clear(self) -> None:
        self._records.clear()
        self._keys.clear()
        self._by_id.clear()
        self._by_reference.clear()

    def add(self, record: LedgerRecord) -> None:
        records = self._records.setdefault(record.merchant_id, [])
        keys = self._keys.setdefault(record.merchant_id, [])
        at = bisect.bisect_right(keys, record.key)
        keys.insert(at, record.key)
        records.insert(at, record)
        self._index(record)

    def add_many(self, batch: list[LedgerRecord]) -> None:
        """One sort per merchant for the whole batch: planting 100,000 records stays cheap."""
        for merchant_id in {r.merchant_id for r in batch}:
            records = self._records.setdefault(merchant_id, [])
            records.extend(r for r in batch if r.merchant_id == merchant_id)
            records.sort(key=lambda r: r.key)
            self._keys[merchant_id] = [r.key for r in records]
        for record in batch:
            self._index(record)

    def _index(self, record: LedgerRecord) -> None:
        self._by_id[record.id] = record
        self._by_reference.setdefault(record.merchant_reference, []).append(record)

    def move(self, record: LedgerRecord, created_at: str) -> None:
        """Gives a record another createdAt, keeping the merchant's records sorted: a record Halo files
        under another day, as a late approval may be."""
        keys, records = self._keys[record.merchant_id], self._records[record.merchant_id]
        at = bisect.bisect_left(keys, record.key)
        del keys[at], records[at]
        record.created_at = created_at
        at = bisect.bisect_right(keys, record.key)
        keys.insert(at, record.key)
        records.insert(at, record)

    def get(self, record_id: str) -> LedgerRecord | None:
        return self._by_id.get(record_id)

    def by_reference(self, reference: str) -> list[LedgerRecord]:
        return list(self._by_reference.get(reference, ()))

    def page(self, merchant_id: str, query: LedgerQuery) -> list[LedgerRecord]:
        records = self._records.get(merchant_id, [])
        keys = self._keys.get(merchant_id, [])
        low = 0 if query.start is None else bisect.bisect_left(keys, (query.start, ""))
        if query.end is None:
            high = len(keys)
        elif query.end_inclusive:
            high = bisect.bisect_right(keys, (query.end, "\U0010ffff"))
        else:
            high = bisect.bisect_left(keys, (query.end, ""))
        if not query.filters_records:
            start = low + query.offset
            return records[start : min(high, start + query.limit)]
        kept = (r for r in itertools.islice(records, low, high) if query.keeps(r))
        return list(itertools.islice(kept, query.offset, query.offset + query.limit))
