"""Halo's transaction history (`GET /transactions`), read a page at a time: the ledger a day is proven against.

Only the paging and the reading of records live here. The call itself goes through `HaloClient._send`, so a
page gets the same x-api-key header, timeouts, circuit breaker, error mapping and retries as a status read
(a history read is safe to repeat).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from halotap.domain.clock import iso
from halotap.domain.errors import HaloBadResponse
from halotap.domain.halo import HaloLedgerEntry, parse_ledger_entry
from halotap.domain.parties import MerchantCredentials

logger = logging.getLogger(__name__)

HISTORY_PATH = "/transactions"
# Halo does not document a largest `limit`; the simulator allows 1,000. Paging stops at the first page
# shorter than `limit`, so a server that quietly capped a bigger limit would end the read early: the
# client never asks for more than this.
MAX_PAGE_SIZE = 1000
# Where a wrapped answer may keep its records (see `_records`).
RECORD_KEYS = ("data", "transactions", "items")


class Send(Protocol):
    """`HaloClient._send`: one call to Halo, retried when `retry_sent`, errors mapped to HaloError."""

    def __call__(
        self,
        method: str,
        path: str,
        merchant: MerchantCredentials,
        *,
        params: dict[str, str] | None = None,
        retry_sent: bool,
    ) -> Any: ...


def entries(
    send: Send,
    merchant: MerchantCredentials,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    merchant_reference: str | None = None,
    page_size: int = 500,
) -> Iterator[HaloLedgerEntry]:
    """The merchant's records, `createdAt` from `start` to `end` (both inclusive), in Halo's order.

    A generator: each page is asked for only when the previous one has been consumed, so a day of
    100,000 records is never held in memory. Raises ValueError at once for a zoneless bound or a page
    size outside 1..MAX_PAGE_SIZE, and HaloError as soon as a page cannot be read.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be from 1 to {MAX_PAGE_SIZE}, not {page_size}")
    filters = {"merchant": merchant.halo_merchant_id}  # opaque: a UUID string or digits, never an int
    if start is not None:
        filters["startDate"] = _timestamp(start, "start")
    if end is not None:
        filters["endDate"] = _timestamp(end, "end")
    if merchant_reference is not None:
        filters["merchantReference"] = merchant_reference
    return _pages(send, merchant, filters, page_size)


def _pages(
    send: Send, merchant: MerchantCredentials, filters: dict[str, str], page_size: int
) -> Iterator[HaloLedgerEntry]:
    offset = 0
    while True:
        params = {**filters, "limit": str(page_size), "offset": str(offset)}
        records = _records(send("GET", HISTORY_PATH, merchant, params=params, retry_sent=True))
        for record in records:
            try:
                yield parse_ledger_entry(record)
            except ValueError as error:
                # One unreadable record must not hide the rest of the day; the ledger check that reads
                # these entries reports what it cannot match.
                logger.warning(
                    "skipped a Halo transaction record it cannot read",
                    extra={"merchantId": merchant.merchant_id, "offset": offset, "error": str(error)},
                )
        if len(records) < page_size:
            return
        offset += len(records)


def _records(answer: Any) -> list[Any]:
    """The page's records.

    Halo documents a bare JSON array (`api-docs/04 - get-transaction-history.mdx`, its 200 example), and
    that is what the simulator answers. An object holding the array under `data`, `transactions` or
    `items` is read too: the page's own example is cut short (`...`), halo-api-facts.md says nothing of
    the answer's shape, and a paged list wrapped with its total is a common change for an API to make.
    """
    if isinstance(answer, list):
        return answer
    if isinstance(answer, dict):
        for key in RECORD_KEYS:
            if isinstance(answer.get(key), list):
                return list(answer[key])
    raise HaloBadResponse("Halo's transaction history is neither a JSON array nor an object holding one")


def _timestamp(moment: datetime, name: str) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone: a zoneless time could be any day's")
    return iso(moment)  # ISO 8601, UTC, milliseconds, `Z`
