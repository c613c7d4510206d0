"""How halotap-admin reads Halo's answers to its checks of a merchant's key (tools/halo_check.py): the
transaction history read that proves the key and merchant id pairing, and the status read of a reference
that cannot exist, which proves the key alone where Halo serves no history."""

from __future__ import annotations

import httpx
import pytest

from tools.admin_cli import new_api_key, new_signing_secret
from tools.halo_check import check_halo_key, check_halo_merchant
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


def halo_with_history(
    history: tuple[int, object], status_read: int, seen: list[httpx.Request]
) -> httpx.Client:
    """A Halo whose GET /transactions answers `history` (status, body) and whose status read answers 404."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/transactions":
            return httpx.Response(history[0], json=history[1])
        return httpx.Response(status_read, json={"errorCode": 122})

    return httpx.Client(transport=httpx.MockTransport(answer))


def test_the_pairing_is_proven_by_reading_one_record_of_that_merchants_history_with_the_key():
    seen: list[httpx.Request] = []
    checked = check_halo_merchant(
        "https://halo.test", "the-key", "m-1", http=halo_with_history((200, []), 404, seen)
    )
    assert checked.pairing
    assert "accepted the key for merchant m-1" in checked.summary
    (request,) = seen  # one read, and nothing created: no POST
    assert (request.method, request.url.path) == ("GET", "/transactions")
    assert dict(request.url.params) == {"merchant": "m-1", "limit": "1"}
    assert request.headers["x-api-key"] == "the-key"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"errorCode": 104, "errorMessage": "You do not have permission to access this merchant"}),
        (401, {"errorCode": 100, "errorMessage": "Unauthorized"}),
        (403, {}),
    ],
)
def test_a_merchant_id_halo_refuses_for_the_key_is_not_saved(status, body):
    with pytest.raises(OperatorError, match="Halo refused merchant id m-2 for this key"):
        check_halo_merchant(
            "https://halo.test", "key", "m-2", http=halo_with_history((status, body), 404, [])
        )


def test_a_history_record_of_another_merchant_is_refused():
    history = (200, [{"merchantId": "m-1", "merchantReference": "r"}])
    with pytest.raises(OperatorError, match="history of Halo merchant m-1, not m-2"):
        check_halo_merchant("https://halo.test", "key", "m-2", http=halo_with_history(history, 404, []))


def test_a_key_halo_refuses_on_the_history_read_is_not_saved():
    history = (401, {"errorCode": 102, "errorMessage": "Invalid API Key"})
    with pytest.raises(OperatorError, match="Halo refused this API key"):
        check_halo_merchant("https://halo.test", "bad", "m-1", http=halo_with_history(history, 404, []))


def test_without_a_history_endpoint_only_the_key_is_checked_and_the_answer_says_so():
    seen: list[httpx.Request] = []
    checked = check_halo_merchant(
        "https://halo.test", "key", "m-1", http=halo_with_history((404, {}), 404, seen)
    )
    assert not checked.pairing
    assert "only the key could be checked" in checked.summary
    assert "--halo-merchant-id m-1 is not proven" in checked.summary
    assert seen[1].url.path.startswith("/consumer/QRCode/halotap-key-check-")


def test_without_a_history_endpoint_a_refused_key_is_still_refused():
    with pytest.raises(OperatorError, match="Halo refused this API key"):
        check_halo_merchant("https://halo.test", "bad", "m-1", http=halo_with_history((404, {}), 401, []))


def test_generated_credentials_are_long_random_and_in_the_documented_forms():
    keys = {new_api_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(key.startswith("htk_") and len(key) >= 40 for key in keys)
    secret = new_signing_secret()
    assert secret.startswith("whsec_")
    import base64

    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
