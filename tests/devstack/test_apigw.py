"""The API Gateway emulator: route matching, the events it builds, the authorizer's policy, the responses.

No handler runs here: the gateway is given a fake `invoke`, so these tests need neither AWS nor Halo.
"""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

import httpx
import pytest

from devstack import policy
from devstack.apigw import ApiGateway, MalformedProxyResponse, proxy_response
from devstack.lambda_events import HttpRequest, authorizer_event, method_arn, proxy_event
from devstack.routing import RouteTable
from infra import manifest

ARN = method_arn("POST", "/v1/checkouts")


def _route_table(*routes: tuple[str, str]) -> RouteTable:
    functions = [
        manifest.Function(name=f"f{i}", description="", routes=(manifest.Route(m, p, f"op{i}"),))
        for i, (m, p) in enumerate(routes)
    ]
    return RouteTable(functions)


# --------------------------------------------------------------------------- routing


def test_every_manifest_route_matches_its_own_function():
    table = RouteTable()
    for spec in manifest.FUNCTIONS:
        for route in spec.routes:
            path = route.path.replace("{id}", "chk_1").replace("{token}", "tok")
            match = table.match(route.method, path)
            assert match is not None
            assert (match.function.name, match.route.path) == (spec.name, route.path)


def test_path_parameters_are_named_by_the_template_and_decoded():
    match = RouteTable().match("POST", "/v1/checkouts/chk%5F1/cancel")
    assert match is not None
    assert match.path_parameters == {"id": "chk_1"}
    assert RouteTable().match("POST", "/v1/checkouts").path_parameters is None  # type: ignore[union-attr]


def test_a_literal_segment_beats_a_parameter():
    table = _route_table(("GET", "/v1/things/{id}"), ("GET", "/v1/things/special"))
    assert table.match("GET", "/v1/things/special").route.path == "/v1/things/special"  # type: ignore[union-attr]
    assert table.match("GET", "/v1/things/other").route.path == "/v1/things/{id}"  # type: ignore[union-attr]


def test_the_resource_is_chosen_before_the_method_as_in_api_gateway():
    table = _route_table(("POST", "/v1/things/{id}"), ("GET", "/v1/things/special"))
    assert table.match("POST", "/v1/things/special") is None


def test_a_greedy_parameter_takes_the_rest_of_the_path():
    table = _route_table(("GET", "/files/{proxy+}"))
    assert table.match("GET", "/files/a/b%20c").path_parameters == {"proxy": "a/b c"}  # type: ignore[union-attr]
    assert table.match("GET", "/files") is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("DELETE", "/v1/checkouts"), ("GET", "/v1/checkouts/a/b"), ("GET", "/v1//checkouts")],
)
def test_no_route_matches_unknown_paths_and_methods(method, path):
    assert RouteTable().match(method, path) is None


# --------------------------------------------------------------------------- events


def _request(**overrides: Any) -> HttpRequest:
    fields: dict[str, Any] = {
        "method": "GET",
        "path": "/v1/checkouts",
        "query": "merchantId=m1&reference=r%201&tag=a&tag=b",
        "headers": (
            ("Host", "127.0.0.1:3000"),
            ("Authorization", "Bearer k"),
            ("X-Dup", "1"),
            ("X-Dup", "2"),
        ),
        "body": b"",
        "source_ip": "10.1.2.3",
    }
    return HttpRequest(**{**fields, **overrides})


def test_the_proxy_event_has_api_gateways_single_and_multi_value_views():
    event = proxy_event(_request(), "/v1/checkouts", None, request_id="r-1", now_ms=1_700_000_000_000)
    assert event["headers"]["X-Dup"] == "2"
    assert event["multiValueHeaders"]["X-Dup"] == ["1", "2"]
    assert event["queryStringParameters"] == {"merchantId": "m1", "reference": "r 1", "tag": "b"}
    assert event["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
    assert (event["pathParameters"], event["stageVariables"], event["body"]) == (None, None, None)
    assert event["isBase64Encoded"] is False
    assert "authorizer" not in event["requestContext"]


def test_the_proxy_event_request_context_names_the_resource_stage_and_caller():
    event = proxy_event(
        _request(method="POST", path="/v1/checkouts/chk_1/cancel", query="", body=b'{"a":1}'),
        "/v1/checkouts/{id}/cancel",
        {"id": "chk_1"},
        request_id="r-1",
        now_ms=1_700_000_000_000,
        authorizer={"clientId": "demo-psp", "principalId": "demo-psp"},
    )
    context = event["requestContext"]
    assert (event["resource"], event["path"], event["httpMethod"]) == (
        "/v1/checkouts/{id}/cancel",
        "/v1/checkouts/chk_1/cancel",
        "POST",
    )
    assert event["pathParameters"] == {"id": "chk_1"}
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] == '{"a":1}'
    assert context["resourcePath"] == "/v1/checkouts/{id}/cancel"
    assert (context["stage"], context["requestId"], context["requestTimeEpoch"]) == (
        "local",
        "r-1",
        1_700_000_000_000,
    )
    assert context["identity"]["sourceIp"] == "10.1.2.3"
    assert context["authorizer"] == {"clientId": "demo-psp", "principalId": "demo-psp"}


def test_the_authorizer_event_is_a_request_authorizer_event_with_the_method_arn():
    event = authorizer_event(_request(method="POST"), "/v1/checkouts", None, request_id="r-1", now_ms=1)
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:local/local/POST/v1/checkouts"
    assert event["headers"]["Authorization"] == "Bearer k"
    assert event["requestContext"]["resourcePath"] == "/v1/checkouts"


# --------------------------------------------------------------------------- authorizer policy


def _answer(*statements: dict[str, Any], context: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "principalId": "demo-psp",
        "policyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        "context": context or {},
    }


def _allow(resource: Any, action: Any = "execute-api:Invoke") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


@pytest.mark.parametrize(
    "resource",
    [
        ARN,
        "arn:aws:execute-api:us-east-1:123456789012:local/local/*/*",
        "arn:aws:execute-api:*:*:*",
        [method_arn("GET", "/x"), ARN],
    ],
)
def test_an_allow_whose_resource_matches_the_method_arn_allows(resource):
    assert policy.is_allowed(_answer(_allow(resource))["policyDocument"], ARN)


def test_a_matching_deny_wins_over_an_allow():
    deny = {"Effect": "Deny", "Action": "execute-api:*", "Resource": ARN}
    assert not policy.is_allowed(_answer(_allow("*"), deny)["policyDocument"], ARN)


@pytest.mark.parametrize(
    "statement",
    [
        _allow(method_arn("GET", "/v1/checkouts")),
        _allow("arn:aws:execute-api:us-east-1:123456789012:local/prod/*"),
        _allow(ARN, action="execute-api:ManageConnections"),
    ],
)
def test_without_a_matching_allow_the_call_is_denied(statement):
    with pytest.raises(policy.AccessDenied):
        policy.request_authorizer(_answer(statement), ARN)


def test_an_allowed_call_carries_the_context_as_strings_and_the_principal():
    answer = _answer(_allow("*"), context={"clientId": "demo-psp", "limit": 5, "live": False})
    assert policy.request_authorizer(answer, ARN, latency_ms=7) == {
        "clientId": "demo-psp",
        "limit": "5",
        "live": "false",
        "principalId": "demo-psp",
        "integrationLatency": 7,
    }


@pytest.mark.parametrize(
    "answer",
    [
        None,
        {"policyDocument": {"Statement": []}},
        {"principalId": "p"},
        {
            "principalId": "p",
            "policyDocument": {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]},
        },
        _answer(_allow("*"), context={"merchants": ["a", "b"]}),
    ],
)
def test_an_unusable_authorizer_answer_is_a_configuration_error(answer):
    with pytest.raises(policy.MalformedAuthorizerResponse):
        policy.request_authorizer(answer, ARN)


# --------------------------------------------------------------------------- proxy responses


def test_the_handlers_response_is_written_back_with_merged_headers():
    response = proxy_response(
        {
            "statusCode": 201,
            "headers": {
                "Content-Type": "application/json",
                "Location": "/v1/checkouts/chk_1",
                "X-A": "single",
            },
            "multiValueHeaders": {"X-A": ["one", "two"]},
            "body": '{"id":"chk_1"}',
            "isBase64Encoded": False,
        },
        "req-1",
    )
    assert response.status == 201
    assert response.body == b'{"id":"chk_1"}'
    assert [v for k, v in response.headers if k == "X-A"] == ["one", "two"]
    assert ("Location", "/v1/checkouts/chk_1") in response.headers
    assert ("x-amzn-RequestId", "req-1") in response.headers


def test_a_base64_body_is_decoded_and_a_missing_content_type_defaults_to_json():
    response = proxy_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x89PNG").decode(), "isBase64Encoded": True}, "r"
    )
    assert response.body == b"\x89PNG"
    assert ("Content-Type", "application/json") in response.headers


@pytest.mark.parametrize(
    "result", [None, "ok", {"body": "{}"}, {"statusCode": "200"}, {"statusCode": 200, "body": {}}]
)
def test_a_malformed_proxy_response_is_refused(result):
    with pytest.raises(MalformedProxyResponse):
        proxy_response(result, "r")


# --------------------------------------------------------------------------- the gateway, with fake handlers


class FakeLambdas:
    """Stands in for lambda_runtime.invoke: records events and answers per function name."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.events: dict[str, dict[str, Any]] = {}

    def __call__(self, spec: manifest.Function, event: dict[str, Any]) -> Any:
        self.events[spec.name] = event
        answer = self.answers[spec.name]
        if isinstance(answer, Exception):
            raise answer
        return answer


ALLOW_ALL = _answer(
    _allow("arn:aws:execute-api:us-east-1:123456789012:local/local/*/*"), context={"clientId": "demo-psp"}
)
CREATED = {"statusCode": 201, "headers": {"Content-Type": "application/json"}, "body": '{"id":"chk_1"}'}


@pytest.fixture
def gateway_with():
    gateways: list[ApiGateway] = []

    def build(**answers: Any) -> tuple[ApiGateway, FakeLambdas]:
        lambdas = FakeLambdas(**answers)
        gateways.append(ApiGateway(0, invoke=lambdas))
        return gateways[-1], lambdas

    yield build
    for gateway in gateways:
        gateway.stop()


def _post_checkout() -> HttpRequest:
    return HttpRequest(
        "POST", "/v1/checkouts", headers=(("Authorization", "Bearer k"),), body=b'{"amount":"1.00"}'
    )


def _problem(response: Any) -> dict[str, Any]:
    assert ("Content-Type", "application/problem+json") in response.headers
    return json.loads(response.body)


def test_an_allowed_request_reaches_the_handler_with_the_authorizer_context(gateway_with):
    gateway, lambdas = gateway_with(authorizer=ALLOW_ALL, create_checkout=CREATED)
    response = gateway.handle(_post_checkout())
    assert (response.status, response.body) == (201, b'{"id":"chk_1"}')
    context = lambdas.events["create_checkout"]["requestContext"]
    assert context["authorizer"]["clientId"] == "demo-psp"
    assert context["authorizer"]["principalId"] == "demo-psp"
    assert lambdas.events["authorizer"]["methodArn"] == ARN
    assert lambdas.events["create_checkout"]["body"] == '{"amount":"1.00"}'


def test_an_unknown_route_is_the_manifests_route_not_found_problem(gateway_with):
    gateway, lambdas = gateway_with()
    response = gateway.handle(HttpRequest("GET", "/nope"))
    assert response.status == 404
    assert _problem(response)["code"] == "route_not_found"
    assert lambdas.events == {}


def test_a_known_path_with_a_wrong_method_is_405_with_allow(gateway_with):
    gateway, lambdas = gateway_with()
    response = gateway.handle(HttpRequest("DELETE", "/v1/checkouts"))
    assert (response.status, _problem(response)["code"]) == (405, "method_not_allowed")
    assert ("Allow", "GET, POST") in response.headers
    assert _problem(response)["requestId"]
    assert lambdas.events == {}


def test_an_unauthorized_exception_from_the_authorizer_is_a_401_and_the_handler_never_runs(gateway_with):
    gateway, lambdas = gateway_with(authorizer=Exception("Unauthorized"))
    response = gateway.handle(_post_checkout())
    assert (response.status, _problem(response)["code"]) == (401, "unauthorized")
    assert ("WWW-Authenticate", 'Bearer realm="halotap"') in response.headers
    assert _problem(response)["requestId"]
    assert "create_checkout" not in lambdas.events


def test_a_policy_that_does_not_allow_the_route_is_a_403(gateway_with):
    gateway, _ = gateway_with(authorizer=_answer(_allow(method_arn("GET", "/v1/checkouts"))))
    response = gateway.handle(_post_checkout())
    assert (response.status, _problem(response)["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    "answers",
    [
        {"authorizer": ALLOW_ALL, "create_checkout": RuntimeError("boom")},
        {"authorizer": ALLOW_ALL, "create_checkout": {"body": "no status"}},
        {"authorizer": RuntimeError("secrets unavailable")},
        {"authorizer": {"principalId": "p"}},
    ],
)
def test_handler_and_authorizer_failures_are_the_manifests_5xx_problem(gateway_with, answers):
    gateway, _ = gateway_with(**answers)
    response = gateway.handle(_post_checkout())
    assert (response.status, _problem(response)["code"]) == (502, "gateway_error")


def test_an_unauthorized_route_skips_the_authorizer(gateway_with):
    gateway, lambdas = gateway_with(halo_webhook={"statusCode": 200, "body": "{}"})
    response = gateway.handle(HttpRequest("POST", "/v1/halo/webhooks/tok", body=b"{}"))
    assert response.status == 200
    assert "authorizer" not in lambdas.events
    assert lambdas.events["halo_webhook"]["pathParameters"] == {"token": "tok"}


def test_the_domain_name_is_the_emulators_own_address_never_the_host_header(gateway_with):
    gateway, lambdas = gateway_with(authorizer=ALLOW_ALL, create_checkout=CREATED)
    gateway.start()
    response = httpx.post(
        f"{gateway.url}/v1/checkouts",
        headers={"Authorization": "Bearer k", "Host": "pay.evil.example"},
        content=b'{"amount":"1.00"}',
    )
    assert response.status_code == 201
    context = lambdas.events["create_checkout"]["requestContext"]
    assert context["domainName"] == gateway.url.removeprefix("http://")
    assert lambdas.events["create_checkout"]["headers"]["Host"] == "pay.evil.example"  # passed on, not used


def test_a_body_over_api_gateways_limit_is_the_manifests_413_problem(gateway_with):
    gateway, lambdas = gateway_with(authorizer=ALLOW_ALL, create_checkout=CREATED)
    response = gateway.handle(
        HttpRequest(
            "POST", "/v1/checkouts", headers=(("Authorization", "Bearer k"),), body=b"x" * (10 * 2**20 + 1)
        )
    )
    assert response.status == 413
    assert _problem(response)["code"] == "payload_too_large"
    assert lambdas.events == {}


def test_an_oversized_body_is_answered_413_over_http_before_it_is_read(gateway_with):
    gateway, lambdas = gateway_with(authorizer=ALLOW_ALL, create_checkout=CREATED)
    gateway.start()
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        # Only the headers: a server that waited for the 20 MB it was promised would never answer.
        connection.sendall(
            b"POST /v1/checkouts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
            b"Content-Type: application/json\r\nContent-Length: 20000000\r\n\r\n"
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["code"] == "payload_too_large"
    assert lambdas.events == {}


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
def test_a_method_python_does_not_know_is_a_405_problem_over_http_as_api_gateway_answers(
    gateway_with, method
):
    gateway, lambdas = gateway_with()
    gateway.start()
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            f"{method} /v1/checkouts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405"), head
    assert b"Content-Type: application/problem+json" in head
    assert b"Allow: GET, POST" in head
    assert json.loads(body)["code"] == "method_not_allowed"
    assert lambdas.events == {}
