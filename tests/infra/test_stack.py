"""The synthesized template does what infra/manifest.py and docs/architecture.md say, and nothing more."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from halotap.domain.timing import EXPIRY_GRACE_SECONDS
from infra import manifest
from infra.config import ConfigError, StackConfig, pascal
from infra.monitoring import RECONCILE_LAG_SECONDS
from tests.infra.conftest import ALARM_EMAIL, PAY_CERTIFICATE_ARN, PAY_DOMAIN, Synth

pytestmark = pytest.mark.infra

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


# --- functions --------------------------------------------------------------------------------------------


def test_one_function_per_manifest_entry(dev: Synth) -> None:
    dev.template.resource_count_is("AWS::Lambda::Function", len(manifest.FUNCTIONS))
    assert set(dev.stack.functions.functions) == {spec.name for spec in manifest.FUNCTIONS}


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda s: s.name)
def test_function_runtime_and_settings(dev: Synth, spec: manifest.Function) -> None:
    props = function_resource(dev, spec.name)["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.handler"
    assert props["Timeout"] == spec.timeout_seconds
    assert props["MemorySize"] == spec.memory_mb
    assert props["TracingConfig"] == {"Mode": "Active"}
    layers = dev.stack.functions.layers
    assert props["Layers"] == [{"Ref": dev.logical_id(layers[key])} for key in spec.layers]
    log_group = dev.json["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30


def test_only_the_page_gets_babels_layer(dev: Synth) -> None:
    """Babel's CLDR data is the page's alone: every other function gets the common layer only."""
    dev.template.resource_count_is("AWS::Lambda::LayerVersion", len(manifest.LAYERS))
    with_page = {spec.name for spec in manifest.FUNCTIONS if "page" in spec.layers}
    assert with_page == {"checkout_page"}
    assert all(spec.layers[0] == "common" for spec in manifest.FUNCTIONS)


def test_layer_targets_the_function_runtime(dev: Synth) -> None:
    dev.template.has_resource_properties(
        "AWS::Lambda::LayerVersion",
        {"CompatibleRuntimes": ["python3.13"], "CompatibleArchitectures": ["arm64"]},
    )


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda s: s.name)
def test_function_environment_is_what_the_manifest_lists(dev: Synth, spec: manifest.Function) -> None:
    env = function_resource(dev, spec.name)["Properties"]["Environment"]["Variables"]
    settings = {"SECRETS_PREFIX": "halotap/dev", "HALO_ENV": "dev", "HALO_LINK_ENDPOINT": "applink"}
    resources = {t.env: {"Ref": dev.logical_id(dev.stack.data.tables[t.key])} for t in manifest.TABLES}
    resources |= {q.env: {"Ref": dev.logical_id(dev.stack.messaging.queues[q.key])} for q in manifest.QUEUES}
    resources |= {
        q.dlq_env: {"Ref": dev.logical_id(dev.stack.messaging.dead_letter_queues[q.key])}
        for q in manifest.QUEUES
    }
    resources |= {b.env: {"Ref": dev.logical_id(dev.stack.data.buckets[b.key])} for b in manifest.BUCKETS}
    resources |= {k.env: {"Ref": dev.logical_id(dev.stack.data.keys[k.key])} for k in manifest.KEYS}
    known = {**settings, **resources}  # no payDomain on dev: PAY_BASE_URL stays unset
    expected = {name: known[name] for name in spec.env if name not in manifest.OPTIONAL_ENV} | POWERTOOLS_ENV
    assert env == expected


def test_without_a_pay_domain_there_is_no_custom_domain_and_no_pay_base_url(dev: Synth) -> None:
    dev.template.resource_count_is("AWS::ApiGateway::DomainName", 0)
    env = function_resource(dev, "create_checkout")["Properties"]["Environment"]["Variables"]
    assert "PAY_BASE_URL" not in env


def test_a_pay_domain_is_the_apis_custom_domain_and_payurls_base(prod: Synth) -> None:
    env = function_resource(prod, "create_checkout")["Properties"]["Environment"]["Variables"]
    assert env["PAY_BASE_URL"] == f"https://{PAY_DOMAIN}"
    prod.template.has_resource_properties(
        "AWS::ApiGateway::DomainName",
        {
            "DomainName": PAY_DOMAIN,
            "RegionalCertificateArn": PAY_CERTIFICATE_ARN,
            "EndpointConfiguration": {"Types": ["REGIONAL"]},
            "SecurityPolicy": "TLS_1_2",
        },
    )
    prod.template.resource_count_is("AWS::ApiGateway::BasePathMapping", 1)
    assert "PayDomainTarget" in prod.json["Outputs"]
    for name in ("create_checkout", "get_checkout"):  # the create's answer, and GET of an open checkout
        assert function_resource(prod, name)["Properties"]["Environment"]["Variables"]["PAY_BASE_URL"] == (
            "https://pay.psp.example"
        )
    assert (
        "PAY_BASE_URL"
        not in function_resource(prod, "checkout_page")["Properties"]["Environment"]["Variables"]
    )


def test_settings_come_from_context(prod: Synth) -> None:
    env = function_resource(prod, "create_checkout")["Properties"]["Environment"]["Variables"]
    assert env["SECRETS_PREFIX"] == "halotap/prod"
    assert env["HALO_ENV"] == "prod"
    assert env["HALO_LINK_ENDPOINT"] == "qrCode"  # the deprecated endpoint stays selectable
    assert env["HALO_ACQUIRER"] == "za"  # kernelserver.za.prod.haloplus.io
    assert "HALO_BASE_URL" not in env
    assert prod.stack.stack_name == "halotap-prod"


def test_no_acquirer_in_context_means_no_acquirer_segment(dev: Synth) -> None:
    env = function_resource(dev, "create_checkout")["Properties"]["Environment"]["Variables"]
    assert "HALO_ACQUIRER" not in env


# --- IAM --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda s: s.name)
def test_role_grants_exactly_the_manifest(dev: Synth, spec: manifest.Function) -> None:
    assert grants(dev, spec.name) == expected_grants(dev, spec)


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda s: s.name)
def test_role_is_its_own_and_has_no_managed_or_inline_policies(dev: Synth, spec: manifest.Function) -> None:
    role = dev.json["Resources"][role_id(dev, spec.name)]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    others = [role_id(dev, s.name) for s in manifest.FUNCTIONS if s.name != spec.name]
    assert role_id(dev, spec.name) not in others


def test_get_checkout_can_get_items_and_query_indexes_but_never_scan(dev: Synth) -> None:
    data = [(a, r) for a, r in grants(dev, "get_checkout") if not a.startswith(("logs:", "xray:"))]
    assert {a for a, _ in data} == {"dynamodb:GetItem", "dynamodb:Query", "secretsmanager:GetSecretValue"}
    query_resources = [r for a, r in data if a == "dynamodb:Query"]
    assert query_resources
    assert all("/index/" in r for r in query_resources)  # the indexes, never the table itself


def test_halo_webhook_can_queue_but_not_touch_dynamodb(dev: Synth) -> None:
    actions = {a for a, _ in grants(dev, "halo_webhook")}
    assert "sqs:SendMessage" in actions
    assert not [a for a in actions if a.startswith("dynamodb:")]
    assert not [a for a in actions if a.startswith("sqs:") and a != "sqs:SendMessage"]


def test_no_wildcard_actions_and_star_resource_only_for_xray_and_listing_merchants(dev: Synth) -> None:
    for spec in manifest.FUNCTIONS:
        for action, resource in grants(dev, spec.name):
            assert "*" not in action
            if resource == key("*"):
                assert action in XRAY_ACTIONS or (
                    spec.lists_merchants and action == "secretsmanager:ListSecrets"
                )


# --- data ---------------------------------------------------------------------------------------------------


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


# --- messaging ------------------------------------------------------------------------------------------------


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


# --- secrets ----------------------------------------------------------------------------------------------------


def test_secrets_created_by_the_stack(dev: Synth) -> None:
    secrets = {
        s["Properties"]["Name"]: s["Properties"]
        for s in dev.resources("AWS::SecretsManager::Secret").values()
    }
    assert set(secrets) == {f"halotap/dev/{s.key}" for s in manifest.SECRETS if s.created_by_stack}
    assert secrets["halotap/dev/clients"]["SecretString"] == "{}"
    assert "GenerateSecretString" not in secrets["halotap/dev/clients"]
    assert secrets["halotap/dev/halo-webhook"]["GenerateSecretString"] == {
        "SecretStringTemplate": "{}",
        "GenerateStringKey": "token",
        "ExcludePunctuation": True,
        "PasswordLength": 40,
    }
    assert "SecretString" not in secrets["halotap/dev/halo-webhook"]


def test_no_secret_values_in_the_template(dev: Synth) -> None:
    found: list[tuple[str, Any]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in {"SecretString", "SecretStringValue", "Password", "Token"}:
                    found.append((f"{path}.{k}", v))
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(dev.json, "")
    assert [value for _, value in found] == ["{}"], found
    text = json.dumps(dev.json)
    assert "whsec_" not in text
    assert "resolve:secretsmanager" not in text  # no secret value resolved into a property either
    for spec in manifest.FUNCTIONS:
        env = function_resource(dev, spec.name)["Properties"]["Environment"]["Variables"]
        assert all(isinstance(v, str) or "Ref" in v for v in env.values())


# --- API ----------------------------------------------------------------------------------------------------------


def resource_paths(synth: Synth) -> dict[str, str]:
    """Logical id of each API Gateway resource -> its full path ("" stands for the root)."""
    resources = synth.resources("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            parent = resources[logical_id]["Properties"]["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical_id] = f"{prefix}/{resources[logical_id]['Properties']['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def methods_by_route(synth: Synth) -> dict[tuple[str, str], dict[str, Any]]:
    paths = resource_paths(synth)
    return {
        (m["Properties"]["HttpMethod"], paths[m["Properties"]["ResourceId"]["Ref"]]): m["Properties"]
        for m in synth.resources("AWS::ApiGateway::Method").values()
    }


def test_one_method_per_route_and_no_other(dev: Synth) -> None:
    """Besides the routes, only each routed path's ANY, which answers 405 (tested below)."""
    assert set(methods_by_route(dev)) == {(route.method, route.path) for _, route in ROUTES} | {
        ("ANY", path) for path in manifest.methods_by_path()
    }


@pytest.mark.parametrize(("spec", "route"), ROUTES, ids=lambda v: getattr(v, "path", getattr(v, "name", "")))
def test_route_integration_and_authorization(
    dev: Synth, spec: manifest.Function, route: manifest.Route
) -> None:
    method = methods_by_route(dev)[(route.method, route.path)]
    integration = method["Integration"]
    assert integration["Type"] == "AWS_PROXY"
    assert {"Fn::GetAtt": [dev.logical_id(dev.stack.functions.functions[spec.name]), "Arn"]} in integration[
        "Uri"
    ]["Fn::Join"][1]
    authorizer_id = dev.logical_id(dev.stack.api.authorizer.node.default_child)
    if route.authorized:
        assert method["AuthorizationType"] == "CUSTOM"
        assert method["AuthorizerId"] == {"Ref": authorizer_id}
    else:
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method


def test_webhook_route_has_no_authorizer(dev: Synth) -> None:
    method = methods_by_route(dev)[("POST", "/v1/halo/webhooks/{token}")]
    assert method["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in method


def test_request_authorizer(dev: Synth) -> None:
    dev.template.resource_count_is("AWS::ApiGateway::Authorizer", 1)
    authorizer = next(iter(dev.resources("AWS::ApiGateway::Authorizer").values()))["Properties"]
    assert authorizer["Type"] == "REQUEST"
    assert authorizer["IdentitySource"] == "method.request.header.Authorization"
    assert (
        authorizer["AuthorizerResultTtlInSeconds"] == 60
    )  # a revoked key is refused within this (tests/infra/test_rate_limits.py)
    assert {"Fn::GetAtt": [dev.logical_id(dev.stack.functions.authorizer), "Arn"]} in authorizer[
        "AuthorizerUri"
    ]["Fn::Join"][1]


def test_stage_logging_tracing_and_throttling(dev: Synth) -> None:
    stage = next(iter(dev.resources("AWS::ApiGateway::Stage").values()))["Properties"]
    assert stage["StageName"] == "dev"
    assert stage["TracingEnabled"] is True
    access_format = json.loads(stage["AccessLogSetting"]["Format"])
    assert access_format["requestId"] == "$context.requestId"
    assert "$context.path" not in stage["AccessLogSetting"]["Format"]  # the webhook path carries the token
    log_group_ref = stage["AccessLogSetting"]["DestinationArn"]["Fn::Join"][1][-1]
    assert dev.json["Resources"][log_group_ref["Ref"]]["Type"] == "AWS::Logs::LogGroup"
    assert stage["MethodSettings"][0] == {
        "DataTraceEnabled": False,
        "HttpMethod": "*",
        "LoggingLevel": "ERROR",
        "MetricsEnabled": True,
        "ResourcePath": "/*",
        "ThrottlingBurstLimit": 100,
        "ThrottlingRateLimit": 50,
    }
    # The rest are the shopper page's own limits, and they never turn on data tracing either.
    assert all(settings["DataTraceEnabled"] is False for settings in stage["MethodSettings"])


def test_a_401_names_the_bearer_scheme() -> None:
    [unauthorized] = [r for r in manifest.GATEWAY_RESPONSES if r.kind == "UNAUTHORIZED"]
    assert dict(unauthorized.headers)["WWW-Authenticate"].startswith("Bearer")


def test_every_routed_path_answers_a_wrong_method_with_405_and_allow(dev: Synth) -> None:
    mocks = [
        m["Properties"]
        for m in dev.resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "ANY"
    ]
    assert len(mocks) == len(manifest.methods_by_path())
    allows = set()
    for props in mocks:
        assert props["AuthorizationType"] == "NONE"
        assert props["Integration"]["Type"] == "MOCK"  # no Lambda runs, nothing is read
        [answer] = props["Integration"]["IntegrationResponses"]
        assert answer["StatusCode"] == "405"
        allows.add(answer["ResponseParameters"]["method.response.header.Allow"])
        body = json.loads(
            answer["ResponseTemplates"]["application/json"].replace("$context.requestId", "rid")
        )
        assert (body["status"], body["code"]) == (405, "method_not_allowed")
    assert allows == {f"'{', '.join(methods)}'" for methods in manifest.methods_by_path().values()}


@pytest.mark.parametrize("response", manifest.GATEWAY_RESPONSES, ids=lambda r: r.kind)
def test_gateway_responses_are_problem_json(dev: Synth, response: manifest.GatewayResponse) -> None:
    matches = [
        r["Properties"]
        for r in dev.resources("AWS::ApiGateway::GatewayResponse").values()
        if r["Properties"]["ResponseType"] == response.kind
    ]
    assert len(matches) == 1
    props = matches[0]
    assert props["ResponseParameters"] == {
        "gatewayresponse.header.Content-Type": "'application/problem+json'",
        **{f"gatewayresponse.header.{name}": f"'{value}'" for name, value in response.headers},
    }
    # Every body carries the request's id, as the functions' problems do.
    template = props["ResponseTemplates"]["application/json"].replace('"$context.requestId"', '"rid"')
    assert "$context.requestId" not in template
    expected = {**manifest.problem_body(response), "requestId": "rid"}
    if response.kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert "StatusCode" not in props  # these cover many statuses; API Gateway keeps the real one
        assert template.count("$context.error.messageString") == 1
        body = json.loads(template.replace("$context.error.messageString", '"Missing Authentication Token"'))
        assert body["detail"] == "Missing Authentication Token"
        assert "status" not in body  # a fixed status would be wrong for most of the errors they cover
        assert {k: v for k, v in body.items() if k != "detail"} == {
            k: v for k, v in expected.items() if k not in ("detail", "status")
        }
    else:
        assert props["StatusCode"] == str(response.status)
        assert json.loads(template) == expected


def test_every_gateway_response_is_rendered(dev: Synth) -> None:
    dev.template.resource_count_is("AWS::ApiGateway::GatewayResponse", len(manifest.GATEWAY_RESPONSES))


def test_outputs(dev: Synth) -> None:
    outputs = dev.json["Outputs"]
    assert "ApiUrl" in outputs
    webhook = outputs["HaloWebhookUrl"]["Value"]["Fn::Join"][1]
    assert webhook[-1].endswith("/v1/halo/webhooks/{token}")
    assert outputs["ClientsSecretName"]["Value"] == "halotap/dev/clients"
    assert outputs["HaloWebhookSecretName"]["Value"] == "halotap/dev/halo-webhook"


# --- configuration --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {"halo_env": "staging"},
        {"halo_link_endpoint": "qrcode"},
        {"stage": "Prod"},
        {"stage": "a/b"},
        {"pay_domain": "pay.psp.example"},  # without its certificate
        {
            "pay_domain": "https://pay.psp.example",
            "pay_certificate_arn": "arn:aws:acm:eu-west-1:1:certificate/x",
        },
        {"pay_domain": "pay.psp.example", "pay_certificate_arn": "not-an-arn"},
        {"alarm_email": "oncall"},
        {"alarm_email": "on call@psp.example"},
        {"halo_acquirer": "ZA"},  # not a lower-case DNS label
        {"halo_acquirer": "za.evil.example"},
        {"halo_base_url": "http://kernelserver.example"},  # not https
    ],
)
def test_bad_context_is_refused(settings: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        StackConfig(**settings)


def test_missing_layer_says_run_make_layer(tmp_path: Any) -> None:
    config = StackConfig(layer_dir=tmp_path / "nothing-here")
    with pytest.raises(ConfigError, match=r"run `make layer` first"):
        config.check_assets()


def test_missing_handler_is_named(tmp_path: Any, asset_paths: dict[str, Any]) -> None:
    config = StackConfig(functions_dir=tmp_path, layer_dir=asset_paths["layer_dir"])
    with pytest.raises(ConfigError, match="authorizer"):
        config.check_assets()


@pytest.mark.parametrize(
    ("stage", "halo_env", "ephemeral"),
    [
        ("dev", "dev", True),
        ("dev-alice", "qa", True),
        ("pr-42", "dev", True),
        ("qa", "qa", False),
        ("prod", "prod", False),
        ("dev", "prod", False),
    ],
)
def test_only_dev_like_stages_are_ephemeral(stage: str, halo_env: str, ephemeral: bool) -> None:
    assert StackConfig(stage=stage, halo_env=halo_env).ephemeral is ephemeral


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


def test_the_shopper_page_has_its_own_throttle(dev: Synth) -> None:
    [stage] = dev.resources("AWS::ApiGateway::Stage").values()
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in stage["Properties"]["MethodSettings"]}
    page = settings[("/~1pay~1{id}~1status", "GET")]
    assert page["ThrottlingRateLimit"] == 200
    assert settings[("/*", "*")]["ThrottlingRateLimit"] == 50


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
