"""`make bench`'s lifecycle part: every AWS call of one checkout's life, warm, the requests Halo and the PSP
received and the checkout item's size by DynamoDB's rules; docs/performance.md prices them.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from scripts.bench_figures import format_table, progress
from scripts.bench_warm import AwsCalls, Operations
from scripts.local_stack import Stack

# -- 6. one checkout's whole life, counted --------------------------------------------------------------


@dataclass(frozen=True)
class Lifecycle:
    """The AWS and HTTP calls of each step of one checkout's life, and what the item weighs at the end."""

    steps: list[tuple[str, list[str]]]  # step -> "Service.Operation" calls, halotap's own clients
    after: list[str]  # per step: the checkout item's size, status and index keys afterwards
    log_bytes: list[int]  # per step: bytes the handlers logged at INFO (the deployed level)
    halo_requests: int  # requests the Halo simulator received
    psp_posts: int  # notifications the PSP's endpoint received
    item_bytes: int  # the checkout item after the lifecycle, by DynamoDB's sizing rules
    guard_bytes: int  # the (merchantId, reference) guard item
    event_bytes: list[int] = field(default_factory=list)  # the events table's items after it, largest first

    def rows(self) -> list[list[str]]:
        rows = [
            [step, str(len(calls)), _calls(calls), after, str(logged)]
            for (step, calls), after, logged in zip(self.steps, self.after, self.log_bytes, strict=True)
        ]
        total = [call for _, calls in self.steps for call in calls]
        rows.append(["total", str(len(total)), _calls(total), "", str(sum(self.log_bytes))])
        return rows

    def table(self) -> str:
        header = ["lifecycle step", "AWS calls", "which", "checkout item after", "log bytes"]
        return (
            f"{format_table(header, self.rows())}\nHalo requests: {self.halo_requests}; PSP notifications "
            f"received: {self.psp_posts}; checkout item {self.item_bytes} bytes, reference guard "
            f"{self.guard_bytes} bytes; events table {len(self.event_bytes)} items of "
            f"{', '.join(map(str, self.event_bytes)) or '-'} bytes (DynamoDB sizing)"
        )


def _calls(calls: Sequence[str]) -> str:
    return ", ".join(f"{n}x {call}" for call, n in _tally(calls)) or "(none)"


def _tally(calls: Sequence[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for call in calls:
        counts[call] = counts.get(call, 0) + 1
    return sorted(counts.items())


def attribute_bytes(value: dict[str, Any]) -> int:  # noqa: PLR0911 - one return per DynamoDB type
    """An attribute value's size as DynamoDB bills it (Developer Guide, "Item sizes and formats")."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1 + (1 if inner.startswith("-") else 0)
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_bytes(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(attribute_bytes(v) + 1 for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_bytes({kind[0]: member}) for member in inner)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_bytes(value) for name, value in item.items())


def _queued_event(stack: Stack, queue_url: str) -> dict[str, Any]:
    """What Lambda's event source mapping would hand the consumer: the messages on the queue, as one batch.
    The mapping's own ReceiveMessage and DeleteMessage are made here with the bench's client, so they are
    not counted as halotap's (docs/performance.md adds them to the cost)."""
    from devstack.lambda_events import sqs_event

    sqs = stack.raw("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    messages = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=1
    ).get("Messages", [])
    if not messages:
        raise RuntimeError(f"nothing queued on {queue_url}")
    for message in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return sqs_event(messages, arn)


class LogBytes(logging.Handler):
    """Counts the bytes the handlers' Powertools loggers would write to CloudWatch Logs, a line each."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(formatter)
        self.total = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.total += len(self.format(record).encode()) + 1


@contextlib.contextmanager
def counting_logs(modules: Sequence[Any]) -> Iterator[LogBytes]:
    loggers = [module.logger for module in modules]
    counter = LogBytes(loggers[0].registered_formatter)
    levels = [logger.log_level for logger in loggers]
    for logger in loggers:
        logger.setLevel("INFO")  # what the stack deploys (POWERTOOLS_LOG_LEVEL=INFO)
        logger._logger.addHandler(counter)
    try:
        yield counter
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger._logger.removeHandler(counter)
            logger.setLevel(level)


def lifecycle(stack: Stack, ops: Operations) -> Lifecycle:  # noqa: PLR0915 - one life, top to bottom
    """create -> Halo webhook -> confirm and apply -> notify -> one GET, then one reconcile pass."""
    import httpx

    from functions.apply_halo_event import handler as apply_handler
    from functions.create_checkout import handler as create_handler
    from functions.deliver_notification import handler as deliver_handler
    from functions.get_checkout import handler as get_handler
    from functions.halo_webhook import handler as webhook_handler
    from functions.reconcile import handler as reconcile_handler
    from halotap.adapters.dynamodb import checkout_key
    from halotap.settings import settings
    from halotap.wiring import default_services

    config = settings()
    # Warm, as a container that has served before: every secret the steps read is in the TTL cache. (The
    # lifecycle runs first on an empty table, so its reconcile pass sees no other checkout.)
    secrets = default_services().secrets
    secrets.merchant(stack.merchant_id), secrets.clients(), secrets.webhook_tokens()
    progress("one checkout's lifecycle, counted")
    httpx.delete(f"{stack.halo_url}/_sim/requests", timeout=10).raise_for_status()
    psp_before = len(httpx.get(f"{stack.sink_url}/_sink/received", timeout=10).json())
    dynamodb = stack.raw("dynamodb")
    modules = [
        create_handler,
        webhook_handler,
        apply_handler,
        deliver_handler,
        get_handler,
        reconcile_handler,
    ]
    counter = AwsCalls()
    steps: list[tuple[str, list[str]]] = []
    after: list[str] = []
    log_bytes: list[int] = []
    created: dict[str, str] = {}

    def step(name: str, action: Callable[[], object]) -> None:
        with counting_logs(modules) as logged:
            steps.append((name, counter.during(action)))
        log_bytes.append(logged.total)
        item = dynamodb.get_item(TableName=config.checkouts_table, Key=checkout_key(created["id"]))["Item"]
        keys = [name for name in ("haloReference", "dueShard") if name in item]
        after.append(f"{item_bytes(item)} B, {item['status']['S']}, index keys: {', '.join(keys) or 'none'}")

    try:
        create_event = ops.create_event()
        step("create (POST /v1/checkouts)", lambda: created.update(id=ops.create(create_event)))
        checkout_id = created["id"]
        answer = ops._get(ops.get_event(checkout_id), ops.context)
        halo_reference = json.loads(answer["body"])["haloReference"]
        httpx.post(
            f"{stack.halo_url}/_sim/transactions/{halo_reference}/tap",
            json={"disposition": "Approved", "webhook": False},
            timeout=10,
        ).raise_for_status()
        step("Halo webhook intake", lambda: ops.webhook(ops.webhook_event(checkout_id)))
        applied = _queued_event(stack, config.halo_events_queue_url)
        step("confirm with Halo and apply", lambda: apply_handler.handler(applied, ops.context))
        notified = _queued_event(stack, config.notifications_queue_url)
        step("notify the PSP", lambda: deliver_handler.handler(notified, ops.context))
        get_event = ops.get_event(checkout_id)
        step("GET /v1/checkouts/{id}", lambda: ops.get(get_event))
        step("one reconcile pass", lambda: reconcile_handler.handler({}, ops.context))
    finally:
        counter.close()
    halo_requests = httpx.get(f"{stack.halo_url}/_sim/requests", timeout=10).json()  # Halo's own routes only
    psp_after = len(httpx.get(f"{stack.sink_url}/_sink/received", timeout=10).json())
    item = dynamodb.get_item(TableName=config.checkouts_table, Key=checkout_key(checkout_id))["Item"]
    reference = json.loads(create_event["body"])["reference"]
    guard = dynamodb.get_item(
        TableName=config.checkouts_table, Key={"pk": {"S": f"ref#{stack.merchant_id}#{reference}"}}
    )["Item"]
    # The events feed (GET /v1/events): the counter, the event in the feed and the event by its id. The
    # table holds this lifecycle's items only (the bench provisions it empty), so a scan reads just those.
    events = dynamodb.scan(TableName=config.events_table)["Items"]
    return Lifecycle(
        steps,
        after,
        log_bytes,
        len(halo_requests),
        psp_after - psp_before,
        item_bytes(item),
        item_bytes(guard),
        sorted((item_bytes(event) for event in events), reverse=True),
    )
