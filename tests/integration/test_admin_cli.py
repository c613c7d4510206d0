"""halotap-admin's writes against moto's Secrets Manager: only hashes stored, and no lost update."""

from __future__ import annotations

import argparse
import json
import threading
from typing import Any

import boto3
import pytest

from halotap.domain.parties import hash_api_key
from halotap.domain.rate_limit import RateLimit
from tools import admin_cli
from tools.operator_common import OperatorError
from tools.secret_document import SecretDocument

PREFIX = "halotap/local"


@pytest.fixture
def target(moto_env) -> admin_cli.Target:
    return admin_cli.Target(
        boto3.client("secretsmanager"),
        PREFIX,
        "http://halo.invalid",
        devstack=True,
        dynamodb=boto3.client("dynamodb"),
        integrations_table=moto_env.environment["INTEGRATIONS_TABLE"],
    )


def clients(target: admin_cli.Target) -> dict[str, Any]:
    # Without VersionStage, as the functions read it: the value the last conditional write made current.
    return json.loads(target.secrets.get_secret_value(SecretId=f"{PREFIX}/clients")["SecretString"])


def test_create_stores_only_the_keys_hash_and_the_signing_secret(target):
    made = admin_cli.clients_create(target, "acme", "http://127.0.0.1:4020/", ["demo-merchant"])
    record = clients(target)["acme"]
    assert record["keyHashes"] == [hash_api_key(made["apiKey"])]
    assert made["apiKey"] not in json.dumps(clients(target))
    assert record["signingSecrets"] == [made["signingSecret"]]
    assert made["signingSecret"].startswith("whsec_")
    assert record["merchants"] == ["demo-merchant"]
    assert clients(target)["demo-psp"]["merchants"] == ["demo-merchant"]  # the other clients are kept


def test_an_existing_client_or_an_unsafe_notification_url_is_refused(target):
    admin_cli.clients_create(target, "acme", "http://127.0.0.1:4020/", [], all_merchants=True)
    with pytest.raises(OperatorError, match="exists"):
        admin_cli.clients_create(target, "acme", "http://127.0.0.1:4020/", [], all_merchants=True)
    deployed = admin_cli.Target(target.secrets, PREFIX, "http://halo.invalid", devstack=False)
    with pytest.raises(OperatorError, match="notification-url"):
        admin_cli.clients_create(deployed, "other", "http://127.0.0.1:4020/", ["m1"])


def test_revoking_the_only_key_or_an_ambiguous_prefix_is_refused(target):
    made = admin_cli.clients_create(target, "acme", "http://127.0.0.1:4020/", [], all_merchants=True)
    key_id = hash_api_key(made["apiKey"])[:12]
    with pytest.raises(OperatorError, match="only key"):
        admin_cli.clients_revoke_key(target, "acme", key_id)
    with pytest.raises(OperatorError, match="hex"):
        admin_cli.clients_revoke_key(target, "acme", "abc")


def test_signing_secrets_overlap_until_retired(target):
    first = admin_cli.clients_create(target, "acme", "http://127.0.0.1:4020/", [], all_merchants=True)[
        "signingSecret"
    ]
    second = admin_cli.clients_rotate_signing_secret(target, "acme")
    assert clients(target)["acme"]["signingSecrets"] == [first, second]
    assert admin_cli.clients_retire_signing_secret(target, "acme") == [admin_cli.fingerprint(first)]
    assert clients(target)["acme"]["signingSecrets"] == [second]
    with pytest.raises(OperatorError, match="no overlap"):
        admin_cli.clients_retire_signing_secret(target, "acme")


class InterleavedWriter:
    """A Secrets Manager client that lets another writer change the secret right after our first read."""

    def __init__(self, client: Any, other: Any) -> None:
        self._client, self._other, self.reads = client, other, 0
        self.exceptions = client.exceptions

    def get_secret_value(self, **kwargs: Any) -> Any:
        answer = self._client.get_secret_value(**kwargs)
        self.reads += 1
        if self.reads == 1:
            self._other()
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_concurrent_write_is_not_lost_the_change_is_made_again_on_the_new_value(target):
    def other_operator() -> None:
        SecretDocument(target.secrets, f"{PREFIX}/clients").update(
            lambda c: {**c, "other": {"keyHashes": ["x"]}}
        )

    racing = InterleavedWriter(target.secrets, other_operator)
    document = SecretDocument(racing, f"{PREFIX}/clients")
    document.update(lambda c: {**c, "mine": {"keyHashes": ["y"]}})
    assert racing.reads == 2  # the first swap failed and the change was computed again
    assert {"demo-psp", "other", "mine"} <= set(clients(target))


def test_many_writers_at_once_lose_no_update(target):
    def add(n: int) -> None:
        admin_cli.clients_rotate_key(target, "demo-psp")

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(clients(target)["demo-psp"]["keyHashes"]) == 5


@pytest.mark.parametrize(
    "argv",
    [
        ["--devstack", "clients", "show", "acme"],
        ["clients", "show", "acme", "--devstack"],
        ["clients", "show", "--devstack", "acme"],
    ],
)
def test_flags_go_before_or_after_the_subcommand(argv):
    args = admin_cli.build_parser().parse_args(argv)
    assert isinstance(args, argparse.Namespace)
    assert (args.devstack, args.client_id) == (True, "acme")


@pytest.mark.parametrize(("merchants", "every"), [([], False), (["demo-merchant"], True)])
def test_create_requires_merchants_or_an_explicit_all_merchants(target, merchants, every):
    with pytest.raises(admin_cli.UsageError, match=r"--merchant ID .* or --all-merchants") as refused:
        admin_cli.clients_create(target, "acme", "http://127.0.0.1:4020/", merchants, all_merchants=every)
    assert refused.value.exit_code == 2
    assert "acme" not in clients(target)


def test_the_command_line_without_a_merchant_choice_exits_2_naming_both_flags(moto_env, capsys, monkeypatch):
    monkeypatch.setenv("HALOTAP_MOTO_PORT", "1")
    monkeypatch.setenv("HALOTAP_HALO_PORT", "1")
    argv = ["clients", "create", "acme", "--notification-url", "http://127.0.0.1:4020/", "--devstack"]
    assert admin_cli.main(argv) == 2
    assert "--all-merchants" in capsys.readouterr().err


def test_all_merchants_is_stored_as_every_merchant(target):
    admin_cli.clients_create(target, "acme", "http://127.0.0.1:4020/", [], all_merchants=True)
    assert clients(target)["acme"]["merchants"] == "*"


def test_show_lists_each_key_with_its_creation_label_and_last_use(target, services):
    from halotap.domain.api_keys import key_id
    from halotap.domain.parties import Caller

    made = admin_cli.clients_create(target, "acme", "http://127.0.0.1:4020/", ["demo-merchant"])
    own = services.api_keys.create(Caller("acme", None), "ci")
    services.api_keys.authenticate(made["apiKey"])
    lines: list[str] = []
    args = admin_cli.build_parser().parse_args(["clients", "show", "acme"])
    assert admin_cli._cmd_clients_show(args, target, lines.append) == 0
    keys = {key["id"]: key for key in json.loads(lines[0])["keys"]}
    operator_key = keys[key_id(hash_api_key(made["apiKey"]))]
    assert (operator_key["source"], operator_key["lastUsedAt"] is not None) == ("operator", True)
    assert (keys[own.key.id]["label"], keys[own.key.id]["createdAt"]) == ("ci", own.key.created_at)


def test_a_rate_limit_is_stored_with_a_usage_key_and_back_to_default(target):
    admin_cli.clients_create(target, "acme", "http://127.0.0.1:4020/", ["demo-merchant"])
    admin_cli.clients_rate_limit(target, "acme", RateLimit(5, 10))
    record = clients(target)["acme"]
    assert record["rateLimit"] == {"rate": 5, "burst": 10}
    assert record["usageKey"]
    admin_cli.clients_rate_limit(target, "acme", RateLimit())
    assert "rateLimit" not in clients(target)["acme"]
    assert clients(target)["acme"]["usageKey"] == record["usageKey"]
