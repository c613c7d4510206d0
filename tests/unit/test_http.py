import json

import pytest

from halotap.adapters.apigateway import ApiRequest


def event(path, full_path, headers, domain="abc.execute-api.eu-west-1.amazonaws.com"):
    context = {"path": full_path, "requestId": "r", "domainName": domain}
    return {"path": path, "headers": headers, "requestContext": context}


def test_the_api_url_keeps_the_stage_prefix_api_gateway_adds():
    request = ApiRequest.from_event(event("/v1/checkouts", "/prod/v1/checkouts", {}))
    assert request.api_url == "https://abc.execute-api.eu-west-1.amazonaws.com/prod"


def test_a_custom_domain_without_a_base_path_has_no_prefix():
    request = ApiRequest.from_event(event("/v1/checkouts", "/v1/checkouts", {}, domain="pay.psp.example"))
    assert request.api_url == "https://pay.psp.example"


def test_the_host_header_never_moves_the_api_url():
    forged = {"Host": "pay.evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "pay.evil.example"}
    request = ApiRequest.from_event(event("/v1/checkouts", "/prod/v1/checkouts", forged))
    assert request.api_url == "https://abc.execute-api.eu-west-1.amazonaws.com/prod"


def test_no_domain_name_means_no_api_url():
    assert (
        ApiRequest.from_event(event("/v1/checkouts", "/v1/checkouts", {"Host": "x"}, domain="")).api_url == ""
    )


def test_header_names_are_case_insensitive():
    request = ApiRequest.from_event(event("/x", "/x", {"Idempotency-Key": "k"}))
    assert request.headers["idempotency-key"] == "k"


def _post(headers, body='{"a":1}', method="POST"):
    from halotap.adapters.apigateway import handle, response

    answer = handle(
        {
            "httpMethod": method,
            "path": "/x",
            "headers": headers,
            "body": body,
            "requestContext": {"requestId": "r"},
        },
        lambda request: response(200, request.json() if request.body else {"read": "nothing"}),
    )
    return answer["statusCode"], json.loads(answer["body"])


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "text/plain"}, {"content-type": ""}])
def test_a_body_without_json_content_type_is_415_unsupported_media_type(headers):
    status, problem = _post(headers)
    assert (status, problem["code"]) == (415, "unsupported_media_type")
    assert "application/json" in problem["detail"]


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"]
)
def test_a_json_body_is_read(content_type):
    assert _post({"Content-Type": content_type}) == (200, {"a": 1})


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_request_without_a_body_needs_no_content_type(method):
    assert _post({}, body=None, method=method) == (200, {"read": "nothing"})
