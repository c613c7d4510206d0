"""The API: one method per route, its authorizer, gateway responses, throttles and outputs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import manifest
from tests.infra.conftest import Synth
from tests.infra.template import (
    ROUTES,
)

pytestmark = pytest.mark.infra


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


def test_the_shopper_page_has_its_own_throttle(dev: Synth) -> None:
    [stage] = dev.resources("AWS::ApiGateway::Stage").values()
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in stage["Properties"]["MethodSettings"]}
    page = settings[("/~1pay~1{id}~1status", "GET")]
    assert page["ThrottlingRateLimit"] == 200
    assert settings[("/*", "*")]["ThrottlingRateLimit"] == 50
    # Each "Try again" asks Halo for a link: its own, lower limit, not the page's polling one.
    assert settings[("/~1pay~1{id}~1attempts", "POST")]["ThrottlingRateLimit"] == 10
