from dataclasses import MISSING, FrozenInstanceError, fields

import pytest
from pydantic_core import ValidationError

from halotap.adapters.apigateway import validation_problem
from halotap.domain.requests import CreateCheckoutRequest, CreateRefundRequest

VALID = {"merchantId": "demo-merchant", "reference": "order-1", "amount": "100.01", "currency": "ZAR"}


def errors_of(body):
    with pytest.raises(ValidationError) as caught:
        CreateCheckoutRequest.validate(body)
    return {e["field"]: e["message"] for e in validation_problem(caught.value).extensions["errors"]}


def test_a_minimal_request_gets_the_documented_defaults():
    request = CreateCheckoutRequest.validate(VALID)
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
        ({"fallbackUrl": "http://shop.example/pay"}, "fallbackUrl", "https://"),
        ({"fallbackUrl": "https://"}, "fallbackUrl", "https://"),
        ({"fallbackUrl": "https://shop.example/" + "p" * 2048}, "fallbackUrl", "at most 2048"),
        ({"locale": "german"}, "locale", 'such as "de-DE"'),
        ({"locale": "de_DE"}, "locale", 'such as "de-DE"'),
        ({"locale": "de-DE-"}, "locale", 'such as "de-DE"'),
        ({"locale": 7}, "locale", "valid string"),
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
    request = CreateCheckoutRequest.validate({**VALID, "reference": "A-z_0.9:x"})
    assert request.reference == "A-z_0.9:x"


def test_a_body_that_is_not_an_object_is_named_as_such():
    assert errors_of(["not", "an", "object"]) == {"body": "must be a JSON object"}


def test_python_names_are_taken_as_well_as_camel_case():
    request = CreateCheckoutRequest.validate(
        {"merchant_id": "demo-merchant", "reference": "order-1", "amount": "100.01", "currency": "ZAR"}
    )
    assert request.merchant_id == "demo-merchant"


def test_the_validated_body_is_frozen():
    request = CreateCheckoutRequest.validate(VALID)
    with pytest.raises(FrozenInstanceError):
        request.amount = "1.00"  # type: ignore[misc]


def test_the_idempotency_fingerprint_covers_every_field_with_its_default():
    # The Idempotency-Key's stored fingerprint is taken over wire(): a field left out when None, or a
    # default missing, would make a retry after a deploy look like a different body (422).
    assert CreateCheckoutRequest.validate(VALID).wire() == {
        **VALID,
        "returnUrl": None,
        "expiresInSeconds": 1800,
        "qrCode": False,
        "isConsumerApp": False,
        "metadata": {},
        "notificationUrl": None,
        # fallbackUrl and locale came later: in the fingerprint only when set (the test below)
    }
    assert CreateRefundRequest.validate({"reference": "rf-1"}).wire() == {
        "reference": "rf-1",
        "amount": None,
        "reason": None,
        "metadata": {},
    }


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount": 10}, "amount", "valid string"),
        ({"amount": "1,00"}, "amount", 'such as "149.99"'),
        ({"reason": "x" * 501}, "reason", "at most 500 characters"),
        ({"metadata": {"": "v"}}, "metadata..[key]", "at least 1 character"),
        ({"metadata": {"k" * 41: "v"}}, f"metadata.{'k' * 41}.[key]", "at most 40 characters"),
        ({"metadata": {f"k{i}": "v" for i in range(21)}}, "metadata", "at most 20 pairs"),
        ({"checkoutId": "chk_1"}, "checkoutId", "is not a field of this request"),
    ],
)
def test_a_refund_body_names_each_bad_field(change, field, message):
    with pytest.raises(ValidationError) as caught:
        CreateRefundRequest.validate({"reference": "rf-1", **change})
    errors = {e["field"]: e["message"] for e in validation_problem(caught.value).extensions["errors"]}
    assert message in errors[field], errors


@pytest.mark.parametrize("body", [CreateCheckoutRequest, CreateRefundRequest])
def test_the_schema_and_the_dataclass_agree_on_fields_and_defaults(body):
    # The validator fills the dataclass from its schema: a field only the dataclass has would be left unset.
    declared = {f.name: f for f in fields(body)}
    checked = {f["name"]: f["schema"] for f in body.SCHEMA["schema"]["fields"]}
    assert list(checked) == list(declared)
    for name, schema in checked.items():
        field = declared[name]
        if schema["type"] != "default":
            assert (field.default, field.default_factory) == (MISSING, MISSING), name
        elif "default_factory" in schema:
            assert schema["default_factory"] is field.default_factory, name
        else:
            assert schema["default"] == field.default, name


@pytest.mark.parametrize(
    "tag", ["de", "de-DE", "zu-ZA", "pt-BR", "es-419", "zh-Hant-TW", "sr-Latn", "en-GB-oxendict"]
)
def test_a_locale_is_a_bcp_47_language_tag(tag):
    assert CreateCheckoutRequest.validate({**VALID, "locale": tag}).locale == tag


def test_a_fallback_url_is_an_https_url_kept_as_given():
    url = "https://shop.example/pay?order=7"
    assert CreateCheckoutRequest.validate({**VALID, "fallbackUrl": url}).fallback_url == url


def test_the_idempotency_fingerprint_of_a_body_without_the_fields_added_later_is_what_it_was_before_them():
    """A retry with the same Idempotency-Key across the deploy that added fallbackUrl and locale still
    matches its first request: those fields are in the fingerprint only when they are set."""
    body = {"merchantId": "demo-merchant", "reference": "r-1", "amount": "10.00", "currency": "ZAR"}
    wire = CreateCheckoutRequest.validate(body).wire()
    assert "fallbackUrl" not in wire
    assert "locale" not in wire
    assert wire["returnUrl"] is None  # the fields that were there before keep their None
    with_locale = CreateCheckoutRequest.validate({**body, "locale": "de-DE"}).wire()
    assert with_locale["locale"] == "de-DE"
