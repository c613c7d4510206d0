"""POST /v1/checkouts through the real handler, on the in-memory ports and a fake Halo."""

from __future__ import annotations

import json

import httpx
import pytest
from botocore.exceptions import ClientError

from functions.create_checkout import handler as create_handler
from halotap.domain.views import checkout_view
from tests.fakes import api_event

BODY = {"merchantId": "demo-merchant", "reference": "order-1", "amount": "149.99", "currency": "ZAR"}


def post(services, body=BODY, context=None, headers=None, merchants="demo-merchant"):
    event = api_event("POST", "/v1/checkouts", body=body, headers=headers, merchants=merchants)
    answer = create_handler.handler(event, context, services=services)
    return answer["statusCode"], json.loads(answer["body"]), answer["headers"]


def stored(services, checkout_id):
    return services.store.get(checkout_id)


def test_a_currency_the_merchant_does_not_take_is_400_before_halo_is_called(services, halo, lambda_context):
    status, problem, _ = post(services, {**BODY, "currency": "EUR", "amount": "10.00"}, lambda_context)
    assert status == 400
    assert problem["code"] == "currency_not_supported"
    assert problem["currencies"] == ["ZAR", "USD", "JPY", "BHD"]
    assert "EUR" in problem["detail"]
    assert halo.requests == []
    assert services.store.checkout_id_for_reference("demo-merchant", BODY["reference"]) is None


def test_a_three_decimal_bhd_amount_reaches_halo_as_given(services, halo, lambda_context):
    status, body, _ = post(services, {**BODY, "currency": "BHD", "amount": "1.005"}, lambda_context)
    assert status == 201
    assert (body["amount"], halo.creates[0]["amount"], halo.creates[0]["currencyCode"]) == (
        "1.005",
        "1.005",
        "BHD",
    )


def test_the_merchants_display_name_and_locale_are_kept_on_the_checkout_for_the_page(
    services, halo, lambda_context
):
    _, body, _ = post(services, context=lambda_context)
    checkout = stored(services, body["id"])
    assert (checkout.merchant_name, checkout.merchant_locale) == ("Demo Merchant", None)
    assert "merchantName" not in checkout_view(checkout)  # the PSP knows its merchants; this is for the page


FORGED_HOST = {
    "Host": "pay.evil.example",
    "X-Forwarded-Host": "pay.evil.example",
    "X-Forwarded-Proto": "http",
}


def test_without_a_pay_domain_the_pay_url_is_the_apis_own_address_never_the_host_header(
    services, halo, lambda_context
):
    event = api_event("POST", "/v1/checkouts", body=BODY, headers=FORGED_HOST)
    event["requestContext"] |= {
        "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
        "path": "/prod/v1/checkouts",
    }
    body = json.loads(create_handler.handler(event, lambda_context, services=services)["body"])
    assert body["payUrl"] == f"https://abc.execute-api.eu-west-1.amazonaws.com/prod/pay/{body['id']}"


def test_qr_code_is_halos_png_when_halo_sends_one(services, halo, lambda_context):
    _, body, _ = post(services, {**BODY, "qrCode": True}, lambda_context)
    assert body["qrCode"].startswith("data:image/png;base64,")


def test_qr_code_is_a_generated_svg_when_halo_sends_none(services, halo, lambda_context):
    halo.with_qr_code = False
    _, body, _ = post(services, {**BODY, "qrCode": True}, lambda_context)
    assert body["qrCode"].startswith("data:image/svg+xml")


def test_a_reused_reference_is_409_and_names_the_existing_checkout(services, lambda_context):
    _, first, _ = post(services, context=lambda_context)
    status, problem, headers = post(services, context=lambda_context)
    assert status == 409
    assert headers["content-type"] == "application/problem+json"
    assert problem["code"] == "reference_already_used"
    assert problem["checkoutId"] == first["id"]


def test_a_merchant_outside_the_clients_scope_is_404(services, halo, lambda_context):
    status, problem, _ = post(services, context=lambda_context, merchants="other-merchant")
    assert (status, problem["code"]) == (404, "merchant_not_found")
    assert halo.requests == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "amount": 149.99}, "amount"),
        ({**BODY, "amount": "149.9"}, "amount"),
        ({k: v for k, v in BODY.items() if k != "reference"}, "reference"),
        ({**BODY, "expiresInSeconds": 5}, "expiresInSeconds"),
    ],
)
def test_malformed_input_is_400_problem_json_naming_the_field(services, halo, lambda_context, body, field):
    status, problem, headers = post(services, body, lambda_context)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert problem["code"] == "invalid_request"
    assert field in problem["detail"]
    assert any(error["field"] == field for error in problem["errors"])
    assert halo.requests == []


@pytest.mark.parametrize("raw", ["{not json", "", "[1]"])
def test_a_body_that_is_not_a_json_object_is_400(services, lambda_context, raw):
    status, problem, _ = post(services, raw, lambda_context)
    assert status == 400
    assert problem["code"] == "invalid_request"


FAULTS = [
    (httpx.ReadTimeout("slow"), 504, "halo_timeout"),
    (httpx.Response(500, json={"errorCode": 500}), 502, "halo_unavailable"),
    (httpx.Response(200, text="<html>glitch"), 502, "halo_bad_response"),
    (httpx.Response(400, json={"errorCode": 104, "message": "E104"}), 502, "halo_rejected"),
    (
        httpx.Response(401, json={"errorCode": 102, "message": "E102: Invalid API Key"}),
        502,
        "halo_auth_failed",
    ),
]


@pytest.mark.parametrize(("fault", "status", "code"), FAULTS)
def test_each_halo_fault_is_its_problem_and_leaves_no_open_checkout(
    services, halo, lambda_context, fault, status, code
):
    halo.faults.append(fault)
    answer_status, problem, _ = post(services, context=lambda_context)
    assert (answer_status, problem["code"]) == (status, code)
    checkout_id = halo.creates[0]["paymentReference"]
    checkout = stored(services, checkout_id)
    assert checkout.status == "failed"
    assert checkout.failure.code == code
    assert checkout.deep_link is None
    # The reference is free again: the PSP's retry opens a new checkout.
    retry_status, retry, _ = post(services, context=lambda_context)
    assert retry_status == 201
    assert retry["id"] != checkout_id


class CancellingClient:
    """DynamoDB whose next `times` TransactWriteItems are cancelled with `reasons` (one code per item)."""

    def __init__(self, real, reasons, times):
        self._real, self._reasons, self.times = real, reasons, times
        self.attempts = 0

    def transact_write_items(self, **kwargs):
        self.attempts += 1
        if self.attempts <= self.times:
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "injected"},
                    "CancellationReasons": [{"Code": code} for code in self._reasons],
                },
                "TransactWriteItems",
            )
        return self._real.transact_write_items(**kwargs)

    def __getattr__(self, name):
        return getattr(self._real, name)


def test_a_merchant_in_scope_without_a_secret_is_404_not_a_500(services, halo, lambda_context):
    status, problem, _ = post(services, {**BODY, "merchantId": "unconfigured"}, lambda_context, merchants="*")
    assert (status, problem["code"]) == (404, "merchant_not_found")
    assert halo.requests == []
