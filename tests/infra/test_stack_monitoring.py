"""Every alarm watches an emitted metric, has a runbook entry, and tells the alarm topic."""

from __future__ import annotations

from typing import Any

import pytest

from halotap.domain.timing import EXPIRY_GRACE_SECONDS
from infra import manifest
from infra.config import pascal
from infra.monitoring import RECONCILE_LAG_SECONDS
from tests.infra.conftest import ALARM_EMAIL, Synth

pytestmark = pytest.mark.infra


def test_the_operator_metrics_have_alarms(dev: Synth) -> None:
    for metric_name in ("NotificationExhausted", "HaloAuthFailed", "HaloWebhookMismatch"):
        dev.template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {"MetricName": metric_name, "Namespace": "halotap", "Threshold": 0},
        )


def test_the_notifications_queue_outlasts_the_retry_schedule(dev: Synth) -> None:
    from halotap.domain.timing import NOTIFY_SCHEDULE

    spec = manifest.queue("notifications")
    assert spec.retention_days * 86400 > sum(NOTIFY_SCHEDULE)
    assert spec.max_receive_count > len(NOTIFY_SCHEDULE) + 1


def alarm_named(synth: Synth, name: str) -> dict[str, Any]:
    return synth.json["Resources"][synth.logical_id(synth.stack.monitoring.alarms[name])]["Properties"]


def test_api_5xx_rate_alarm(dev: Synth) -> None:
    alarm = alarm_named(dev, "Api5xxRate")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/ApiGateway",
        "5XXError",
        "Average",
    )
    assert alarm["Threshold"] == 0.01
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 2
    assert {d["Name"] for d in alarm["Dimensions"]} == {"ApiName", "Stage"}


def test_reconcile_errors_alarm(dev: Synth) -> None:
    alarm = alarm_named(dev, "ReconcileErrors")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Threshold"]) == ("halotap", "ReconcileErrors", 0)
    assert alarm["EvaluationPeriods"] == 3


def test_reconcile_lag_alarm(dev: Synth) -> None:
    # One schedule period (the most a healthy run leaves a due checkout waiting) plus one expiry grace.
    assert RECONCILE_LAG_SECONDS == manifest.RECONCILE_SCHEDULE_MINUTES * 60 + EXPIRY_GRACE_SECONDS == 180
    assert manifest.function("reconcile").schedule_minutes == manifest.RECONCILE_SCHEDULE_MINUTES
    dev.template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ReconcileLagSeconds", "Threshold": RECONCILE_LAG_SECONDS}
    )
    alarm = alarm_named(dev, "ReconcileLag")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "halotap",
        "ReconcileLagSeconds",
        "Maximum",
    )
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "halotap"}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (180, "GreaterThanThreshold")
    assert alarm["Period"] == 300
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 3
    # Every run publishes the lag, so no data at all means reconcile is not running: that pages too.
    assert alarm["TreatMissingData"] == "breaching"


@pytest.mark.parametrize("spec", manifest.QUEUES, ids=lambda q: q.key)
def test_alarm_on_the_age_of_the_oldest_message_in_every_dead_letter_queue(
    dev: Synth, spec: manifest.Queue
) -> None:
    alarm = alarm_named(dev, f"{pascal(spec.key)}DlqOldestMessage")
    assert alarm["MetricName"] == "ApproximateAgeOfOldestMessage"
    dlq = dev.logical_id(dev.stack.messaging.dead_letter_queues[spec.key])
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}}]
    assert alarm["Threshold"] < spec.dlq_retention_days * 86400  # found before the DLQ drops it


def test_alarm_on_a_notification_pending_too_long(dev: Synth) -> None:
    alarm = alarm_named(dev, "NotificationPendingTooLong")
    queue = dev.logical_id(dev.stack.messaging.queues["notifications"])
    assert alarm["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    assert alarm["Threshold"] == 3600


def test_every_alarm_has_a_runbook_entry(dev: Synth) -> None:
    from pathlib import Path

    runbook = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    names = [*dev.stack.monitoring.alarms, "Api5xxRate", "ReconcileErrors", "NotificationPendingTooLong"]
    names += [f"{pascal(spec.key)}DlqOldestMessage" for spec in manifest.QUEUES]
    assert [name for name in names if f"### {name}" not in runbook] == []


def test_every_alarm_tells_the_alarm_topic_when_it_fires_and_when_it_clears(dev: Synth) -> None:
    topic = {"Ref": dev.logical_id(dev.stack.monitoring.topic)}
    alarms = dev.resources("AWS::CloudWatch::Alarm")
    made = {**dev.stack.monitoring.alarms, **dev.stack.messaging.dlq_alarms}
    assert len(alarms) == len(made) >= 12  # every alarm in the template is one the stack knows it made
    silent = [
        name
        for name, alarm in alarms.items()
        if (alarm["Properties"].get("AlarmActions"), alarm["Properties"].get("OKActions"))
        != ([topic], [topic])
    ]
    assert silent == []
    assert dev.json["Outputs"]["AlarmTopicArn"]["Value"] == topic


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use_and_takes_only_tls(dev: Synth) -> None:
    [(key_id, key)] = [
        (logical_id, resource)
        for logical_id, resource in dev.resources("AWS::KMS::Key").items()
        if logical_id != dev.logical_id(dev.stack.data.keys["signing"])  # webhook secrets' own key
    ]
    assert key["Properties"]["EnableKeyRotation"] is True
    [topic] = dev.resources("AWS::SNS::Topic").values()
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    [cloudwatch] = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert (cloudwatch["Effect"], set(cloudwatch["Action"])) == (
        "Allow",
        {"kms:Decrypt", "kms:GenerateDataKey*"},
    )
    [policy] = dev.resources("AWS::SNS::TopicPolicy").values()
    [deny] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_alarm_email_context_subscribes_one_address(dev: Synth, prod: Synth) -> None:
    assert dev.resources("AWS::SNS::Subscription") == {}
    [subscription] = prod.resources("AWS::SNS::Subscription").values()
    assert (subscription["Properties"]["Protocol"], subscription["Properties"]["Endpoint"]) == (
        "email",
        ALARM_EMAIL,
    )


def test_the_dashboard_shows_creates_outcomes_delivery_reconcile_and_halo_errors(dev: Synth) -> None:
    [dashboard] = dev.resources("AWS::CloudWatch::Dashboard").values()
    _, parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"]
    body = "".join(part for part in parts if isinstance(part, str))  # the JSON text, less the tokens
    for title in ("Creates", "Outcomes", "Notification delivery", "Reconcile", "Halo errors"):
        assert f'"title":"{title}"' in body
    for metric in (
        "CheckoutCreated",
        "HaloEventTransition",
        "NotificationDelivered",
        "ReconcileErrors",
        "ReconcileLagSeconds",
    ):
        assert f'"{metric}"' in body
    assert '"HaloAuthFailed"' in body
    assert '"HaloCreateFailed"' in body
