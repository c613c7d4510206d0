"""`halotap-admin ledger run`: run the daily ledger for a merchant over a range of days, now.

    halotap-admin ledger run --merchant demo-merchant --from 2026-12-01 --to 2026-12-07 [--devstack]

Thin: each day is `LedgerService.run` (halotap/app/ledger.py), the use case the ledger function runs, so
the report, the healing of status mismatches and the `ledger.completed` event are the same. Deployed,
it reads the stack's names from the environment the functions get: CHECKOUTS_TABLE, EVENTS_TABLE,
NOTIFICATIONS_QUEUE_URL and LEDGER_BUCKET (stack outputs CheckoutsTableName, EventsTableName,
NotificationsQueueUrl, LedgerBucketName), HALO_ENV and HALO_LINK_ENDPOINT; --devstack fills them in.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any, Protocol

from tools.operator_common import OperatorError, devstack_session

MAX_DAYS = 31  # one command, one month: each day is a full run against Halo's history


class LedgerRunner(Protocol):
    def run(self, merchant_id: str, day: date) -> Any: ...


def days(first: str, last: str, today: date) -> list[date]:
    """Every day from `first` to `last`, inclusive: YYYY-MM-DD, in order, none in the future."""
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError as error:
        raise OperatorError(f"--from and --to must be days as YYYY-MM-DD ({error})") from None
    if end < start:
        raise OperatorError(f"--to {last} is before --from {first}")
    if end > today:
        raise OperatorError(f"--to {last} is in the future; a ledger covers a day that has begun")
    count = (end - start).days + 1
    if count > MAX_DAYS:
        raise OperatorError(f"{count} days asked for; run at most {MAX_DAYS} at a time")
    return [start + timedelta(days=offset) for offset in range(count)]


def run_days(ledger: LedgerRunner, merchant_id: str, wanted: list[date], out: Callable[[str], None]) -> int:
    for day in wanted:
        result = ledger.run(merchant_id, day)
        out(json.dumps({"merchantId": merchant_id, "date": day.isoformat(), **_summary(result.report)}))
    return 0


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {key: report[key] for key in ("status", "counts", "totals", "healed") if key in report}


def devstack_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """What the devstack gives its ledger function, worked out from its ports and resource names
    (infra/local_stage.py: the tools never import the devstack itself)."""
    from halotap.settings import DEFAULT_LINK_ENDPOINT
    from infra import manifest

    session, endpoint, local = devstack_session(environ)
    name = local.resource_name
    sqs = session.client("sqs", endpoint_url=endpoint)
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": local.region,
        "AWS_REGION": local.region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto's fake credentials, nothing real
        "SECRETS_PREFIX": local.secrets_prefix,
        "HALO_ENV": "dev",
        "HALO_LINK_ENDPOINT": DEFAULT_LINK_ENDPOINT,
        **{table.env: name(table.key) for table in manifest.TABLES},
        **{bucket.env: name(f"{bucket.key}-reports") for bucket in manifest.BUCKETS},
        "NOTIFICATIONS_QUEUE_URL": sqs.get_queue_url(QueueName=name("notifications"))["QueueUrl"],
        "HALO_BASE_URL": local.halo_url,
    }


def command(args: argparse.Namespace, target: Any, out: Callable[[str], None]) -> int:
    from halotap.adapters import aws
    from halotap.settings import Settings
    from halotap.wiring import Services

    environ = dict(os.environ)
    if target.devstack:
        settings = devstack_environment(environ)
        os.environ.update(settings)  # this process's AWS clients reach the devstack's moto
        aws.reset()
        environ.update(settings)
    services = Services(Settings({**environ, "SECRETS_PREFIX": target.prefix}))
    wanted = days(args.first, args.last, services.clock().date())
    return run_days(services.ledger, args.merchant, wanted, out)


def add_parser(groups: Any, leaf: Callable[..., argparse.ArgumentParser]) -> None:
    ledger = groups.add_parser("ledger", help="the daily ledger: prove days against Halo's history")
    commands = ledger.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = leaf(
        commands,
        "run",
        command,
        "run the ledger of one merchant for each day from --from to --to; prints each day's counts",
    )
    run.add_argument("--merchant", required=True, metavar="ID")
    run.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
    run.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
