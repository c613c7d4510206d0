"""DynamoDB tables and the Secrets Manager secrets the stack owns, both from the manifest."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import manifest
from infra.config import StackConfig, pascal
from infra.nag import acknowledge


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, dynamodb.Table] = {
            spec.key: self._table(spec, config) for spec in manifest.TABLES
        }
        self.buckets: dict[str, s3.Bucket] = {
            spec.key: self._bucket(spec, config) for spec in manifest.BUCKETS
        }
        self.keys: dict[str, kms.Key] = {spec.key: self._key(spec, config) for spec in manifest.KEYS}
        self.secrets: dict[str, secretsmanager.Secret] = {
            spec.key: self._secret(spec, config) for spec in manifest.SECRETS if spec.created_by_stack
        }

    def _table(self, spec: manifest.Table, config: StackConfig) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"{pascal(spec.key)}Table",
            partition_key=dynamodb.Attribute(name=spec.partition_key, type=dynamodb.AttributeType.STRING),
            sort_key=(
                dynamodb.Attribute(name=spec.sort_key, type=dynamodb.AttributeType.STRING)
                if spec.sort_key
                else None
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=spec.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # The AWS managed key (aws/dynamodb): encrypted at rest with KMS and every use in CloudTrail,
            # at no key cost and with no key policy to get wrong. A customer managed key would only add
            # value for cross-account sharing or crypto-shredding, which halotap does not do; no card
            # data is stored (Halo holds it).
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=not config.ephemeral,
            removal_policy=config.removal_policy,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(
                    name=index.partition_key, type=dynamodb.AttributeType.STRING
                ),
                sort_key=(
                    dynamodb.Attribute(name=index.sort_key, type=dynamodb.AttributeType.STRING)
                    if index.sort_key
                    else None
                ),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _key(self, spec: manifest.Key, config: StackConfig) -> kms.Key:
        # Customer managed, unlike the tables' AWS managed key: only the roles the manifest grants
        # (key_actions) may Decrypt with it, so reading the integrations table is not reading a secret.
        return kms.Key(
            self,
            f"{pascal(spec.key)}Key",
            description=spec.description,
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )

    def _bucket(self, spec: manifest.Bucket, config: StackConfig) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            f"{pascal(spec.key)}Bucket",
            # SSE-S3: encrypted at rest with no key to manage; the reports hold ids and amounts, no card data.
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,  # a re-run replaces a report; the version it replaced stays readable
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireReports",
                    expiration=cdk.Duration.days(spec.retention_days),
                    noncurrent_version_expiration=cdk.Duration.days(spec.retention_days),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            removal_policy=config.removal_policy,
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "No server access logs: only the ledger functions' roles can read or write this bucket (each "
            "names the bucket in its policy), and a log bucket would need its own, unlogged, bucket. Reads "
            "through the API are in API Gateway's access log with the caller's client id.",
        )
        return bucket

    def _secret(self, spec: manifest.Secret, config: StackConfig) -> secretsmanager.Secret:
        construct_id = f"{pascal(spec.key)}Secret"
        name = f"{config.secrets_prefix}/{spec.key}"
        generated = {"halo-webhook": "token", "cursor-key": "key"}
        if spec.key in generated:
            # Generated inside Secrets Manager at deploy time, so the value never passes through the
            # template. The operator reads the halo-webhook token once to register the webhook URL with
            # Halo; the cursor key is only ever read by the functions that seal list cursors.
            value: dict[str, Any] = {
                "generate_secret_string": secretsmanager.SecretStringGenerator(
                    secret_string_template="{}",  # noqa: S106 (a JSON shape, not a password)
                    generate_string_key=generated[spec.key],
                    exclude_punctuation=True,
                    password_length=40,
                )
            }
        else:
            # Empty at deploy (a JSON object, clientId -> record); the operator fills it. "{}" is the
            # only literal secret value the template carries.
            value = {"secret_string_value": cdk.SecretValue.unsafe_plain_text("{}")}
        secret = secretsmanager.Secret(
            self,
            construct_id,
            secret_name=name,
            description=spec.description,
            removal_policy=config.removal_policy,
            **value,
        )
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "Rotated by the operator, not by a rotation Lambda: the clients secret holds several key "
            "hashes and signing secrets at once so a PSP can roll them over without downtime, and the "
            "halo-webhook token must be re-registered with Halo when it changes (two stay valid during "
            "the overlap). A scheduled automatic rotation would break both. Rotating the cursor key only "
            "invalidates the list cursors in flight (a client restarts its listing), so it is rotated by hand.",
        )
        return secret
