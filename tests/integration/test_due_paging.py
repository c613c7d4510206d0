"""`CheckoutStore.due` reads past DynamoDB's 1 MB page: a backlog of large checkouts in one shard is found in
one run, not one page per run."""

from __future__ import annotations

import itertools

from halotap.adapters.dynamodb import due_shard
from halotap.domain.models import Checkout, HistoryEntry
from halotap.domain.requests import MAX_METADATA_KEY, MAX_METADATA_PAIRS, MAX_METADATA_VALUE
from halotap.domain.states import CheckoutStatus
from scripts.bench_lifecycle import item_bytes

AT = "2026-11-27T12:00:00.000Z"
NOW = "2026-11-27T13:00:00.000Z"
SHARD = 3
BACKLOG = 120  # of about 10.5 KB each: about 1.26 MB, more than one Query page


def largest_metadata() -> dict[str, str]:
    """As much as a create may send: 20 pairs of the longest key and value."""
    return {f"{i:0{MAX_METADATA_KEY}d}": "v" * MAX_METADATA_VALUE for i in range(MAX_METADATA_PAIRS)}


def ids_in_shard(shard: int, count: int) -> list[str]:
    candidates = (f"chk_duepaging{n:018d}" for n in itertools.count())
    return list(itertools.islice((i for i in candidates if due_shard(i) == str(shard)), count))


def test_a_backlog_larger_than_one_query_page_is_found_in_one_call(services) -> None:
    metadata = largest_metadata()
    ids = ids_in_shard(SHARD, BACKLOG)
    for n, checkout_id in enumerate(ids):
        due_at = f"2026-11-27T12:{n // 60:02d}:{n % 60:02d}.000Z"
        services.store.insert(
            Checkout(
                id=checkout_id,
                client_id="demo-psp",
                merchant_id="demo-merchant",
                reference=f"order-due-paging-{n}",
                amount="10.00",
                currency="ZAR",
                status=CheckoutStatus.OPEN,
                metadata=metadata,
                expires_at=NOW,
                created_at=AT,
                updated_at=AT,
                history=(HistoryEntry(at=AT, type="created", source="api", to_status="open"),),
                due_at=due_at,
            )
        )
    stored = services.store.item(services.store.get(ids[0]))
    assert item_bytes(stored) * BACKLOG > 1_100_000  # by DynamoDB's sizing: past one 1 MB page

    due = services.store.due(SHARD, NOW, limit=1000)
    assert [c.id for c in due] == ids  # all of them, oldest first
    assert [c.id for c in services.store.due(SHARD, NOW, limit=50)] == ids[:50]  # and never past the limit
