"""Provisioning: moto (the devstack's own in-process server) ends up holding what the manifest declares."""

from __future__ import annotations

import hashlib
import json
import os

import boto3
import pytest

from devstack.aws import MotoServer
from devstack.config import DEFAULT_API_KEY, DevConfig, resource_name
from devstack.provision import Provisioning
from infra import manifest


@pytest.fixture(scope="module")
def provisioned():
    saved = dict(os.environ)
    moto = MotoServer(port=0)
    moto.start()  # exports AWS_ENDPOINT_URL and fake credentials for this process
    part = Provisioning(DevConfig(visibility_cap_seconds=3))
    try:
        part.start()
        part.check()
        yield part
    finally:
        moto.stop()
        os.environ.clear()
        os.environ.update(saved)


def test_every_manifest_table_exists_with_its_keys_indexes_and_ttl(provisioned):
    dynamodb = boto3.client("dynamodb")
    for spec in manifest.TABLES:
        name = provisioned.environment[spec.env]
        assert name == resource_name(spec.key)
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == [
            {"AttributeName": spec.partition_key, "KeyType": "HASH"},
            *([{"AttributeName": spec.sort_key, "KeyType": "RANGE"}] if spec.sort_key else []),
        ]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
        assert set(indexes) == {index.name for index in spec.indexes}
        for index in spec.indexes:
            keys = [(key["AttributeName"], key["KeyType"]) for key in indexes[index.name]["KeySchema"]]
            assert keys == [
                (index.partition_key, "HASH"),
                *([(index.sort_key, "RANGE")] if index.sort_key else []),
            ]
            assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", spec.ttl_attribute)


def test_every_queue_redrives_to_its_dlq_after_the_manifests_receive_count(provisioned):
    sqs = boto3.client("sqs")
    for spec in manifest.QUEUES:
        attributes = sqs.get_queue_attributes(
            QueueUrl=provisioned.environment[spec.env], AttributeNames=["All"]
        )
        attributes = attributes["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == spec.max_receive_count
        assert redrive["deadLetterTargetArn"].endswith(":" + resource_name(f"{spec.key}-dlq"))
        assert int(attributes["VisibilityTimeout"]) == min(spec.visibility_timeout_seconds, 3)
        assert int(attributes["MessageRetentionPeriod"]) == spec.retention_days * 86_400


def test_the_secrets_hold_the_dev_client_webhook_token_and_demo_merchant(provisioned):
    secrets = boto3.client("secretsmanager")

    def read(name: str):
        return json.loads(secrets.get_secret_value(SecretId=f"halotap/local/{name}")["SecretString"])

    client = read("clients")["demo-psp"]
    assert client["keyHashes"] == [hashlib.sha256(DEFAULT_API_KEY.encode()).hexdigest()]
    assert client["merchants"] == ["demo-merchant"]
    assert read("halo-webhook") == {"tokens": ["dev-webhook-token"]}
    assert read("merchants/demo-merchant") == {
        "haloMerchantId": "sim-merchant-001",
        "apiKey": "sim-api-key-demo-merchant",
        "displayName": "Demo Merchant",
        "currencies": ["ZAR", "USD", "JPY", "BHD"],
    }


def test_the_simulator_knows_the_demo_merchants_key_as_the_secret_holds_it():
    assert DevConfig().sim_merchants == {"sim-api-key-demo-merchant": "sim-merchant-001"}


def test_settings_come_from_halotap_variables():
    config = DevConfig.from_env(
        {"HALOTAP_API_PORT": "3100", "HALOTAP_DEV_API_KEY": "k", "HALOTAP_LOG_LEVEL": "info"}
    )
    assert (config.api_port, config.halo_port, config.api_key, config.log_level) == (3100, 4010, "k", "INFO")
    with pytest.raises(ValueError, match="HALOTAP_MOTO_PORT"):
        DevConfig.from_env({"HALOTAP_MOTO_PORT": "five"})
