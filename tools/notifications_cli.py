"""`halotap-notifications`: the operator's command for PSP notifications that ran out of retries.

    halotap-notifications list-dlq [--limit N] [--json]
    halotap-notifications redrive (--all | --message-id ID ...) [--dry-run]
    halotap-notifications replay CHECKOUT_ID [--event EVENT_ID]

Every subcommand takes --queue-url, --dlq-url, --table and --events-table (default: NOTIFICATIONS_QUEUE_URL,
NOTIFICATIONS_DLQ_URL, CHECKOUTS_TABLE, EVENTS_TABLE), or --devstack to use a running local devstack. The operations
are plain functions over a boto3 SQS client and a CheckoutStore, so tests can hand in their own.
Exit status: 0 done, 1 something was not found or failed, 2 a usage or settings error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from halotap.adapters.dynamodb import CheckoutStore
from halotap.adapters.events import EventLog
from halotap.adapters.queues import SqsQueue
from halotap.app.events import resend_event
from halotap.app.ports import EventFeed, Queue
from halotap.app.races import retry_on_conflict
from halotap.domain.errors import ConcurrentUpdate, EventNotFound, HalotapError
from halotap.domain.models import Checkout
from halotap.domain.notifications import SETTLED, MalformedMessage, NotificationMessage, marked
from halotap.domain.timing import EVENT_RETENTION
from tools.operator_common import OperatorError, SettingMissing, aws_session, devstack_session

PROG = "halotap-notifications"
RECEIVE_BATCH = 10  # SQS's maximum per ReceiveMessage
WAIT_SECONDS = 1  # long polling asks every SQS server, so an empty answer means an empty queue
HOLD_SECONDS = 120  # how long redrive hides a message it is moving from other readers of the DLQ
STALE_ROUNDS = 3  # receives in a row that bring back only messages already seen before we stop
UPDATE_ATTEMPTS = 3


@dataclass(frozen=True)
class Locations:
    """Where the notifications live. Empty strings are settings nobody gave."""

    queue_url: str = ""
    dlq_url: str = ""
    table: str = ""
    events_table: str = ""


# --- reading the DLQ -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParkedMessage:
    """One message in the notifications DLQ, as the deliverer parked it."""

    message_id: str
    receipt_handle: str
    raw: str
    fields: dict[str, Any] | None  # None: the body is not a notification message

    @classmethod
    def of(cls, received: dict[str, Any]) -> ParkedMessage:
        raw = str(received.get("Body", ""))
        try:
            fields = json.loads(raw)
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            fields = None
        return cls(str(received["MessageId"]), str(received["ReceiptHandle"]), raw, fields)

    def summary(self) -> dict[str, Any]:
        fields = self.fields or {}
        summary = {
            "messageId": self.message_id,
            "eventId": fields.get("eventId"),
            "checkoutId": fields.get("checkoutId"),
            "clientId": fields.get("clientId"),
            "type": fields.get("type"),
            "attempts": fields.get("attempts"),
            "lastError": fields.get("lastError"),
        }
        if self.fields is None:
            summary["lastError"] = "(the body is not a notification message)"
        return summary

    def original(self) -> NotificationMessage:
        """The message as it was first queued: the deliverer's bookkeeping (attempts, lastError) removed."""
        try:
            return NotificationMessage.from_dict(self.fields)
        except MalformedMessage as reason:
            raise Unredrivable(str(reason)) from None


class Unredrivable(Exception):
    """A DLQ message redrive leaves where it is, and why."""


def _receive(sqs: Any, queue_url: str, *, visibility: int, wait_seconds: int) -> list[ParkedMessage]:
    answer = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=RECEIVE_BATCH,
        VisibilityTimeout=visibility,
        WaitTimeSeconds=wait_seconds,
    )
    return [ParkedMessage.of(received) for received in answer.get("Messages", [])]


def _rounds(
    sqs: Any, queue_url: str, *, visibility: int, wait_seconds: int, release: bool
) -> Iterator[ParkedMessage]:
    """Every message the DLQ hands out, once each, until it runs dry or keeps repeating itself.

    With `release` (the receives hide messages), a message seen again is made visible at once: it was
    received earlier and is not being moved. So are the rest of a batch when the caller stops early.
    """
    seen: set[str] = set()
    pending: list[ParkedMessage] = []  # received in this batch, not yet handed to the caller
    stale = 0
    try:
        while stale < STALE_ROUNDS:
            pending = _receive(sqs, queue_url, visibility=visibility, wait_seconds=wait_seconds)
            if not pending:
                return
            fresh = False
            while pending:
                parked = pending.pop(0)
                if parked.message_id in seen:
                    if release:
                        _release(sqs, queue_url, parked)
                    continue
                seen.add(parked.message_id)
                fresh = True
                yield parked
            stale = 0 if fresh else stale + 1
    finally:
        if release:
            for parked in pending:
                _release(sqs, queue_url, parked)


def _release(sqs: Any, queue_url: str, parked: ParkedMessage) -> None:
    sqs.change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=parked.receipt_handle, VisibilityTimeout=0
    )


def list_dlq(
    sqs: Any, dlq_url: str, *, limit: int = 100, wait_seconds: int = WAIT_SECONDS
) -> list[ParkedMessage]:
    """Up to `limit` DLQ messages, each once, without consuming any: nothing is deleted.

    A receive returns at most 10 messages, and with VisibilityTimeout=0 the next receive may return the
    same ones again, so a listing of 12 could stop at 10. Each message is therefore hidden as it is read
    (for HOLD_SECONDS), so that the receives page through the DLQ until it answers empty, and every one is
    made visible again before this returns, or fails. Each read still adds one to a message's
    ApproximateReceiveCount (harmless: the DLQ has no redrive policy).
    """
    found: list[ParkedMessage] = []
    if limit < 1:
        return found
    try:
        for parked in _rounds(sqs, dlq_url, visibility=HOLD_SECONDS, wait_seconds=wait_seconds, release=True):
            found.append(parked)
            if len(found) >= limit:
                break
    finally:
        for parked in found:
            _release(sqs, dlq_url, parked)
    return found


# --- redrive -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedriveResult:
    message_id: str
    outcome: str  # moved | would_move | skipped | not_found
    event_id: str | None = None
    checkout_id: str | None = None
    detail: str = ""


def redrive(
    sqs: Any,
    store: CheckoutStore,
    *,
    queue_url: str,
    dlq_url: str,
    message_ids: list[str] | None = None,
    dry_run: bool = False,
    wait_seconds: int = WAIT_SECONDS,
) -> Iterator[RedriveResult]:
    """Moves DLQ messages (all of them, or those with `message_ids`) back to the notifications queue.

    Per message: the checkout's notification is marked `queued`, the original message is sent to the
    queue, and only then is the DLQ copy deleted, so a failure part way leaves it in the DLQ. The
    deliverer schedules retries by ApproximateReceiveCount, which starts again at 1 for the new
    message: a redriven notification gets the whole retry schedule again, while the attempts that GET
    shows keep counting from the earlier ones. Results are yielded as they
    happen; ids that were asked for and never seen come last as `not_found`.
    """
    wanted = None if message_ids is None else set(message_ids)
    found: set[str] = set()
    hold = 0 if dry_run else HOLD_SECONDS
    for parked in _rounds(sqs, dlq_url, visibility=hold, wait_seconds=wait_seconds, release=not dry_run):
        if wanted is not None and parked.message_id not in wanted:
            if not dry_run:
                _release(sqs, dlq_url, parked)
            continue
        found.add(parked.message_id)
        summary = parked.summary()
        ids = {"event_id": summary["eventId"], "checkout_id": summary["checkoutId"]}
        try:
            if dry_run:
                parked.original()  # the same checks as a real move
                yield RedriveResult(parked.message_id, "would_move", **ids)
            else:
                state = _move(sqs, store, queue_url, dlq_url, parked)
                yield RedriveResult(parked.message_id, "moved", detail=state, **ids)
        except Unredrivable as reason:
            if not dry_run:
                _release(sqs, dlq_url, parked)
            yield RedriveResult(parked.message_id, "skipped", detail=str(reason), **ids)
        if wanted is not None and found >= wanted:
            break
    for missing in sorted((wanted or set()) - found):
        yield RedriveResult(missing, "not_found", detail="no such message in the DLQ")


def _move(sqs: Any, store: CheckoutStore, queue_url: str, dlq_url: str, parked: ParkedMessage) -> str:
    original = parked.original()
    if not original.checkout_id:
        # An event about no checkout (ledger.completed): there is no delivery record to mark, and the
        # deliverer sends it as it is (app/notifications.py), so it goes back to the queue unchanged.
        sqs.send_message(QueueUrl=queue_url, MessageBody=original.to_json())
        sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=parked.receipt_handle)
        return f"{original.type}: an event of no checkout, sent back as it was"
    checkout = store.get(original.checkout_id)
    if checkout is None:
        raise Unredrivable(f"checkout {original.checkout_id} no longer exists; the deliverer would drop it")
    # Marked before it is sent: once sent, the deliverer may record `delivered` at any moment.
    state = mark_queued(store, checkout, original.event_id, replay=original.replay)
    sqs.send_message(QueueUrl=queue_url, MessageBody=original.to_json())
    sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=parked.receipt_handle)
    return state


def mark_queued(store: CheckoutStore, checkout: Checkout, event: str, *, replay: bool = False) -> str:
    """Sets the notification's status to `queued` so GET shows it being retried; says what it did.

    A notification already delivered (or refused with 410) keeps its status unless the message is a
    replay: the deliverer drops such a copy, so `queued` would never be corrected.
    """

    def attempt(current: Checkout) -> str:
        state = current.notifications.get(event)
        if state is None:
            return "checkout has no record of this event; status not changed"
        if state.status in SETTLED and not replay:
            return f"already {state.status}; the deliverer will drop this copy"
        store.save(current, current.but(notifications=marked(current, [event], "queued")))
        return f"status {state.status} -> queued"

    def read(checkout_id: str) -> Checkout:
        fresh = store.get(checkout_id)
        if fresh is None:
            raise Unredrivable(f"checkout {checkout_id} disappeared while being updated")
        return fresh

    try:
        return retry_on_conflict(checkout, attempt, read, gave_up="", retries=UPDATE_ATTEMPTS)
    except ConcurrentUpdate:
        raise Unredrivable(
            f"checkout {checkout.id} kept changing; status not updated after {UPDATE_ATTEMPTS} attempts"
        ) from None


# --- replay ------------------------------------------------------------------------------------------


class NotFound(OperatorError):
    pass


def replay(
    store: CheckoutStore,
    feed: EventFeed,
    notifications: Queue,
    *,
    checkout_id: str,
    event_id: str | None = None,
) -> tuple[str, str]:
    """Queues a notification again with `replay: true`, even one already delivered; returns (event, type).

    Without `event_id`, the checkout's latest notification (by createdAt). It is the same use case as
    `POST /v1/events/{id}/resend` (halotap.app.events.resend_event): the body stored in the event feed under
    that webhook-id, never one rebuilt from the checkout as it is now. An event past the feed's retention
    is not sent at all.
    """
    checkout = store.get(checkout_id)
    if checkout is None:
        raise NotFound(f"checkout {checkout_id} does not exist")
    if event_id is None:
        if not checkout.notifications:
            raise NotFound(f"checkout {checkout_id} has no notifications (it has not reached a final status)")
        event_id = max(checkout.notifications.items(), key=lambda pair: pair[1].created_at)[0]
    elif event_id not in checkout.notifications:
        known = ", ".join(sorted(checkout.notifications)) or "none"
        raise NotFound(f"checkout {checkout_id} has no notification {event_id} (it has: {known})")
    try:
        event = resend_event(feed, notifications, event_id)
    except EventNotFound:
        raise NotFound(
            f"event {event_id} of checkout {checkout_id} is no longer in the event feed (events are kept "
            f"{EVENT_RETENTION.days} days); nothing was sent, since a body rebuilt now could differ from "
            "the one the PSP received under this webhook-id"
        ) from None
    return event.id, event.type


# --- settings and clients ----------------------------------------------------------------------------


_SETTINGS = {
    # attribute: (flag, environment variable, stack output, what it is)
    "queue_url": (
        "--queue-url",
        "NOTIFICATIONS_QUEUE_URL",
        "NotificationsQueueUrl",
        "notifications queue URL",
    ),
    "dlq_url": ("--dlq-url", "NOTIFICATIONS_DLQ_URL", "NotificationsDlqUrl", "notifications DLQ URL"),
    "table": ("--table", "CHECKOUTS_TABLE", "CheckoutsTableName", "checkouts table name"),
    "events_table": ("--events-table", "EVENTS_TABLE", "EventsTableName", "events table name"),
}


def require(locations: Locations, *names: str) -> None:
    for name in names:
        if not getattr(locations, name):
            flag, env, output, what = _SETTINGS[name]
            raise SettingMissing(
                f"the {what} is not set: pass {flag}, set {env} (the stack output {output}), or use --devstack"
            )


@dataclass(frozen=True)
class Connection:
    sqs: Any
    dynamodb: Any
    locations: Locations


def connect(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Connection:
    """Clients and locations from the flags: the deployed account by default, moto with --devstack."""

    env = dict(os.environ if environ is None else environ)
    flags = {name: getattr(args, name) or "" for name in _SETTINGS}
    if not args.devstack:
        defaults = {name: env.get(spec[1], "") for name, spec in _SETTINGS.items()}
        locations = Locations(**{name: flags[name] or defaults[name] for name in _SETTINGS})
        require(
            locations, *getattr(args, "needs", ())
        )  # the command's own settings are named before the region
        session = aws_session([locations.dlq_url, locations.queue_url])
        return Connection(session.client("sqs"), session.client("dynamodb"), locations)

    session, endpoint, local = devstack_session(env)
    sqs = session.client("sqs", endpoint_url=endpoint)
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)

    def queue_url(key: str) -> str:
        try:
            return str(sqs.get_queue_url(QueueName=local.resource_name(key))["QueueUrl"])
        except Exception as error:
            raise OperatorError(
                f"could not find the devstack queue {local.resource_name(key)} at {endpoint} "
                f"(is `make local` running, with HALOTAP_MOTO_PORT set to its port?): {error}"
            ) from None

    locations = Locations(
        queue_url=flags["queue_url"] or queue_url("notifications"),
        dlq_url=flags["dlq_url"] or queue_url("notifications-dlq"),
        table=flags["table"] or local.resource_name("checkouts"),
        events_table=flags["events_table"] or local.resource_name("events"),
    )
    return Connection(sqs, dynamodb, locations)


# --- the command line --------------------------------------------------------------------------------


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], width_cap: int = 80) -> list[str]:
    def cell(value: Any) -> str:
        text = "-" if value is None else " ".join(str(value).split())
        return text if len(text) <= width_cap else text[: width_cap - 1] + "…"

    cells = [[cell(row[key]) for key, _ in columns] for row in rows]
    widths = [max([len(title), *(len(line[i]) for line in cells)]) for i, (_, title) in enumerate(columns)]
    lines = [[title for _, title in columns], *cells]
    return [
        "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]


LIST_COLUMNS = [
    ("messageId", "MESSAGE ID"),
    ("eventId", "EVENT ID"),
    ("checkoutId", "CHECKOUT ID"),
    ("clientId", "CLIENT"),
    ("type", "TYPE"),
    ("attempts", "ATTEMPTS"),
    ("lastError", "LAST ERROR"),
]


def _cmd_list(args: argparse.Namespace, connection: Connection, out: Callable[[str], None]) -> int:
    require(connection.locations, "dlq_url")
    parked = list_dlq(connection.sqs, connection.locations.dlq_url, limit=args.limit)
    rows = [message.summary() for message in parked]
    if args.json:
        for row in rows:
            out(json.dumps(row))
    elif rows:
        for line in _table(rows, LIST_COLUMNS):
            out(line)
    more = " (stopped at --limit; there may be more)" if len(rows) >= args.limit else ""
    print(f"{len(rows)} message(s) in the notifications DLQ{more}", file=sys.stderr)
    return 0


def _cmd_redrive(args: argparse.Namespace, connection: Connection, out: Callable[[str], None]) -> int:
    locations = connection.locations
    require(locations, "queue_url", "dlq_url", "table")
    store = CheckoutStore(locations.table, client=connection.dynamodb)
    counts: dict[str, int] = {}
    for result in redrive(
        connection.sqs,
        store,
        queue_url=locations.queue_url,
        dlq_url=locations.dlq_url,
        message_ids=None if args.all else args.message_id,
        dry_run=args.dry_run,
    ):
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        what = f"{result.message_id} event {result.event_id} checkout {result.checkout_id}"
        if result.outcome == "moved":
            out(f"moved {what}: {result.detail}")
        elif result.outcome == "would_move":
            out(f"would move {what}")
        else:
            label = "skipped" if result.outcome == "skipped" else "not found"
            print(f"{label} {result.message_id}: {result.detail}", file=sys.stderr)
    verb = "would move" if args.dry_run else "moved"
    moved = counts.get("would_move" if args.dry_run else "moved", 0)
    skipped, missing = counts.get("skipped", 0), counts.get("not_found", 0)
    summary = [f"{verb} {moved} message(s)"]
    if skipped:
        summary.append(f"{skipped} skipped (left in the DLQ)")
    if missing:
        summary.append(f"{missing} not found in the DLQ")
    print("; ".join(summary), file=sys.stderr)
    return 1 if skipped or missing else 0


def _cmd_replay(args: argparse.Namespace, connection: Connection, out: Callable[[str], None]) -> int:
    locations = connection.locations
    require(locations, "queue_url", "table", "events_table")
    event, kind = replay(
        CheckoutStore(locations.table, client=connection.dynamodb),
        EventLog(lambda: locations.events_table, client=connection.dynamodb),
        SqsQueue(locations.queue_url, client=connection.sqs),
        checkout_id=args.checkout_id,
        event_id=args.event,
    )
    out(f"queued a replay of {event} ({kind}) of checkout {args.checkout_id}")
    return 0


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    where = argparse.ArgumentParser(add_help=False)
    places = where.add_argument_group("where the notifications live")
    for name, (flag, env, output, what) in _SETTINGS.items():
        places.add_argument(
            flag,
            dest=name,
            metavar=name.split("_")[-1].upper(),
            help=f"the {what} (default: ${env}; stack output {output})",
        )
    places.add_argument(
        "--devstack",
        action="store_true",
        help="use the running local devstack (moto at 127.0.0.1:$HALOTAP_MOTO_PORT, default 5000)",
    )

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Inspect and redrive PSP notifications that ran out of retries, or replay one.",
        epilog="Exit status: 0 done, 1 not found or failed, 2 usage or missing setting.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser(
        "list-dlq",
        parents=[where],
        help="list the notifications DLQ without consuming it",
        description=(
            "List messages in the notifications DLQ without consuming them: each is hidden while the "
            "listing pages through the DLQ, so that every message is counted once, then made visible "
            "again; none is deleted. Each listing still adds 1 to every message's "
            "ApproximateReceiveCount (harmless: the DLQ has no redrive policy, and a redriven "
            "message starts again at 1)."
        ),
    )
    listing.add_argument(
        "--limit", type=_positive, default=100, metavar="N", help="list at most N messages (default 100)"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    listing.set_defaults(run=_cmd_list, needs=("dlq_url",))

    moving = commands.add_parser(
        "redrive",
        parents=[where],
        help="move DLQ messages back to the notifications queue",
        description=(
            "Move messages from the notifications DLQ back to the notifications queue, without their "
            "attempts and lastError, and mark each checkout notification `queued`. The deliverer schedules "
            "retries by SQS's ApproximateReceiveCount, which starts at 1 for the new message, so a "
            "redriven notification gets the full retry schedule again; the checkout's attempt count keeps "
            "the earlier attempts."
        ),
    )
    which = moving.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every message in the DLQ")
    which.add_argument(
        "--message-id",
        nargs="+",
        action="extend",
        metavar="ID",
        help="the SQS MessageId(s) that list-dlq shows",
    )
    moving.add_argument("--dry-run", action="store_true", help="say what would move; change nothing")
    moving.set_defaults(run=_cmd_redrive, needs=("queue_url", "dlq_url", "table"))

    replaying = commands.add_parser(
        "replay",
        parents=[where],
        help="send a checkout's notification again, even if it was delivered",
        description=(
            "Queue a checkout's notification again with replay=true, even if it was delivered (PSPs ask "
            "for this), as POST /v1/events/{id}/resend does: the same webhook-id (event id) and the body "
            "stored in the event feed, which GET /v1/events/{id} shows. An event older than the feed's "
            f"{EVENT_RETENTION.days} days is not sent."
        ),
    )
    replaying.add_argument("checkout_id", metavar="CHECKOUT_ID")
    replaying.add_argument("--event", metavar="EVENT_ID", help="which notification (default: the latest)")
    replaying.set_defaults(run=_cmd_replay, needs=("queue_url", "table", "events_table"))
    return parser


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    args = build_parser().parse_args(argv)
    try:
        run: Callable[[argparse.Namespace, Connection, Callable[[str], None]], int] = args.run
        return run(args, connect(args), print)
    except OperatorError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return error.exit_code
    except (ClientError, BotoCoreError, HalotapError) as error:
        print(f"{PROG}: AWS error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
