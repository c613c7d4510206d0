"""API keys by API through the api_keys and authorizer handlers, on moto's DynamoDB and Secrets Manager:
the DynamoDB adapter's transactions and conditions, and the HTTP answers (201, 409 last_key, 409
key_limit_reached, 400 on a bad body)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.config import DEMO_CLIENT_ID, DevConfig
from functions.api_keys import handler as api_keys
from functions.authorizer import handler as authorizer
from halotap.domain.api_keys import MAX_ACTIVE_KEYS, key_id
from halotap.domain.parties import hash_api_key
from tests.fakes import FakeLambdaContext, api_event

DEV = DevConfig()
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/api-keys"


def call(services: Any, method: str, path: str = "/v1/api-keys", **kwargs: Any) -> tuple[int, Any]:
    params = {"id": path.rsplit("/", 1)[1]} if path.count("/") == 3 else None
    event = api_event(method, path, path_params=params, client_id=DEMO_CLIENT_ID, merchants="*", **kwargs)
    answer = api_keys.handler(event, FakeLambdaContext(), services=services)
    return answer["statusCode"], json.loads(answer["body"]) if answer["body"] else None


def authorized_client(services: Any, key: str) -> str | None:
    event = {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {"Authorization": f"Bearer {key}"}}
    try:
        answer = authorizer.handler(event, FakeLambdaContext(), services=services)
    except Exception as refused:
        if str(refused) != "Unauthorized":
            raise
        return None
    return str(answer["principalId"])


def test_a_key_made_by_the_api_is_accepted_until_revoked(services: Any) -> None:
    status, made = call(services, "POST", body={"label": "staging"})
    assert status == 201
    assert made["label"] == "staging"
    assert made["key"].startswith(made["prefix"])
    assert authorized_client(services, made["key"]) == DEMO_CLIENT_ID

    status, revoked = call(services, "DELETE", f"/v1/api-keys/{made['id']}")
    assert (status, revoked["id"], revoked["status"]) == (200, made["id"], "revoked")
    assert authorized_client(services, made["key"]) is None
    assert authorized_client(services, DEV.api_key) == DEMO_CLIENT_ID


def test_the_list_shows_last_use_and_never_a_key(services: Any) -> None:
    _, made = call(services, "POST")
    authorized_client(services, made["key"])
    status, listed = call(services, "GET")
    mine = next(k for k in listed["data"] if k["id"] == made["id"])
    assert status == 200
    assert mine["lastUsedAt"] is not None
    assert mine["label"] is None
    assert {k["id"] for k in listed["data"]} == {made["id"], key_id(hash_api_key(DEV.api_key))}
    assert made["key"] not in json.dumps(listed)


def test_revoking_the_last_key_is_409_last_key(services: Any) -> None:
    status, problem = call(services, "DELETE", f"/v1/api-keys/{key_id(hash_api_key(DEV.api_key))}")
    assert (status, problem["code"]) == (409, "last_key")
    assert authorized_client(services, DEV.api_key) == DEMO_CLIENT_ID


def test_a_sixth_key_is_409_key_limit_reached(services: Any) -> None:
    for _ in range(MAX_ACTIVE_KEYS - 1):
        assert call(services, "POST")[0] == 201
    status, problem = call(services, "POST")
    assert (status, problem["code"], problem["limit"]) == (409, "key_limit_reached", MAX_ACTIVE_KEYS)


def test_an_unknown_key_id_is_404(services: Any) -> None:
    status, problem = call(services, "DELETE", "/v1/api-keys/key_0000000000000000")
    assert (status, problem["code"]) == (404, "api_key_not_found")


@pytest.mark.parametrize(
    "body", [{"label": 7}, {"name": "x"}, ["label"], {"label": "x" * 101}, {"label": "tab\u0007"}]
)
def test_a_bad_body_is_400_naming_the_field(services: Any, body: Any) -> None:
    status, problem = call(services, "POST", body=body)
    assert (status, problem["code"]) == (400, "invalid_request")
