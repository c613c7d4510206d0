"""Creates the manifest's tables, queues and secrets in moto, and says where they are.

Everything comes from infra.manifest (names, keys, indexes, redrive) and devstack.seed (secret
values). Key attributes are strings (the manifest names no types). One deliberate difference from AWS: a queue's visibility timeout is capped at
HALOTAP_DEV_VISIBILITY_SECONDS (default 3 s), so a failed record is retried in seconds, not minutes.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

from devstack.config import SECRETS_PREFIX, DevConfig, export, resource_name
from devstack.seed import secret_values
from infra import manifest

DAY_SECONDS = 86_400


def create_table(dynamodb: Any, table: manifest.Table) -> str:
    name = resource_name(table.key)
    attributes = {table.partition_key: "HASH"}
    key_schema = [{"AttributeName": table.partition_key, "KeyType": "HASH"}]
    if table.sort_key:
        attributes[table.sort_key] = "RANGE"
        key_schema.append({"AttributeName": table.sort_key, "KeyType": "RANGE"})
    indexes = []
    for index in table.indexes:
        schema = [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
        if index.sort_key:
            schema.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
        indexes.append(
            {"IndexName": index.name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}
        )
        attributes.update({entry["AttributeName"]: "" for entry in schema})
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": key_schema,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attributes],
    }
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    dynamodb.create_table(**request)
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
    )
    return name


def create_queue(sqs: Any, queue: manifest.Queue, visibility_cap_seconds: int) -> str:
    dlq_url = sqs.create_queue(
        QueueName=resource_name(f"{queue.key}-dlq"),
        Attributes={"MessageRetentionPeriod": str(queue.dlq_retention_days * DAY_SECONDS)},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(queue.max_receive_count)}
    visibility = min(queue.visibility_timeout_seconds, visibility_cap_seconds)
    queue_url: str = sqs.create_queue(
        QueueName=resource_name(queue.key),
        Attributes={
            "VisibilityTimeout": str(visibility),
            "MessageRetentionPeriod": str(queue.retention_days * DAY_SECONDS),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return queue_url


def create_bucket(s3: Any, bucket: manifest.Bucket) -> str:
    """The bucket, versioned as on AWS; moto keeps objects in memory, so no lifecycle is set here."""
    name = resource_name(f"{bucket.key}-reports")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def seed_secrets(secretsmanager: Any, config: DevConfig) -> list[str]:
    names = []
    for secret in manifest.SECRETS:
        for suffix, value in secret_values(secret, config).items():
            name = f"{SECRETS_PREFIX}/{suffix}"
            secretsmanager.create_secret(
                Name=name, Description=secret.description, SecretString=json.dumps(value)
            )
            names.append(name)
    return names


def provision(config: DevConfig) -> tuple[dict[str, str], list[str]]:
    """Creates everything; returns the environment that points the functions at it, and the secrets."""
    # Clients from boto3's default session, on the main thread: this also loads the session's
    # components before any handler thread creates clients of its own concurrently.
    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    environment = {table.env: create_table(dynamodb, table) for table in manifest.TABLES}
    for queue in manifest.QUEUES:
        environment[queue.env] = create_queue(sqs, queue, config.visibility_cap_seconds)
        environment[queue.dlq_env] = sqs.get_queue_url(QueueName=resource_name(f"{queue.key}-dlq"))[
            "QueueUrl"
        ]
    s3 = boto3.client("s3")
    for bucket in manifest.BUCKETS:
        environment[bucket.env] = create_bucket(s3, bucket)
    kms = boto3.client("kms")
    for key in manifest.KEYS:
        environment[key.env] = kms.create_key(Description=key.description)["KeyMetadata"]["Arn"]
    return environment, seed_secrets(boto3.client("secretsmanager"), config)


class Provisioning:
    """The devstack part that provisions moto (which must already run) and exports the names."""

    name = "provisioning"

    def __init__(self, config: DevConfig) -> None:
        self._config = config
        self.environment: dict[str, str] = {}
        self.secret_names: list[str] = []

    def start(self) -> None:
        self.environment, self.secret_names = provision(self._config)
        export(self.environment)

    def stop(self) -> None:
        """Nothing to undo: the resources live and die with moto."""

    def check(self) -> None:
        dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
        for table in manifest.TABLES:
            status = dynamodb.describe_table(TableName=os.environ[table.env])["Table"]["TableStatus"]
            if status != "ACTIVE":
                raise RuntimeError(f"table {table.key} is {status}")
        for queue in manifest.QUEUES:
            sqs.get_queue_attributes(QueueUrl=os.environ[queue.env], AttributeNames=["RedrivePolicy"])
        s3 = boto3.client("s3")
        for bucket in manifest.BUCKETS:
            s3.head_bucket(Bucket=os.environ[bucket.env])
        secretsmanager = boto3.client("secretsmanager")
        for name in self.secret_names:
            secretsmanager.describe_secret(SecretId=name)
