"""How halotap-admin reads Halo's answer to a status request for a reference that cannot exist."""

from __future__ import annotations

import httpx
import pytest

from tools.admin_cli import check_halo_key, new_api_key, new_signing_secret
from tools.operator_common import OperatorError


def halo_answering(status: int, seen: list[httpx.Request]) -> httpx.Client:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json={"errorCode": 122})

    return httpx.Client(transport=httpx.MockTransport(answer))


def test_404_means_halo_accepted_the_key_and_the_request_is_the_documented_status_read():
    seen: list[httpx.Request] = []
    check_halo_key("https://halo.test", "the-key", http=halo_answering(404, seen))
    assert seen[0].url.path.startswith("/consumer/QRCode/halotap-key-check-")
    assert seen[0].headers["x-api-key"] == "the-key"


@pytest.mark.parametrize("status", [401, 403])
def test_401_or_403_means_halo_refused_the_key(status):
    with pytest.raises(OperatorError, match="Halo refused this API key"):
        check_halo_key("https://halo.test", "bad", http=halo_answering(status, []))


@pytest.mark.parametrize("status", [200, 400, 500, 503])
def test_any_other_answer_says_nothing_about_the_key_and_fails_the_check(status):
    with pytest.raises(OperatorError, match="says nothing about the key"):
        check_halo_key("https://halo.test", "key", http=halo_answering(status, []))


def test_generated_credentials_are_long_random_and_in_the_documented_forms():
    keys = {new_api_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(key.startswith("htk_") and len(key) >= 40 for key in keys)
    secret = new_signing_secret()
    assert secret.startswith("whsec_")
    import base64

    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
