from halotap.adapters.apigateway import ApiRequest


def event(path, full_path, headers):
    return {"path": path, "headers": headers, "requestContext": {"path": full_path, "requestId": "r"}}


def test_the_base_url_keeps_the_stage_prefix_api_gateway_adds():
    request = ApiRequest.from_event(
        event(
            "/v1/checkouts",
            "/prod/v1/checkouts",
            {"Host": "abc.execute-api.eu-west-1.amazonaws.com", "X-Forwarded-Proto": "https"},
        )
    )
    assert request.base_url == "https://abc.execute-api.eu-west-1.amazonaws.com/prod"


def test_a_custom_domain_without_a_base_path_has_no_prefix():
    request = ApiRequest.from_event(event("/v1/checkouts", "/v1/checkouts", {"host": "pay.psp.example"}))
    assert request.base_url == "https://pay.psp.example"


def test_no_host_means_no_base_url():
    assert ApiRequest.from_event(event("/v1/checkouts", "/v1/checkouts", {})).base_url == ""


def test_header_names_are_case_insensitive():
    request = ApiRequest.from_event(event("/x", "/x", {"Idempotency-Key": "k"}))
    assert request.headers["idempotency-key"] == "k"
