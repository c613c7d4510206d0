"""halotap signs notifications so that any Standard Webhooks library verifies them."""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from halotap.domain import signing

# The example of the Standard Webhooks spec, so the format is pinned by someone other than halotap.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"n" * 32).decode()


def test_sign_matches_the_spec_example() -> None:
    assert signing.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_headers_carry_id_timestamp_signature_and_content_type() -> None:
    headers = signing.headers([SPEC_SECRET], SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    assert headers == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
        "content-type": "application/json",
        "user-agent": "halotap-webhooks/1",
    }


def test_the_standardwebhooks_library_verifies_halotap_headers() -> None:
    body = b'{"type":"checkout.approved","data":{"id":"chk_1"}}'
    headers = signing.headers([NEW_SECRET], "msg_1", int(time.time()), body)
    assert Webhook(NEW_SECRET).verify(body, headers) == {"type": "checkout.approved", "data": {"id": "chk_1"}}


def test_during_rotation_a_receiver_knowing_either_secret_verifies() -> None:
    body = b'{"type":"checkout.declined"}'
    headers = signing.headers([OLD_SECRET, NEW_SECRET], "msg_2", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(OLD_SECRET).verify(body, headers)
    Webhook(NEW_SECRET).verify(body, headers)


def test_a_receiver_matching_only_the_second_signature_verifies() -> None:
    unknown = "whsec_" + base64.b64encode(b"u" * 32).decode()
    body = b"{}"
    headers = signing.headers([unknown, NEW_SECRET], "msg_3", int(time.time()), body)
    Webhook(NEW_SECRET).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(OLD_SECRET).verify(body, headers)


def test_a_changed_body_fails_verification() -> None:
    headers = signing.headers([NEW_SECRET], "msg_4", int(time.time()), b'{"amount":"10.00"}')
    with pytest.raises(WebhookVerificationError):
        Webhook(NEW_SECRET).verify(b'{"amount":"99.00"}', headers)


def test_unpadded_base64_secrets_are_accepted_like_the_reference_library_does() -> None:
    unpadded = "whsec_" + base64.b64encode(b"k" * 25).decode().rstrip("=")
    headers = signing.headers([unpadded], "msg_5", int(time.time()), b"{}")
    Webhook(unpadded).verify(b"{}", headers)


@pytest.mark.parametrize(
    ("secret", "complaint"),
    [
        ("sk_" + base64.b64encode(b"x" * 32).decode(), "must start with 'whsec_'"),
        ("whsec_not*base64!!", "must be base64"),
        ("whsec_" + base64.b64encode(b"x" * 23).decode(), "at least 24 bytes"),
        ("whsec_", "at least 24 bytes"),
    ],
)
def test_malformed_secrets_are_refused_without_quoting_them(secret: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint) as refused:
        signing.sign(secret, "msg", 1, b"{}")
    key_part = secret.partition("_")[2]
    assert secret not in str(refused.value)
    assert not key_part or key_part not in str(refused.value)


def test_signing_needs_at_least_one_secret() -> None:
    with pytest.raises(ValueError, match="at least one"):
        signing.signature_header([], "msg", 1, b"{}")


def test_a_lone_string_is_not_mistaken_for_a_list_of_secrets() -> None:
    with pytest.raises(TypeError):
        signing.signature_header(NEW_SECRET, "msg", 1, b"{}")


@given(
    body=st.text(max_size=2000),
    webhook_id=st.text(min_size=1, max_size=64).filter(lambda s: s.strip() == s and s.isprintable()),
    second_matches=st.booleans(),
)
def test_any_body_and_id_verify_with_the_reference_library(
    body: str, webhook_id: str, second_matches: bool
) -> None:
    # The library verifies text, so bodies are UTF-8: a JSON body always is.
    raw = body.encode()
    secrets = [OLD_SECRET, NEW_SECRET] if second_matches else [NEW_SECRET]
    headers = signing.headers(secrets, webhook_id, int(time.time()), raw)
    assert Webhook(NEW_SECRET).verify(raw, headers, json_parse=False) is None
