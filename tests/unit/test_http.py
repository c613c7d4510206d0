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
