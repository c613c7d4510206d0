"""What moto would otherwise grow or slow down without end in a long-lived devstack, bounded.

moto is written for tests that live seconds; the devstack lives through storms and long sessions. Five
of its habits made a storm of 2,000 Halo webhooks take a devstack from about 100 MB to 1 to 3 GB and
slow it to a few webhooks a second (issue 22, finding 7). Each is undone here, once per process, by
`bound_moto()`; the devstack's moto server calls it as it is built. tests/devstack/test_moto_bounds.py
fails without 1, 3, 4 or 5, and checks that queue counts and rollbacks still come out as moto's own.

1. **Every model instance moto ever made is kept.** `BaseModel.__new__` appends each new instance to a
   class-level `instances_tracked` list, for moto's dashboard and `/moto-api/reset`, and nothing ever
   removes one. That includes every SQS message, every DynamoDB item copy an UpdateItem makes and every
   copy of a whole table that TransactWriteItems takes to roll back with (3). halotap writes its event feed
   and its checkouts in transactions, so the kept copies grow with the square of the session's
   writes. Here nothing is tracked; moto's state is still reachable from its backends, which is all the
   devstack reads, and `/moto-api/reset` still resets every backend.
2. **SQS reads the clock through datetime arithmetic, for each message, on every request.** Every
   SendMessage works out all of a queue's attributes (three scans of its messages), and every message a
   ReceiveMessage returns works them out again, each message comparing `datetime.utcnow()` minus the
   epoch. With 2,000 webhooks queued that was about two thirds of the devstack's CPU. Here SQS's clock
   is `time.time()`: the same UTC epoch seconds, without building datetimes.
3. **TransactWriteItems copies every table it names, whole, before it starts,** to put the copy back if
   the transaction is cancelled. halotap's event feed and outbox writes are transactions, so each costs
   time in proportion to the whole table, for as long as the session runs (about a tenth of the
   devstack's CPU during a storm over 200 checkouts). Here the items the transaction names are copied
   instead, and only those are put back on a cancel. That is the same rollback, because the devstack
   runs one DynamoDB request at a time (aws.AtomicDynamoDB): nothing else can change the table meanwhile.
   A table with a stream keeps moto's whole-table copy (its stream records would have to roll back too);
   halotap's tables have none.
4. **A queue keeps every receipt handle of every message it ever deleted** (`deleted_messages`, 185
   characters each, several per message), so that deleting a message twice succeeds. Here it keeps the
   newest `MAX_DELETED_RECEIPT_HANDLES`; a delete by a handle older than that answers
   ReceiptHandleIsInvalid, as SQS may for a handle that has expired.
5. **The server lists moto's own package folder for every request** (`os.listdir` and an `isdir` per
   entry, some 200, to ask whether the Host header names a service), about 4% of the devstack's CPU in a
   storm. The folder does not change while the process runs, so here it is listed once.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

MAX_DELETED_RECEIPT_HANDLES = 10_000  # per queue: a handle is about 250 bytes, so at most a few MB each

_APPLIED_LOCK = threading.Lock()
_applied: list[str] = []  # the bounds in place, in the order applied


class RecentSet:
    """A set of strings that forgets its oldest members past `limit`: moto's `deleted_messages`, bounded.

    Only what moto's SQS does with that set is offered (`in`, `add`, `update`, `len`, iteration).
    Not locked: moto calls it under its own queue handling, as it did the plain set.
    """

    def __init__(self, limit: int, members: Iterable[str] = ()) -> None:
        self._limit = limit
        self._members: dict[str, None] = {}
        self.update(members)

    def __contains__(self, member: object) -> bool:
        return member in self._members

    def __len__(self) -> int:
        return len(self._members)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._members))

    def add(self, member: str) -> None:
        self._members.pop(member, None)  # re-added: it is the newest again
        self._members[member] = None
        while len(self._members) > self._limit:
            del self._members[next(iter(self._members))]

    def update(self, members: Iterable[str]) -> None:
        for member in members:
            self.add(member)


def bound_moto() -> None:
    """Applies the five bounds in this module's docstring; once per process, whoever calls it."""
    with _APPLIED_LOCK:
        for bound in (
            _stop_tracking_instances,
            _sqs_wall_clock,
            _transactions_copy_items_not_tables,
            _bound_deleted_receipt_handles,
            _list_moto_once,
        ):
            if bound.__name__ not in _applied:
                bound()
                _applied.append(bound.__name__)


def _stop_tracking_instances() -> None:
    from moto.core.common_models import BaseModel

    def __new__(cls: type[Any], *args: Any, **kwargs: Any) -> Any:
        # What BaseModel.__new__ does, less `cls.instances_tracked.append(instance)`.
        return super(BaseModel, cls).__new__(cls)

    BaseModel.__new__ = staticmethod(__new__)  # type: ignore[method-assign]


def _sqs_wall_clock() -> None:
    import moto.sqs.models as sqs_models

    to_epoch_seconds = sqs_models.unix_time  # type: ignore[attr-defined]

    def unix_time(dt: datetime | None = None) -> float:
        return time.time() if dt is None else to_epoch_seconds(dt)

    def unix_time_millis(dt: datetime | None = None) -> float:
        return unix_time(dt) * 1000.0

    # moto.sqs.models imported both names from moto.core.utils; only SQS's copies are replaced.
    sqs_models.unix_time = unix_time  # type: ignore[attr-defined]
    sqs_models.unix_time_millis = unix_time_millis  # type: ignore[attr-defined]


def _list_moto_once() -> None:
    import moto.backends

    listed = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: listed  # the server calls it as moto.backends.<name>


def _bound_deleted_receipt_handles() -> None:
    from moto.sqs.models import Queue

    original_init = Queue.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.deleted_messages = RecentSet(MAX_DELETED_RECEIPT_HANDLES, self.deleted_messages)

    Queue.__init__ = __init__  # type: ignore[method-assign]


class _TableCopies:
    """Stands in for the `copy` module inside moto.dynamodb.models: a whole table is not copied while
    `_transactions_copy_items_not_tables` has copied the transaction's items itself (on this thread)."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type
        self.items_copied = threading.local()

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, self._table_type) and getattr(self.items_copied, "active", False):
            return value  # moto's "rollback" then puts back the live table; the items are restored instead
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _transactions_copy_items_not_tables() -> None:
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException
    from moto.dynamodb.models.table import Table

    copies = _TableCopies(Table)
    dynamodb_models.copy = copies  # type: ignore[attr-defined,assignment]
    backend_type = dynamodb_models.DynamoDBBackend
    original = backend_type.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshot = _snapshot(self, transact_items)
        if snapshot is None:  # a table with a stream, or a request moto will refuse: moto's own way
            original(self, transact_items)
            return
        copies.items_copied.active = True
        try:
            original(self, transact_items)
        except (TransactionCanceledException, MockValidationException):  # where moto rolls back
            for table, hash_key, range_key, before in snapshot:
                _put_back(table, hash_key, range_key, before)
            raise
        finally:
            copies.items_copied.active = False

    backend_type.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]] | None:
    """(table, hash key, range key, a copy of the item or None) for each item the transaction names."""
    snapshot, seen = [], set()
    try:
        for entry in transact_items:
            ((op_type, op),) = entry.items()
            table = backend.tables[op["TableName"]]
            if table.stream_shard is not None:
                return None
            if op_type == "Put":
                attrs = op["Item"]
                names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
                key = {name: attrs[name] for name in names}
            else:
                key = op["Key"]
            marker = (op["TableName"], json.dumps(key, sort_keys=True))
            if marker in seen:
                continue  # moto refuses it (one operation per item) and rolls back to the first copy
            seen.add(marker)
            hash_key, range_key = backend.get_keys_value(table, key)
            current = table.get_item(hash_key, range_key)
            snapshot.append((table, hash_key, range_key, copy.deepcopy(current)))
    except Exception:  # a malformed request: moto answers it, and copies what it copies to do so
        return None
    return snapshot


def _put_back(table: Any, hash_key: Any, range_key: Any, before: Any) -> None:
    if range_key is not None:
        if before is None:
            table.items[hash_key].pop(range_key, None)
        else:
            table.items[hash_key][range_key] = before
    elif before is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = before
