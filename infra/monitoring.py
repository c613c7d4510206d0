"""Alarms on the metrics the functions publish (Powertools EMF, namespace halotap, dimension service)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infra import manifest
from infra.config import StackConfig

# metric -> what it means for the person paged
ALARMS = {
    "NotificationExhausted": "A PSP notification used its whole retry schedule and is parked in the notifications "
    "DLQ. Check the PSP's endpoint, then redrive with halotap-notifications (docs/operations.md).",
    "HaloAuthFailed": "Halo refused a merchant's x-api-key: checkouts for that merchant fail. Fix the merchant "
    "secret (<prefix>/merchants/<merchantId>).",
    "RefundPendingTooLong": "A refund has waited more than 15 minutes for Halo's definite answer; reconciliation "
    "keeps retrying it with the same refundReference. Check Halo's status and the refund (docs/operations.md).",
    "HaloWebhookMismatch": "A Halo webhook disagreed with Halo's own status endpoint (possible forgery or a Halo "
    "bug). halotap applied Halo's answer; the checkout history names the fields that differed.",
}


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for metric_name, description in ALARMS.items():
            self.alarms[metric_name] = cloudwatch.Alarm(
                self,
                f"{metric_name}Alarm",
                alarm_description=f"{config.stack_name}: {description}",
                metric=cloudwatch.Metric(
                    namespace=manifest.METRICS_NAMESPACE,
                    metric_name=metric_name,
                    dimensions_map={"service": manifest.SERVICE_NAME},
                    statistic=cloudwatch.Stats.SUM,
                    period=cdk.Duration.minutes(5),
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
