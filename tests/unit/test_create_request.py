import pytest
from pydantic import ValidationError

from halotap.adapters.apigateway import validation_problem
from halotap.domain.requests import CreateCheckoutRequest

VALID = {"merchantId": "demo-merchant", "reference": "order-1", "amount": "100.01", "currency": "ZAR"}


def errors_of(body):
    with pytest.raises(ValidationError) as caught:
        CreateCheckoutRequest.model_validate(body)
    return {e["field"]: e["message"] for e in validation_problem(caught.value).extensions["errors"]}


def test_a_minimal_request_gets_the_documented_defaults():
    request = CreateCheckoutRequest.model_validate(VALID)
    assert (request.expires_in_seconds, request.qr_code, request.is_consumer_app, request.metadata) == (
        1800,
        False,
        False,
        {},
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount": 100.01}, "amount", "valid string"),
        ({"amount": "100.1"}, "amount", "2 decimal places"),
        ({"currency": "zar"}, "currency", 'such as "ZAR"'),
        ({"currency": "ZZZ"}, "currency", "not an ISO 4217 currency"),
        ({"currency": "XAU"}, "currency", "no minor unit"),
        ({"reference": "has space"}, "reference", 'such as "order-1042"'),
        ({"reference": "x" * 65}, "reference", "1 to 64"),
        ({"returnUrl": "http://shop.example/return"}, "returnUrl", "https://"),
        ({"expiresInSeconds": 59}, "expiresInSeconds", "greater than or equal to 60"),
        ({"expiresInSeconds": 86401}, "expiresInSeconds", "less than or equal to 86400"),
        ({"expiresInSeconds": "600"}, "expiresInSeconds", "valid integer"),
        ({"qrCode": "yes"}, "qrCode", "valid boolean"),
        ({"metadata": {f"k{i}": "v" for i in range(21)}}, "metadata", "at most 20 pairs"),
        ({"metadata": {"k": 1}}, "metadata.k", "valid string"),
        ({"surprise": True}, "surprise", "is not a field of this request"),
    ],
)
def test_each_bad_field_is_named_with_what_is_wrong(change, field, message):
    errors = errors_of({**VALID, **change})
    assert field in errors
    assert message in errors[field]


def test_missing_fields_are_each_named():
    assert set(errors_of({})) == {"merchantId", "reference", "amount", "currency"}


def test_the_reference_alphabet_is_the_documented_one():
    request = CreateCheckoutRequest.model_validate({**VALID, "reference": "A-z_0.9:x"})
    assert request.reference == "A-z_0.9:x"
