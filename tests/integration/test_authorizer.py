"""The REQUEST authorizer against the clients secret in moto."""

from __future__ import annotations

import json

import pytest

from functions.authorizer import handler as authorizer
from halotap.adapters import aws
from halotap.domain.parties import hash_api_key
from halotap.settings import settings
from tests.fakes import FakeLambdaContext

METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/v1/checkouts"


@pytest.fixture
def clients(moto_env, services):
    record = {
        "acme": {"keyHashes": [hash_api_key("old-key"), hash_api_key("new-key")], "merchants": ["m1", "m2"]},
        "big-psp": {"keyHashes": [hash_api_key("big-key")], "merchants": "*"},
    }
    aws.secretsmanager().put_secret_value(
        SecretId=f"{settings().secrets_prefix}/clients", SecretString=json.dumps(record)
    )
    return services


def authorize(services, authorization=None):
    headers = {"Authorization": authorization} if authorization is not None else {}
    event = {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers}
    return authorizer.handler(event, FakeLambdaContext(), services=services)


@pytest.mark.parametrize("key", ["old-key", "new-key"])
def test_every_key_of_a_client_is_accepted_during_rotation(clients, key):
    answer = authorize(clients, f"Bearer {key}")
    assert answer["principalId"] == "acme"
    assert answer["context"] == {"clientId": "acme", "merchants": "m1,m2", "rateLimit": 25, "burstLimit": 50}
    [statement] = answer["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    # The whole API and stage, so a cached decision is right for the client's next route too.
    assert statement["Resource"] == "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*"


def test_a_client_allowed_every_merchant_says_so(clients):
    assert authorize(clients, "Bearer big-key")["context"]["merchants"] == "*"


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer wrong-key", "Basic b2xkLWtleQ==", "old-key"]
)
def test_anything_else_is_unauthorized(clients, authorization):
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(clients, authorization)


def test_a_client_is_metered_by_its_usage_key_at_its_own_rate_limit(moto_env, services):
    record = {
        "acme": {
            "keyHashes": [hash_api_key("acme-key")],
            "merchants": "*",
            "usageKey": "usage-key-of-acme-0123456789",
            "rateLimit": {"rate": 5, "burst": 10},
        }
    }
    aws.secretsmanager().put_secret_value(
        SecretId=f"{settings().secrets_prefix}/clients", SecretString=json.dumps(record)
    )
    answer = authorize(services, "Bearer acme-key")
    assert answer["usageIdentifierKey"] == "usage-key-of-acme-0123456789"
    assert (answer["context"]["rateLimit"], answer["context"]["burstLimit"]) == (5, 10)
