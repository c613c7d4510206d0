"""What the stack tests share: reading grants, resources and ARNs out of the synthesized template."""

from __future__ import annotations

import json
from typing import Any

from infra import manifest
from infra.config import pascal
from tests.infra.conftest import Synth

CONSUMER_ACTIONS = {
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
}
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
POWERTOOLS_ENV = {
    "POWERTOOLS_SERVICE_NAME": "halotap",
    "POWERTOOLS_METRICS_NAMESPACE": "halotap",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
ROUTES = [(spec, route) for spec in manifest.FUNCTIONS for route in spec.routes]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def function_resource(synth: Synth, name: str) -> dict[str, Any]:
    return synth.json["Resources"][synth.logical_id(synth.stack.functions.functions[name])]


def role_id(synth: Synth, name: str) -> str:
    return function_resource(synth, name)["Properties"]["Role"]["Fn::GetAtt"][0]


def grants(synth: Synth, name: str) -> set[tuple[str, str]]:
    """(action, resource) for every Allow statement in every policy attached to the function's role."""
    pairs = set()
    role = role_id(synth, name)
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert set(statement) <= {"Effect", "Action", "Resource", "Sid"}, statement
            for action in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    pairs.add((action, key(resource)))
    return pairs


def arn_of(synth: Synth, construct: Any) -> dict[str, Any]:
    return {"Fn::GetAtt": [synth.logical_id(construct), "Arn"]}


def secret_arn(name: str) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":secretsmanager:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":secret:{name}",
            ],
        ]
    }


def expected_grants(synth: Synth, spec: manifest.Function) -> set[tuple[str, str]]:
    stack = synth.stack
    log_group = stack.functions.node.find_child(f"{pascal(spec.name)}Logs")
    pairs = {
        ("logs:CreateLogStream", key(arn_of(synth, log_group))),
        ("logs:PutLogEvents", key(arn_of(synth, log_group))),
    }
    pairs |= {(action, key("*")) for action in XRAY_ACTIONS}
    for table_key, actions in spec.table_actions.items():
        pairs |= {(action, key(arn_of(synth, stack.data.tables[table_key]))) for action in actions}
    for table_key in spec.index_query:
        for index in manifest.table(table_key).indexes:
            arn = {"Fn::Join": ["", [arn_of(synth, stack.data.tables[table_key]), f"/index/{index.name}"]]}
            pairs.add(("dynamodb:Query", key(arn)))
    for queue_key in spec.sends_to:
        pairs.add(("sqs:SendMessage", key(arn_of(synth, stack.messaging.queues[queue_key]))))
    for queue_key in spec.sends_to_dlq:
        pairs.add(("sqs:SendMessage", key(arn_of(synth, stack.messaging.dead_letter_queues[queue_key]))))
    for secret_key in spec.reads_secrets:
        suffix = "" if secret_key.endswith("/*") else "-??????"
        pairs.add(("secretsmanager:GetSecretValue", key(secret_arn(f"halotap/dev/{secret_key}{suffix}"))))
    if spec.queue:
        pairs |= {
            (action, key(arn_of(synth, stack.messaging.queues[spec.queue]))) for action in CONSUMER_ACTIONS
        }
    for bucket_key, actions in spec.bucket_actions.items():
        objects = {"Fn::Join": ["", [arn_of(synth, stack.data.buckets[bucket_key]), "/ledger/*"]]}
        pairs |= {(action, key(objects)) for action in actions}
    for key_key, actions in spec.key_actions.items():
        pairs |= {(action, key(arn_of(synth, stack.data.keys[key_key]))) for action in actions}
    if spec.lists_merchants:
        pairs.add(("secretsmanager:ListSecrets", key("*")))
    return pairs
