"""Tables, indexes, the ledger bucket and schedules: as the manifest declares, retained in prod."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from infra import manifest
from tests.infra.conftest import Synth
from tests.infra.template import (
    arn_of,
)

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("spec", manifest.TABLES, ids=lambda t: t.key)
def test_table(dev: Synth, spec: manifest.Table) -> None:
    props = dev.json["Resources"][dev.logical_id(dev.stack.data.tables[spec.key])]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [
        {"AttributeName": spec.partition_key, "KeyType": "HASH"},
        *([{"AttributeName": spec.sort_key, "KeyType": "RANGE"}] if spec.sort_key else []),
    ]
    assert {"AttributeName": spec.partition_key, "AttributeType": "S"} in props["AttributeDefinitions"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {i.name for i in spec.indexes}
    for index in spec.indexes:
        expected = [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
        if index.sort_key:
            expected.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
        assert indexes[index.name]["KeySchema"] == expected
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}


def test_checkouts_table_has_the_halo_reference_sparse_due_and_listing_indexes(dev: Synth) -> None:
    dev.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [
                Match.object_like(
                    {
                        "IndexName": "byHaloReference",
                        "KeySchema": [{"AttributeName": "haloReference", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ),
                Match.object_like(
                    {
                        "IndexName": "byDue",
                        "KeySchema": [
                            {"AttributeName": "dueShard", "KeyType": "HASH"},
                            {"AttributeName": "dueAt", "KeyType": "RANGE"},
                        ],
                    }
                ),
                Match.object_like(
                    {
                        "IndexName": "byMerchantCreated",
                        "KeySchema": [
                            {"AttributeName": "merchantId", "KeyType": "HASH"},
                            {"AttributeName": "createdAt", "KeyType": "RANGE"},
                        ],
                    }
                ),
                Match.object_like(
                    {
                        "IndexName": "byHaloTransactionId",
                        "KeySchema": [{"AttributeName": "haloTransactionId", "KeyType": "HASH"}],
                    }
                ),
            ],
        },
    )


def test_the_ledger_bucket_is_encrypted_versioned_private_tls_only_and_kept_400_days(dev: Synth) -> None:
    bucket = dev.stack.data.buckets["ledger"]
    props = dev.json["Resources"][dev.logical_id(bucket)]["Properties"]
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    [rule] = props["LifecycleConfiguration"]["Rules"]
    assert (rule["Status"], rule["ExpirationInDays"], rule["NoncurrentVersionExpiration"]) == (
        "Enabled",
        400,
        {"NoncurrentDays": 400},
    )
    [policy] = dev.resources("AWS::S3::BucketPolicy").values()
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_ledger_runs_daily_at_three_utc_and_on_its_queue(dev: Synth) -> None:
    dev.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "cron(0 3 * * ? *)",
            "State": "ENABLED",
            "Targets": [Match.object_like({"Arn": arn_of(dev, dev.stack.functions.functions["ledger"])})],
        },
    )
    assert manifest.function("ledger").queue == "ledger"


def test_reconcile_runs_every_minute(dev: Synth) -> None:
    dev.template.has_resource_properties(
        "AWS::Events::Rule", {"ScheduleExpression": "rate(1 minute)", "State": "ENABLED"}
    )


def test_dev_data_is_disposable(dev: Synth) -> None:
    for type_ in ("AWS::DynamoDB::Table", "AWS::SecretsManager::Secret", "AWS::SQS::Queue"):
        for resource in dev.resources(type_).values():
            assert resource["DeletionPolicy"] == "Delete"
    assert dev.stack.termination_protection is False


def test_prod_data_is_retained_and_protected(prod: Synth) -> None:
    for type_ in (
        "AWS::DynamoDB::Table",
        "AWS::SecretsManager::Secret",
        "AWS::SQS::Queue",
        "AWS::Logs::LogGroup",
    ):
        resources = prod.resources(type_)
        assert resources
        for resource in resources.values():
            assert resource["DeletionPolicy"] == "Retain"
            assert resource["UpdateReplacePolicy"] == "Retain"
    for table in prod.resources("AWS::DynamoDB::Table").values():
        assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert prod.stack.termination_protection is True
