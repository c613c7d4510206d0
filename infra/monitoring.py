"""Alarms and the dashboard, on the metrics the functions publish (Powertools EMF, namespace halotap,
dimension service) and on what API Gateway and SQS publish themselves.

Every alarm has a runbook entry in docs/operations.md under the alarm's name, and every alarm tells the
stack's alarm topic when it fires and when it clears (output AlarmTopicArn): subscribe a pager, a chat
channel or an email to it (context alarmEmail subscribes one address at deploy).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from halotap import metrics
from halotap.domain import timing
from infra import manifest
from infra.config import StackConfig, pascal
from infra.messaging import Messaging

# metric -> what it means for the person paged
ALARMS = {
    metrics.NOTIFICATION_EXHAUSTED: "A PSP notification used its whole retry schedule and is parked in the notifications "
    "DLQ. Check the PSP's endpoint, then redrive with halotap-notifications (docs/operations.md).",
    metrics.HALO_AUTH_FAILED: "Halo refused a merchant's x-api-key: checkouts for that merchant fail. Fix the merchant "
    "secret (<prefix>/merchants/<merchantId>).",
    metrics.REFUND_PENDING_TOO_LONG: "A refund has waited more than 15 minutes for Halo's definite answer; reconciliation "
    "keeps retrying it with the same refundReference. Check Halo's status and the refund (docs/operations.md).",
    metrics.INDETERMINATE_NEEDS_ATTENTION: "Halo reported Indeterminate for a payment and nothing replaced it within "
    "30 minutes. The shopper may have been charged: check the transaction in Halo's merchant portal and reverse "
    "it there if so (docs/operations.md). The checkout carries needsAttention.",
    metrics.LEDGER_DIFFERENCES: "The daily ledger found records where halotap and Halo's ledger disagree (missing on "
    "either side, another amount or another outcome). Read the day's report and follow the runbook for each "
    "class (docs/operations.md).",
    metrics.WEBHOOK_ENDPOINT_DISABLED: "A PSP's webhook endpoint failed every delivery for 5 days and was "
    "disabled; its client's other endpoints got endpoint.disabled. Tell the PSP: once its endpoint is fixed it "
    "calls POST /v1/webhook-endpoints/{id}/recover (docs/operations.md).",
    metrics.HALO_WEBHOOK_MISMATCH: "A Halo webhook disagreed with Halo's own status endpoint (possible forgery or a Halo "
    "bug). halotap applied Halo's answer; the checkout history names the fields that differed.",
}
API_5XX_RATE = 0.01  # 1% of requests, over two 5-minute periods in a row
RECONCILE_ERROR_PERIODS = 3  # ReconcileErrors in 3 five-minute periods in a row: not one unlucky tick
DLQ_OLDEST_HOURS = 48  # a parked message nobody handled for 2 days; the DLQs keep messages 14 days
# Notifications: the retry schedule's first four attempts (5 s, 5 min, 30 min, 2 h) are over by ~2.6 h; a
# notification still queued after an hour has failed at least three times, so the PSP is likely down.
NOTIFICATION_PENDING_HOURS = 1
# ReconcileLagSeconds is how long the oldest due checkout had waited when a run began. A healthy run takes
# everything that fell due since the run before, so the lag stays under one schedule period (60 s). The
# alarm allows one expiry grace on top of that (timing.EXPIRY_GRACE_SECONDS, 120 s): 180 s. A late
# EventBridge tick or one skipped run stays under it; past it, unpaid checkouts expire more than twice their
# grace after expiresAt, and the outcome of a lost webhook reaches the PSP minutes late.
RECONCILE_LAG_SECONDS = manifest.RECONCILE_SCHEDULE_MINUTES * 60 + timing.EXPIRY_GRACE_SECONDS
RECONCILE_LAG_PERIODS = 3  # the lag's 5-minute Maximum above it 3 periods in a row: behind for 15 minutes
FIVE_MINUTES = cdk.Duration.minutes(5)


def halotap_metric(name: str, statistic: str = cloudwatch.Stats.SUM) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=manifest.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": manifest.SERVICE_NAME},
        statistic=statistic,
        period=FIVE_MINUTES,
    )


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        messaging: Messaging,
        stage: apigw.Stage,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.topic = self._alarm_topic()
        self._action = cloudwatch_actions.SnsAction(self.topic)
        for dlq_alarm in messaging.dlq_alarms.values():  # made with their queues (infra/messaging.py)
            self._notify(dlq_alarm)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for metric_name, description in ALARMS.items():
            self._alarm(metric_name, description, halotap_metric(metric_name), threshold=0)
        self._alarm(
            "Api5xxRate",
            f"More than {API_5XX_RATE:.0%} of API requests answered 5xx for 10 minutes.",
            stage.metric_server_error(statistic=cloudwatch.Stats.AVERAGE, period=FIVE_MINUTES),
            threshold=API_5XX_RATE,
            periods=2,
        )
        self._alarm(
            metrics.RECONCILE_ERRORS,
            "Reconciliation failed on some checkouts for 15 minutes: lost webhooks are not being found and "
            "unpaid checkouts are not expiring.",
            halotap_metric(metrics.RECONCILE_ERRORS),
            threshold=0,
            periods=RECONCILE_ERROR_PERIODS,
        )
        # Every run publishes the lag, 0 when nothing is due, so a 5-minute period with no datapoint means no
        # run finished at all: the worst way to fall behind, and one no other alarm sees. Missing is breaching.
        self._alarm(
            "ReconcileLag",
            f"The oldest due checkout has waited over {RECONCILE_LAG_SECONDS} s for reconciliation for "
            f"{RECONCILE_LAG_PERIODS * 5} minutes, or reconcile runs publish nothing: unpaid checkouts expire "
            "late and lost webhooks are found late.",
            halotap_metric(metrics.RECONCILE_LAG_SECONDS, cloudwatch.Stats.MAXIMUM),
            threshold=RECONCILE_LAG_SECONDS,
            periods=RECONCILE_LAG_PERIODS,
            missing=cloudwatch.TreatMissingData.BREACHING,
        )
        for spec in manifest.QUEUES:
            dlq = messaging.dead_letter_queues[spec.key]
            self._alarm(
                f"{pascal(spec.key)}DlqOldestMessage",
                f"A message has sat in the {spec.key} dead-letter queue for {DLQ_OLDEST_HOURS} h unhandled; "
                f"the DLQ drops it after {spec.dlq_retention_days} days.",
                dlq.metric_approximate_age_of_oldest_message(
                    statistic=cloudwatch.Stats.MAXIMUM, period=FIVE_MINUTES
                ),
                threshold=DLQ_OLDEST_HOURS * 3600,
            )
        # Work left pending too long. Refunds: RefundPendingTooLong (in ALARMS), counted by reconcile;
        # notifications are measured by their queue's oldest message.
        self._alarm(
            "NotificationPendingTooLong",
            f"A PSP notification has waited over {NOTIFICATION_PENDING_HOURS} h to be delivered: the PSP's "
            "endpoint keeps failing, or deliveries are not running.",
            messaging.queues["notifications"].metric_approximate_age_of_oldest_message(
                statistic=cloudwatch.Stats.MAXIMUM, period=FIVE_MINUTES
            ),
            threshold=NOTIFICATION_PENDING_HOURS * 3600,
        )
        self.dashboard = self._dashboard(messaging, stage)

    def _alarm(
        self,
        name: str,
        description: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        periods: int = 1,
        missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            f"{name}Alarm",
            alarm_description=f"{self._config.stack_name}: {description} Runbook: docs/operations.md, {name}.",
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            treat_missing_data=missing,
        )
        self._notify(alarm)
        self.alarms[name] = alarm
        return alarm

    def _notify(self, alarm: cloudwatch.Alarm) -> None:
        """Tell the topic when `alarm` fires and when it clears: whoever was paged also hears it is over."""
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)

    def _alarm_topic(self) -> sns.Topic:
        """Where every alarm publishes. Encrypted with a key of its own, because CloudWatch cannot publish
        to a topic under the AWS-managed SNS key: this key lets CloudWatch, and nothing else new, use it."""
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"{self._config.stack_name}: encrypts the alarm topic's messages",
            enable_key_rotation=True,
            removal_policy=self._config.removal_policy,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"{self._config.stack_name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        if self._config.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self._config.alarm_email))
        return topic

    def _dashboard(self, messaging: Messaging, stage: apigw.Stage) -> cloudwatch.Dashboard:
        def graph(title: str, *names: str) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(
                title=title, left=[halotap_metric(name) for name in names], width=12, height=6
            )

        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{self._config.stack_name}-operations"
        )
        dashboard.add_widgets(
            graph(
                "Creates", metrics.CHECKOUT_CREATED, metrics.HALO_CREATE_FAILED, metrics.CHECKOUT_CANCELLED
            ),
            graph(
                "Outcomes",
                metrics.HALO_EVENT_TRANSITION,
                metrics.HALO_EVENT_REPEAT,
                metrics.HALO_EVENT_STALE,
                metrics.HALO_EVENT_ANOMALY,
                metrics.LATE_APPROVAL,
                metrics.HALO_EVENT_LEFT_TO_RECONCILE,
            ),
        )
        dashboard.add_widgets(
            graph(
                "Notification delivery",
                metrics.NOTIFICATION_DELIVERED,
                metrics.NOTIFICATION_RETRY,
                metrics.NOTIFICATION_GONE,
                metrics.NOTIFICATION_SKIPPED,
                metrics.NOTIFICATION_EXHAUSTED,
                metrics.NOTIFICATION_FANNED_OUT,
                metrics.WEBHOOK_ENDPOINT_DISABLED,
            ),
            # Counts on the left; the lag (seconds, Maximum) on the right, with its alarm's threshold.
            cloudwatch.GraphWidget(
                title="Reconcile",
                left=[
                    halotap_metric(name)
                    for name in (
                        metrics.RECONCILE_EXAMINED,
                        metrics.RECONCILE_APPLIED,
                        metrics.RECONCILE_EXPIRED,
                        metrics.RECONCILE_RESCHEDULED,
                        metrics.RECONCILE_ERRORS,
                    )
                ],
                right=[halotap_metric(metrics.RECONCILE_LAG_SECONDS, cloudwatch.Stats.MAXIMUM)],
                right_annotations=[self.alarms["ReconcileLag"].to_annotation()],
                width=12,
                height=6,
            ),
        )
        dashboard.add_widgets(
            graph(
                "Halo errors",
                metrics.HALO_CREATE_FAILED,
                metrics.HALO_AUTH_FAILED,
                metrics.HALO_WEBHOOK_MISMATCH,
                metrics.HALO_WEBHOOK_BAD_TOKEN,
                metrics.HALO_EVENT_UNKNOWN_CHECKOUT,
            ),
            cloudwatch.GraphWidget(
                title="API 5xx rate and DLQ depth",
                left=[stage.metric_server_error(statistic=cloudwatch.Stats.AVERAGE, period=FIVE_MINUTES)],
                right=[
                    messaging.dead_letter_queues[spec.key].metric_approximate_number_of_messages_visible(
                        statistic=cloudwatch.Stats.MAXIMUM, period=FIVE_MINUTES
                    )
                    for spec in manifest.QUEUES
                ],
                width=12,
                height=6,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=list(self.alarms.values()), width=24, height=4
            )
        )
        return dashboard
