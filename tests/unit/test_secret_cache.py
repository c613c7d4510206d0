"""halotap's Secrets Manager cache (adapters/secrets.py): a secret is read once per TTL, and what cannot be
read is named, never a bare SDK error."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from halotap.adapters.secrets import SecretCache
from halotap.domain.errors import DependencyUnavailable


class FakeSecretsManager:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.reads: list[str] = []

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.reads.append(SecretId)
        value = self.values.get(SecretId)
        if isinstance(value, Exception):
            raise value
        if value is None:
            error = {"Error": {"Code": "ResourceNotFoundException", "Message": "no such secret"}}
            raise ClientError(error, "GetSecretValue")
        return {"SecretString": value}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_secret_is_read_once_per_ttl_then_again():
    client, clock = FakeSecretsManager({"p/clients": '{"a": 1}'}), Clock()
    cache = SecretCache(client, clock)
    assert cache.get("p/clients", max_age=60) == {"a": 1}
    clock.now += 59
    client.values["p/clients"] = '{"a": 2}'  # rotated
    assert cache.get("p/clients", max_age=60) == {"a": 1}
    clock.now += 1
    assert cache.get("p/clients", max_age=60) == {"a": 2}
    assert client.reads == ["p/clients", "p/clients"]


def test_a_missing_secret_is_a_lookup_error():
    with pytest.raises(LookupError, match="p/merchants/m1"):
        SecretCache(FakeSecretsManager({}), Clock()).get("p/merchants/m1", max_age=60)


def test_a_secret_that_is_not_json_names_itself():
    cache = SecretCache(FakeSecretsManager({"p/clients": "not json"}), Clock())
    with pytest.raises(DependencyUnavailable, match="p/clients is not valid JSON"):
        cache.get("p/clients", max_age=60)


@pytest.mark.parametrize(
    "failure",
    [
        ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetSecretValue"),
        EndpointConnectionError(endpoint_url="https://secretsmanager.example"),
    ],
    ids=["refused", "unreachable"],
)
def test_a_secret_that_cannot_be_read_is_a_dependency_failure(failure):
    cache = SecretCache(FakeSecretsManager({"p/clients": failure}), Clock())
    with pytest.raises(DependencyUnavailable, match="could not read p/clients"):
        cache.get("p/clients", max_age=60)
