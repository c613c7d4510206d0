"""Queues, dead-letter queues and their consumers: visibility, fan-out bounds and alarms."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from infra import manifest
from tests.infra.conftest import Synth
from tests.infra.template import (
    function_resource,
)

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("spec", manifest.QUEUES, ids=lambda q: q.key)
def test_queue_and_dead_letter_queue(dev: Synth, spec: manifest.Queue) -> None:
    resources = dev.json["Resources"]
    queue_id = dev.logical_id(dev.stack.messaging.queues[spec.key])
    dlq_id = dev.logical_id(dev.stack.messaging.dead_letter_queues[spec.key])
    queue, dlq = resources[queue_id]["Properties"], resources[dlq_id]["Properties"]
    assert queue["VisibilityTimeout"] == spec.visibility_timeout_seconds
    assert queue["MessageRetentionPeriod"] == spec.retention_days * 86400
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": spec.max_receive_count,
    }
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]
    for props in (queue, dlq):
        assert props["SqsManagedSseEnabled"] is True
    for queue_ref in (queue_id, dlq_id):
        dev.template.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": queue_ref}],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Action": "sqs:*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                },
            },
        )


@pytest.mark.parametrize("spec", [f for f in manifest.FUNCTIONS if f.queue], ids=lambda s: s.name)
def test_consumer_visibility_and_event_source(dev: Synth, spec: manifest.Function) -> None:
    assert spec.queue is not None
    queue_id = dev.logical_id(dev.stack.messaging.queues[spec.queue])
    queue = dev.json["Resources"][queue_id]["Properties"]
    timeout = function_resource(dev, spec.name)["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    dev.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [queue_id, "Arn"]},
            "FunctionName": {"Ref": dev.logical_id(dev.stack.functions.functions[spec.name])},
            "BatchSize": spec.batch_size,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )


@pytest.mark.parametrize("name", ["apply_halo_event", "deliver_notification"])
def test_consumers_that_call_out_have_bounded_fan_out(dev: Synth, name: str) -> None:
    """A burst of webhooks cannot overrun Halo's status endpoint, nor a burst of notifications a PSP."""
    spec = manifest.function(name)
    assert spec.max_concurrency is not None
    assert 2 <= spec.max_concurrency <= 20
    dev.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionName": {"Ref": dev.logical_id(dev.stack.functions.functions[name])},
            "ScalingConfig": {"MaximumConcurrency": spec.max_concurrency},
        },
    )


def test_event_sources_only_for_consumers(dev: Synth) -> None:
    dev.template.resource_count_is(
        "AWS::Lambda::EventSourceMapping", len([f for f in manifest.FUNCTIONS if f.queue])
    )


@pytest.mark.parametrize("spec", manifest.QUEUES, ids=lambda q: q.key)
def test_alarm_on_every_dead_letter_queue(dev: Synth, spec: manifest.Queue) -> None:
    dev.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [
                {
                    "Name": "QueueName",
                    "Value": {
                        "Fn::GetAtt": [
                            dev.logical_id(dev.stack.messaging.dead_letter_queues[spec.key]),
                            "QueueName",
                        ]
                    },
                }
            ],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
        },
    )
