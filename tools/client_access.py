"""`halotap-admin clients` parts of issue 20: the merchant choice, key details and rate limits.

Kept apart from tools/admin_cli.py, which imports them, so that module stays one screenful per group.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from halotap.domain.parties import Caller, Client
from halotap.domain.rate_limit import InvalidRateLimit, RateLimit
from tools import usage_plans
from tools.operator_common import OperatorError

if TYPE_CHECKING:
    from tools.admin_cli import Target

Out = Callable[[str], None]
ClientRecord = Callable[[Any, str], dict[str, Any]]


class UsageError(OperatorError):
    exit_code = 2


def new_usage_key() -> str:
    """The value of the client's API Gateway API key (tools/usage_plans.py): never shown to the PSP."""
    return "usage_" + secrets.token_urlsafe(24)


def key_details(target: Target, client_id: str, record: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Every active key, the PSP's own too: id, prefix, label, createdAt, lastUsedAt (None: no table)."""
    if target.dynamodb is None or not target.integrations_table:
        return None
    from halotap.adapters.dynamo.api_keys import DynamoApiKeyStore
    from halotap.app.api_keys import ApiKeyService

    client = Client.parse(client_id, record)
    service = ApiKeyService(
        DynamoApiKeyStore(target.integrations_table, client=target.dynamodb), _OneClient(client)
    )
    return [key.to_api() for key in service.list_keys(Caller(client_id, None))]


@dataclass(frozen=True)
class _OneClient:
    client: Client

    def clients(self) -> list[Client]:
        return [self.client]


def clients_rate_limit(target: Target, client_id: str, limit: RateLimit, record_of: ClientRecord) -> str:
    """Store the client's limit (the default: no override), give it a usage key if it has none, and on AWS
    put its API key in the matching usage plan. Returns where it is metered."""
    usage_key: list[str] = []

    def store(clients: Any) -> Any:
        record = record_of(clients, client_id)
        if limit.is_default:
            record.pop("rateLimit", None)
        else:
            record["rateLimit"] = limit.to_record()
        record["usageKey"] = record.get("usageKey") or new_usage_key()
        usage_key[:] = [record["usageKey"]]
        return clients

    target.document("clients").update(store)
    if target.apigateway is None:
        return "the devstack's emulator (within its secrets cache, 2 s)"
    return "usage plan " + usage_plans.apply(target.apigateway, target.prefix, client_id, usage_key[0], limit)


def rate_limit_command(args: argparse.Namespace, target: Target, out: Out, record_of: ClientRecord) -> int:
    if args.default == (args.rate is not None or args.burst is not None):
        raise UsageError("give --rate N --burst N for the client's own limit, or --default (not both)")
    try:
        limit = RateLimit() if args.default else RateLimit(args.rate, args.burst or args.rate)
    except InvalidRateLimit as error:
        raise UsageError(str(error)) from None
    where = clients_rate_limit(target, args.client_id, limit, record_of)
    out(f"{args.client_id}: {limit.rate} requests/s, bursts of {limit.burst}; metered by {where}")
    return 0
