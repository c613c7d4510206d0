"""Handlers and use cases on moto's in-process AWS, built by the production wiring; Halo is a FakeHalo.

One moto per test package, provisioned once from the same manifest as the stack, and reset between tests
(items deleted, queues purged, secrets put back as seeded), which costs a fraction of provisioning anew.
Services come from `halotap.wiring.Services`, the class every deployed function uses: the only differences
are the edges (Halo's transport, the clock, DNS, sleeping), so the confirmer is Halo's, as deployed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from devstack.aws import atomic_dynamodb_in_process, secrets_manager_as_aws
from devstack.config import DevConfig
from devstack.provision import provision
from halotap.wiring import Services
from infra import manifest
from tests.fakes import FakeHalo
from tests.wiring import LAMBDA_SETTINGS, build_services, forget_clients

DEV = DevConfig()


class MotoAccount:
    """The package's one moto account, and how to put it back as provisioned."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.environment = environment
        self._session = boto3.session.Session(region_name="us-east-1")
        self._secrets = self._secret_values()

    def _secret_values(self) -> dict[str, str]:
        client = self._session.client("secretsmanager")
        names = [s["Name"] for s in client.list_secrets()["SecretList"]]
        return {name: client.get_secret_value(SecretId=name)["SecretString"] for name in names}

    def reset(self) -> None:
        dynamodb = self._session.client("dynamodb")
        for table in manifest.TABLES:
            name = self.environment[table.env]
            keys = [table.partition_key, *([table.sort_key] if table.sort_key else [])]
            scan = dynamodb.get_paginator("scan").paginate(  # a test fixture's cleanup, never production
                TableName=name,
                ProjectionExpression=", ".join(f"#k{i}" for i in range(len(keys))),
                ExpressionAttributeNames={f"#k{i}": key for i, key in enumerate(keys)},
            )
            for page in scan:
                for item in page["Items"]:
                    dynamodb.delete_item(TableName=name, Key={key: item[key] for key in keys})
        sqs = self._session.client("sqs")
        for queue in manifest.QUEUES:
            for env in (queue.env, queue.dlq_env):
                sqs.purge_queue(QueueUrl=self.environment[env])
        s3 = self._session.client("s3")
        for bucket in manifest.BUCKETS:
            name = self.environment[bucket.env]
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
                for version in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                    s3.delete_object(Bucket=name, Key=version["Key"], VersionId=version["VersionId"])
        secrets = self._session.client("secretsmanager")
        for name in {s["Name"] for s in secrets.list_secrets()["SecretList"]} - set(self._secrets):
            secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        for name, value in self._secrets.items():
            try:
                secrets.put_secret_value(SecretId=name, SecretString=value)
            except secrets.exceptions.ResourceNotFoundException:
                secrets.create_secret(Name=name, SecretString=value)


@pytest.fixture(scope="package")
def moto_account() -> Iterator[MotoAccount]:
    saved = dict(os.environ)
    secrets_manager_as_aws()  # as the devstack's moto: halotap-admin's conditional writes hold
    atomic_dynamodb_in_process()  # ... and DynamoDB's, for reconcile's worker threads
    with mock_aws():
        os.environ.update(LAMBDA_SETTINGS)
        forget_clients()
        environment, _secrets = provision(DEV)
        os.environ.update(environment)
        yield MotoAccount(environment)
    os.environ.clear()
    os.environ.update(saved)
    forget_clients()


@pytest.fixture
def moto_env(moto_account: MotoAccount) -> Iterator[MotoAccount]:
    moto_account.reset()
    saved = dict(os.environ)
    forget_clients()
    yield moto_account
    os.environ.clear()  # a test may have changed a setting through os.environ; put the package's back
    os.environ.update(saved)
    forget_clients()


@pytest.fixture
def halo() -> FakeHalo:
    return FakeHalo()


@pytest.fixture
def services(moto_env: MotoAccount, halo: FakeHalo) -> Services:
    return build_services(halo)
