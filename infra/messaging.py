"""SQS queues from the manifest, each with its dead-letter queue and an alarm on that DLQ."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import manifest
from infra.config import ConfigError, StackConfig, pascal


class Messaging(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.dlq_alarms: dict[str, cloudwatch.Alarm] = {}
        for spec in manifest.QUEUES:
            self._queue(spec, config)

    def _queue(self, spec: manifest.Queue, config: StackConfig) -> None:
        name = pascal(spec.key)
        if spec.dlq_retention_days <= spec.retention_days:
            raise ConfigError(
                f"{spec.key}: the DLQ must keep messages longer than the queue, or they expire there"
            )
        # SSE-SQS: encrypted at rest with no KMS key to manage or pay for, and consumers need no kms:
        # permissions. HTTPS is enforced by the queue policy (enforce_ssl).
        dlq = sqs.Queue(
            self,
            f"{name}Dlq",
            retention_period=cdk.Duration.days(spec.dlq_retention_days),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            removal_policy=config.removal_policy,
        )
        queue = sqs.Queue(
            self,
            f"{name}Queue",
            visibility_timeout=cdk.Duration.seconds(spec.visibility_timeout_seconds),
            retention_period=cdk.Duration.days(spec.retention_days),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=spec.max_receive_count, queue=dlq),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            removal_policy=config.removal_policy,
        )
        alarm = cloudwatch.Alarm(
            self,
            f"{name}DlqAlarm",
            alarm_description=(
                f"{config.stack_name}: messages in the {spec.key} dead-letter queue. Each is work that failed "
                f"{spec.max_receive_count} times; inspect, fix and redrive it."
            ),
            metric=dlq.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.queues[spec.key] = queue
        self.dead_letter_queues[spec.key] = dlq
        self.dlq_alarms[spec.key] = alarm
