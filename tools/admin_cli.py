"""`halotap-admin`: onboard PSP clients and merchants without hand-editing JSON in Secrets Manager.

    halotap-admin clients create CLIENT_ID --notification-url URL (--merchant ID ... | --all-merchants)
    halotap-admin clients rate-limit CLIENT_ID (--rate N --burst N | --default)
    halotap-admin clients rotate-key CLIENT_ID
    halotap-admin clients revoke-key CLIENT_ID KEY_PREFIX
    halotap-admin clients rotate-signing-secret CLIENT_ID
    halotap-admin clients retire-signing-secret CLIENT_ID
    halotap-admin clients show CLIENT_ID | clients list
    halotap-admin merchants put MERCHANT_ID --halo-merchant-id ID --display-name NAME --currency ZAR ...
        [--locale en-ZA] [--skip-check]          (the Halo API key is read from standard input)
    halotap-admin merchants show MERCHANT_ID | merchants list
    halotap-admin ledger run --merchant ID --from YYYY-MM-DD --to YYYY-MM-DD   (tools/ledger_cli.py)

Every command takes --secrets-prefix (default $SECRETS_PREFIX, e.g. halotap/prod) or --devstack, before
or after the subcommand. Secrets are generated with `secrets`, printed once, and never shown again:
only an API key's SHA-256 is stored, and show/list print key ids (hash prefixes), never a secret.
`clients show` adds each key's creation time, label and last use from the integrations table
(--integrations-table or $INTEGRATIONS_TABLE; the devstack's is found). Keys a PSP made itself
(POST /v1/api-keys) are listed there too.
Exit status: 0 done, 1 refused or failed, 2 a usage or settings error.

Over 500 lines because the whole command line (every group's flags and help) is declared here in one
parser, which an operator reads top to bottom; issue 20's new client logic is in tools/client_access.py.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from halotap.domain.parties import ALL_MERCHANTS, hash_api_key
from halotap.domain.rate_limit import RateLimit
from halotap.domain.requests import MERCHANT_ID_PATTERN
from tools import client_access, ledger_cli, usage_plans
from tools.client_access import UsageError, key_details, new_usage_key, rate_limit_command
from tools.halo_check import check_halo_merchant
from tools.operator_common import OperatorError, SettingMissing, aws_session, devstack_session
from tools.secret_document import SecretDocument

PROG = "halotap-admin"
CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
KEY_ID_LENGTH = 12  # hex characters of the key's SHA-256 that identify it in show and revoke-key
MIN_KEY_PREFIX = 8
LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?$")  # BCP 47: en, en-ZA, zh-Hant-TW


def new_api_key() -> str:
    return "htk_" + secrets.token_urlsafe(32)


def new_signing_secret() -> str:
    """A Standard Webhooks secret: whsec_ and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:KEY_ID_LENGTH]


# --- where the secrets are ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    secrets: Any  # a boto3 Secrets Manager client
    prefix: str
    halo_url: str  # Halo's kernelserver (or the devstack's simulator), for the merchant key check
    devstack: bool = False
    dynamodb: Any = None  # a boto3 DynamoDB client, for the integrations table
    integrations_table: str = ""
    apigateway: Any = None  # a boto3 API Gateway client; None on the devstack, whose emulator meters itself

    def document(self, name: str) -> SecretDocument:
        return SecretDocument(self.secrets, f"{self.prefix}/{name}")


def connect(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Target:

    from halotap.settings import ConfigurationError, halo_base_url

    env = dict(os.environ if environ is None else environ)
    if args.devstack:
        session, endpoint, local = devstack_session(env)
        client = session.client("secretsmanager", endpoint_url=endpoint)
        return Target(
            client,
            args.secrets_prefix or local.secrets_prefix,
            args.halo_url or local.halo_url,
            devstack=True,
            dynamodb=session.client("dynamodb", endpoint_url=endpoint),
            integrations_table=getattr(args, "integrations_table", None)
            or local.resource_name("integrations"),
        )
    prefix = (args.secrets_prefix or env.get("SECRETS_PREFIX", "")).rstrip("/")
    if not prefix:
        raise SettingMissing(
            "the secrets prefix is not set: pass --secrets-prefix halotap/<stage> (the stack output "
            "ClientsSecretName without /clients), set SECRETS_PREFIX, or use --devstack"
        )
    try:
        halo = halo_base_url(
            args.halo_env or env.get("HALO_ENV", "prod"), args.halo_url or env.get("HALO_BASE_URL")
        )
    except ConfigurationError as error:
        raise SettingMissing(str(error)) from None
    session = aws_session()
    return Target(
        session.client("secretsmanager"),
        prefix,
        halo,
        dynamodb=session.client("dynamodb"),
        integrations_table=getattr(args, "integrations_table", None) or env.get("INTEGRATIONS_TABLE", ""),
        apigateway=session.client("apigateway"),
    )


# --- clients ---------------------------------------------------------------------------------------


def _client_record(clients: Any, client_id: str) -> dict[str, Any]:
    if not isinstance(clients, dict) or client_id not in clients:
        raise OperatorError(f"no client {client_id!r}; `{PROG} clients list` shows them")
    record: dict[str, Any] = clients[client_id]
    return record


def client_view(client_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """What show and list print: ids of keys and secrets, never the secrets."""
    return {
        "clientId": client_id,
        "merchants": record.get("merchants", []),
        "notificationUrl": record.get("notificationUrl"),
        "keys": [str(h)[:KEY_ID_LENGTH] for h in record.get("keyHashes", [])],
        "signingSecrets": [fingerprint(s) for s in record.get("signingSecrets", [])],
        "rateLimit": RateLimit.parse(record.get("rateLimit")).to_record(),
    }


def _check_notification_url(url: str, devstack: bool) -> None:
    from halotap.adapters.dns import resolve_host
    from halotap.domain.ssrf import UnsafeUrl, check_url

    try:
        check_url(url, resolve=resolve_host, allow_loopback_http=devstack)
    except UnsafeUrl as error:
        raise OperatorError(f"--notification-url: {error}") from None


def clients_create(
    target: Target,
    client_id: str,
    notification_url: str,
    merchants: list[str],
    *,
    all_merchants: bool = False,
) -> dict[str, str]:
    # No default: a client created without a choice once silently got every merchant (issue 20).
    if bool(merchants) == all_merchants:
        raise UsageError(
            "say which merchants the client may use: --merchant ID (repeatable) for those, "
            "or --all-merchants for every merchant, present and future (not both)"
        )
    if not CLIENT_ID.match(client_id):
        raise OperatorError(f"CLIENT_ID must match {CLIENT_ID.pattern}")
    for merchant in merchants:
        if not re.match(MERCHANT_ID_PATTERN, merchant):
            raise OperatorError(f"--merchant {merchant!r} must match {MERCHANT_ID_PATTERN}")
    _check_notification_url(notification_url, target.devstack)
    api_key, signing_secret, usage_key = new_api_key(), new_signing_secret(), new_usage_key()

    def add(clients: Any) -> Any:
        clients = dict(clients or {})
        if client_id in clients:
            raise OperatorError(f"client {client_id!r} exists; rotate its key with `clients rotate-key`")
        clients[client_id] = {
            "keyHashes": [hash_api_key(api_key)],
            "merchants": ALL_MERCHANTS if all_merchants else merchants,
            "notificationUrl": notification_url,
            "signingSecrets": [signing_secret],
            "usageKey": usage_key,
        }
        return clients

    target.document("clients").update(add)
    if target.apigateway is not None:
        usage_plans.apply(target.apigateway, target.prefix, client_id, usage_key, RateLimit())
    return {"apiKey": api_key, "signingSecret": signing_secret}


def clients_rotate_key(target: Target, client_id: str) -> str:
    api_key = new_api_key()

    def add(clients: Any) -> Any:
        _client_record(clients, client_id).setdefault("keyHashes", []).append(hash_api_key(api_key))
        return clients

    target.document("clients").update(add)
    return api_key


def clients_revoke_key(target: Target, client_id: str, key_prefix: str) -> str:
    prefix = key_prefix.lower()
    if len(prefix) < MIN_KEY_PREFIX or not re.fullmatch(r"[0-9a-f]+", prefix):
        raise OperatorError(
            f"KEY_PREFIX is a key id as `clients show` prints it: {MIN_KEY_PREFIX}+ hex characters"
        )
    removed: list[str] = []

    def remove(clients: Any) -> Any:
        record = _client_record(clients, client_id)
        hashes = [str(h) for h in record.get("keyHashes", [])]
        matching = [h for h in hashes if h.startswith(prefix)]
        if len(matching) != 1:
            raise OperatorError(
                f"{len(matching)} keys of {client_id!r} start with {prefix}; give exactly one"
            )
        if len(hashes) == 1:
            raise OperatorError(f"{prefix} is {client_id!r}'s only key; `clients rotate-key` first")
        record["keyHashes"] = [h for h in hashes if h != matching[0]]
        removed[:] = matching
        return clients

    target.document("clients").update(remove)
    return removed[0][:KEY_ID_LENGTH]


def clients_rotate_signing_secret(target: Target, client_id: str) -> str:
    signing_secret = new_signing_secret()

    def add(clients: Any) -> Any:
        _client_record(clients, client_id).setdefault("signingSecrets", []).append(signing_secret)
        return clients

    target.document("clients").update(add)
    return signing_secret


def clients_retire_signing_secret(target: Target, client_id: str) -> list[str]:
    """Ends the overlap: keeps only the newest signing secret. Returns the retired ones' fingerprints."""
    retired: list[str] = []

    def keep_newest(clients: Any) -> Any:
        record = _client_record(clients, client_id)
        secrets_now = list(record.get("signingSecrets", []))
        if len(secrets_now) < 2:
            raise OperatorError(f"{client_id!r} has one signing secret: there is no overlap to end")
        record["signingSecrets"] = secrets_now[-1:]
        retired[:] = [fingerprint(s) for s in secrets_now[:-1]]
        return clients

    target.document("clients").update(keep_newest)
    return retired


def clients_all(target: Target) -> dict[str, Any]:
    clients, _ = target.document("clients").read()
    return dict(clients or {})


# --- merchants -------------------------------------------------------------------------------------


def merchant_record(args: argparse.Namespace, api_key: str) -> dict[str, Any]:
    from halotap.domain.money import MoneyError, minor_digits

    if not re.match(MERCHANT_ID_PATTERN, args.merchant_id):
        raise OperatorError(f"MERCHANT_ID must match {MERCHANT_ID_PATTERN}")
    display_name = " ".join(args.display_name.split())
    if not 1 <= len(display_name) <= 80:
        raise OperatorError("--display-name must be 1 to 80 characters")
    currencies = list(dict.fromkeys(c.upper() for c in args.currency))
    for currency in currencies:
        try:
            minor_digits(currency)
        except MoneyError as error:
            raise OperatorError(f"--currency: {error}") from None
    record: dict[str, Any] = {
        "haloMerchantId": args.halo_merchant_id,
        "apiKey": api_key,
        "displayName": display_name,
        "currencies": currencies,
    }
    if args.locale:
        if not LOCALE.match(args.locale):
            raise OperatorError(f"--locale {args.locale!r} must be a language tag such as en or en-ZA")
        record["locale"] = args.locale
    return record


def read_api_key(stdin: Any) -> str:
    if stdin.isatty():
        import getpass

        api_key = getpass.getpass("Halo API key for this merchant (not echoed): ")
    else:
        api_key = stdin.readline()
    api_key = api_key.strip()
    if not api_key:
        raise OperatorError(
            "no Halo API key on standard input; pipe it in: `... merchants put ... < key.txt`"
        )
    return api_key


def merchant_view(merchant_id: str, record: dict[str, Any]) -> dict[str, Any]:
    view = {"merchantId": merchant_id, **{k: v for k, v in record.items() if k != "apiKey"}}
    view["apiKey"] = "(set)" if record.get("apiKey") else "(missing)"
    return view


def merchant_ids(target: Target) -> list[str]:
    start = f"{target.prefix}/merchants/"
    names: list[str] = []
    for page in target.secrets.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [start]}]
    ):
        names += [s["Name"][len(start) :] for s in page["SecretList"] if s["Name"].startswith(start)]
    return sorted(names)


# --- the command line ------------------------------------------------------------------------------


Out = Callable[[str], None]


def _cmd_clients_create(args: argparse.Namespace, target: Target, out: Out) -> int:
    made = clients_create(
        target, args.client_id, args.notification_url, args.merchant or [], all_merchants=args.all_merchants
    )
    out(f"created client {args.client_id}; give these to the PSP over a secure channel. They are shown once.")
    out(f"api key: {made['apiKey']}")
    out(f"signing secret: {made['signingSecret']}")
    out(f"key id: {hash_api_key(made['apiKey'])[:KEY_ID_LENGTH]}")
    return 0


def _cmd_clients_rotate_key(args: argparse.Namespace, target: Target, out: Out) -> int:
    api_key = clients_rotate_key(target, args.client_id)
    out(f"added a key to {args.client_id}; the old keys keep working until `clients revoke-key`. Shown once.")
    out(f"api key: {api_key}")
    out(f"key id: {hash_api_key(api_key)[:KEY_ID_LENGTH]}")
    return 0


def _cmd_clients_revoke_key(args: argparse.Namespace, target: Target, out: Out) -> int:
    removed = clients_revoke_key(target, args.client_id, args.key_prefix)
    out(f"revoked key {removed} of {args.client_id} (cached answers may accept it for up to 5 minutes)")
    return 0


def _cmd_clients_rotate_signing_secret(args: argparse.Namespace, target: Target, out: Out) -> int:
    secret = clients_rotate_signing_secret(target, args.client_id)
    out(f"added a signing secret to {args.client_id}: notifications are signed with every secret it has.")
    out(f"signing secret: {secret}")
    return 0


def _cmd_clients_retire_signing_secret(args: argparse.Namespace, target: Target, out: Out) -> int:
    retired = clients_retire_signing_secret(target, args.client_id)
    out(f"retired signing secret(s) {', '.join(retired)} of {args.client_id}; only the newest signs now")
    return 0


def clients_rate_limit(target: Target, client_id: str, limit: RateLimit) -> str:
    return client_access.clients_rate_limit(target, client_id, limit, _client_record)


def _cmd_clients_rate_limit(args: argparse.Namespace, target: Target, out: Out) -> int:
    return rate_limit_command(args, target, out, _client_record)


def _cmd_clients_show(args: argparse.Namespace, target: Target, out: Out) -> int:
    record = _client_record(clients_all(target), args.client_id)
    view = client_view(args.client_id, record)
    details = key_details(target, args.client_id, record)
    if details is None:
        view["keysNote"] = "pass --integrations-table (or set INTEGRATIONS_TABLE) for labels and last use"
    else:
        view["keys"] = details
    out(json.dumps(view, indent=2))
    return 0


def _cmd_clients_list(args: argparse.Namespace, target: Target, out: Out) -> int:
    for client_id, record in sorted(clients_all(target).items()):
        out(json.dumps(client_view(client_id, record)))
    return 0


def _cmd_merchants_put(args: argparse.Namespace, target: Target, out: Out) -> int:
    api_key = read_api_key(sys.stdin)
    record = merchant_record(args, api_key)
    if args.skip_check:
        out("not checking the key or the merchant id with Halo (--skip-check)")
    else:
        checked = check_halo_merchant(target.halo_url, api_key, args.halo_merchant_id)
        out(checked.summary if checked.pairing else f"warning: {checked.summary}")
    target.document(f"merchants/{args.merchant_id}").update(lambda _current: record)
    out(f"saved merchant {args.merchant_id} ({record['displayName']}; {', '.join(record['currencies'])})")
    return 0


def _cmd_merchants_show(args: argparse.Namespace, target: Target, out: Out) -> int:
    record, _ = target.document(f"merchants/{args.merchant_id}").read()
    if record is None:
        raise OperatorError(f"no merchant {args.merchant_id!r}; `{PROG} merchants list` shows them")
    out(json.dumps(merchant_view(args.merchant_id, record), indent=2))
    return 0


def _cmd_merchants_list(args: argparse.Namespace, target: Target, out: Out) -> int:
    for merchant_id in merchant_ids(target):
        record, _ = target.document(f"merchants/{merchant_id}").read()
        if record is not None:
            out(json.dumps(merchant_view(merchant_id, record)))
    return 0


def _add_target_flags(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The same flags on the top parser and on each subcommand, so they go before or after it.

    On a subcommand their default is SUPPRESS: a flag not given there leaves the top parser's value.
    """
    default: Any = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("where the secrets are")
    group.add_argument(
        "--secrets-prefix", default=default, metavar="PREFIX", help="e.g. halotap/prod ($SECRETS_PREFIX)"
    )
    group.add_argument(
        "--devstack",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="use the running local devstack (moto at $HALOTAP_MOTO_PORT, the Halo simulator at $HALOTAP_HALO_PORT)",
    )
    group.add_argument(
        "--halo-env",
        default=default,
        help="Halo environment for the key check: dev, qa or prod ($HALO_ENV, default prod)",
    )
    group.add_argument(
        "--halo-url", default=default, help="Halo's base URL for the key check, overriding --halo-env"
    )
    group.add_argument(
        "--integrations-table",
        default=default,
        metavar="NAME",
        help="the integrations table, for key details in `clients show` ($INTEGRATIONS_TABLE)",
    )


def _leaf(commands: Any, name: str, run: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help_text, description=help_text)
    _add_target_flags(parser, suppress=True)
    parser.set_defaults(run=run)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Onboard PSP clients and merchants: generate, rotate and revoke their credentials.",
        epilog="Exit status: 0 done, 1 refused or failed, 2 usage or missing setting.",
    )
    _add_target_flags(parser, suppress=False)
    groups = parser.add_subparsers(dest="group", required=True, metavar="clients|merchants|ledger")

    clients = groups.add_parser("clients", help="PSP clients: API keys, signing secrets, merchants")
    client_commands = clients.add_subparsers(dest="command", required=True, metavar="COMMAND")
    create = _leaf(
        client_commands,
        "create",
        _cmd_clients_create,
        "add a client; prints its API key and signing secret once",
    )
    create.add_argument("client_id", metavar="CLIENT_ID")
    create.add_argument(
        "--notification-url", required=True, metavar="URL", help="where its notifications go (https)"
    )
    create.add_argument(
        "--merchant", action="append", metavar="ID", help="a merchant it may use (repeatable)"
    )
    create.add_argument(
        "--all-merchants",
        action="store_true",
        help="it may use every merchant, present and future (instead of --merchant)",
    )
    limit = _leaf(
        client_commands,
        "rate-limit",
        _cmd_clients_rate_limit,
        "set the client's rate limit (default 25 requests/s, bursts of 50) and its usage plan on AWS",
    )
    limit.add_argument("client_id", metavar="CLIENT_ID")
    limit.add_argument("--rate", type=int, metavar="N", help="steady requests per second")
    limit.add_argument("--burst", type=int, metavar="N", help="requests at once (at least --rate)")
    limit.add_argument("--default", action="store_true", help="back to the default limit")
    for name, run, text in (
        ("rotate-key", _cmd_clients_rotate_key, "add a new API key beside the old ones; prints it once"),
        (
            "rotate-signing-secret",
            _cmd_clients_rotate_signing_secret,
            "add a signing secret: both sign during the overlap",
        ),
        (
            "retire-signing-secret",
            _cmd_clients_retire_signing_secret,
            "end the overlap: keep only the newest signing secret",
        ),
        (
            "show",
            _cmd_clients_show,
            "show one client: its keys (created, label, last use) and secret fingerprints, never a secret",
        ),
    ):
        _leaf(client_commands, name, run, text).add_argument("client_id", metavar="CLIENT_ID")
    revoke = _leaf(
        client_commands, "revoke-key", _cmd_clients_revoke_key, "remove one API key, named by its key id"
    )
    revoke.add_argument("client_id", metavar="CLIENT_ID")
    revoke.add_argument(
        "key_prefix", metavar="KEY_PREFIX", help="the key id (or its first 8+ characters) from `clients show`"
    )
    _leaf(client_commands, "list", _cmd_clients_list, "every client, one JSON line each, no secrets")

    merchants = groups.add_parser("merchants", help="merchants: Halo credentials, name, currencies")
    merchant_commands = merchants.add_subparsers(dest="command", required=True, metavar="COMMAND")
    put = _leaf(
        merchant_commands,
        "put",
        _cmd_merchants_put,
        "add or replace a merchant; reads its Halo API key from standard input and checks it with Halo",
    )
    put.add_argument("merchant_id", metavar="MERCHANT_ID")
    put.add_argument(
        "--halo-merchant-id", required=True, metavar="ID", help="the Merchant ID from Halo's portal"
    )
    put.add_argument(
        "--display-name", required=True, metavar="NAME", help="what shoppers see on the payment page"
    )
    put.add_argument(
        "--currency",
        action="extend",
        nargs="+",
        required=True,
        metavar="CODE",
        help="the currencies its Halo account takes: --currency ZAR USD, or repeated",
    )
    put.add_argument(
        "--locale", help="the page's language and number format, e.g. en-ZA (default: the shopper's)"
    )
    put.add_argument(
        "--skip-check",
        action="store_true",
        help="save the key without asking Halo whether it is --halo-merchant-id's key",
    )
    _leaf(merchant_commands, "show", _cmd_merchants_show, "show one merchant, without its key").add_argument(
        "merchant_id", metavar="MERCHANT_ID"
    )
    _leaf(merchant_commands, "list", _cmd_merchants_list, "every merchant, one JSON line each, without keys")
    ledger_cli.add_parser(groups, _leaf)
    return parser


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    args = build_parser().parse_args(argv)
    try:
        run: Callable[[argparse.Namespace, Target, Out], int] = args.run
        return run(args, connect(args), print)
    except OperatorError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return error.exit_code
    except (ClientError, BotoCoreError) as error:
        print(f"{PROG}: AWS error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
