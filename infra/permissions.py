"""What each function's role may do, derived from its manifest entry and nothing else."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from infra import manifest
from infra.config import ConfigError, StackConfig
from infra.nag import acknowledge

XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


def statements(
    spec: manifest.Function,
    *,
    stack: cdk.Stack,
    config: StackConfig,
    tables: dict[str, dynamodb.Table],
    queues: dict[str, sqs.Queue],
    dead_letter_queues: dict[str, sqs.Queue],
    buckets: dict[str, s3.Bucket],
    log_group: logs.ILogGroup,
    keys: dict[str, kms.Key] | None = None,
) -> list[iam.PolicyStatement]:
    """The role's statements. Queue consumers also get the event source mapping's grant (functions.py)."""

    def table(key: str) -> dynamodb.Table:
        if key not in tables:
            raise ConfigError(f"{spec.name}: no table {key!r} in manifest.TABLES")
        return tables[key]

    def queue(key: str) -> sqs.Queue:
        if key not in queues:
            raise ConfigError(f"{spec.name}: no queue {key!r} in manifest.QUEUES")
        return queues[key]

    def dead_letter_queue(key: str) -> sqs.Queue:
        queue(key)
        return dead_letter_queues[key]

    def secret_arn(key: str) -> str:
        # Secrets Manager appends "-" and six random characters to a secret's name in its ARN.
        name = (
            f"{config.secrets_prefix}/{key}"
            if key.endswith("/*")
            else f"{config.secrets_prefix}/{key}-??????"
        )
        return stack.format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=name,
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )

    result = [
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
        ),
        # Tracing.ACTIVE adds the same statement; it is stated here so that the role reads complete.
        iam.PolicyStatement(actions=XRAY_ACTIONS, resources=["*"]),
    ]
    for key, actions in spec.table_actions.items():
        result.append(iam.PolicyStatement(actions=list(actions), resources=[table(key).table_arn]))
    for key in spec.index_query:
        # The indexes by name rather than index/*: exactly the GSIs the manifest declares, never the table.
        arn = table(key).table_arn
        result.append(
            iam.PolicyStatement(
                actions=["dynamodb:Query"],
                resources=[f"{arn}/index/{index.name}" for index in manifest.table(key).indexes],
            )
        )
    for key in spec.sends_to:
        result.append(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue(key).queue_arn]))
    for key in spec.sends_to_dlq:
        result.append(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dead_letter_queue(key).queue_arn])
        )
    for key, actions in spec.bucket_actions.items():
        if key not in buckets:
            raise ConfigError(f"{spec.name}: no bucket {key!r} in manifest.BUCKETS")
        # Objects under the ledger/ prefix only, never the bucket's own settings.
        result.append(
            iam.PolicyStatement(actions=list(actions), resources=[buckets[key].arn_for_objects("ledger/*")])
        )
    for key, actions in spec.key_actions.items():
        if key not in (keys or {}):
            raise ConfigError(f"{spec.name}: no key {key!r} in manifest.KEYS")
        result.append(iam.PolicyStatement(actions=list(actions), resources=[(keys or {})[key].key_arn]))
    if spec.lists_merchants:
        # ListSecrets takes no resource: it returns names and metadata, never a value (GetSecretValue does).
        result.append(iam.PolicyStatement(actions=["secretsmanager:ListSecrets"], resources=["*"]))
    if spec.reads_secrets:
        result.append(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"],
                resources=[secret_arn(key) for key in spec.reads_secrets],
            )
        )
    return result


def acknowledge_findings(
    spec: manifest.Function, role: iam.Role, config: StackConfig, buckets: dict[str, s3.Bucket]
) -> None:
    listing = (
        " secretsmanager:ListSecrets (to find every merchant's secret by name) has no resource-level "
        "permission either; it returns names, never values."
        if spec.lists_merchants
        else ""
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "Only xray:PutTraceSegments and xray:PutTelemetryRecords use Resource '*': X-Ray does not "
        "support resource-level permissions for them."
        + listing
        + " Every other statement names its resource.",
    )
    for key in spec.bucket_actions:
        bucket = buckets[key]
        logical_id = cdk.Stack.of(bucket).get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/ledger/*]",
            f"{spec.name} reads or writes one report per merchant-day (ledger/<merchantId>/<date>.json and "
            ".csv): the keys are made at run time, so the grant is the ledger/ prefix of this one bucket.",
        )
    if "merchants/*" in spec.reads_secrets:
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:"
            f"<AWS::AccountId>:secret:{config.secrets_prefix}/merchants/*]",
            f"{spec.name} reads the Halo credentials of whichever merchant a checkout belongs to; the "
            "operator adds one secret per merchant after deploy, so the names cannot be listed here. "
            "GetSecretValue only, and only under this stage's merchants/ prefix.",
        )
