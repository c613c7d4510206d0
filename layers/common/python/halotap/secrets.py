"""Secrets Manager reads, through Powertools parameters with a TTL cache.

A rotated merchant key or client key takes effect within the TTL, without a deploy. Values are
parsed into typed records whose repr never shows the secret part.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from halotap.errors import DependencyUnavailable, MerchantNotFound

ALL_MERCHANTS = "*"


@dataclass(frozen=True)
class MerchantCredentials:
    merchant_id: str
    halo_merchant_id: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class Client:
    """A PSP client of this deployment, as the clients secret describes it."""

    client_id: str
    key_hashes: tuple[str, ...] = field(repr=False)
    merchants: frozenset[str] | None  # None: every merchant
    notification_url: str | None = None
    signing_secrets: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def parse(cls, client_id: str, record: dict[str, Any]) -> Client:
        merchants = record.get("merchants", [])
        return cls(
            client_id=client_id,
            key_hashes=tuple(str(h).lower() for h in record.get("keyHashes", [])),
            merchants=None if merchants == ALL_MERCHANTS else frozenset(merchants),
            notification_url=record.get("notificationUrl"),
            signing_secrets=tuple(record.get("signingSecrets", [])),
        )


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def find_client(api_key: str, clients: list[Client]) -> Client | None:
    """The client owning `api_key`. Compares every hash in constant time, so timing says nothing."""
    presented = hash_api_key(api_key)
    found = None
    for candidate in clients:
        for stored in candidate.key_hashes:
            if hmac.compare_digest(presented, stored) and found is None:
                found = candidate
    return found


def token_matches(presented: str, tokens: list[str]) -> bool:
    """Constant-time check of a webhook path token against every currently valid token."""
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(presented.encode(), token.encode())
    return matched


class SecretStore:
    """Reads halotap's secrets under one prefix, e.g. `halotap/prod/clients`."""

    def __init__(self, prefix: str, ttl_seconds: int, provider: Any = None) -> None:
        self._prefix = prefix
        self._ttl = ttl_seconds
        self._provider = provider

    def _json(self, name: str) -> Any:
        """The secret's JSON. LookupError if it does not exist; DependencyUnavailable if it cannot be read."""
        from aws_lambda_powertools.utilities.parameters.exceptions import (
            GetParameterError,
            TransformParameterError,
        )
        from botocore.exceptions import ClientError

        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            from halotap import aws

            self._provider = SecretsProvider(boto3_client=aws.secretsmanager())
        secret_id = f"{self._prefix}/{name}"
        try:
            return self._provider.get(secret_id, transform="json", max_age=self._ttl)
        except GetParameterError as error:
            # Powertools wraps the SDK's error; the original is the exception it was raised from.
            cause = error.__context__
            if (
                isinstance(cause, ClientError)
                and cause.response.get("Error", {}).get("Code") == "ResourceNotFoundException"
            ):
                raise LookupError(secret_id) from None
            raise DependencyUnavailable(f"Secrets Manager could not read {secret_id}") from error
        except TransformParameterError as error:
            raise DependencyUnavailable(f"{secret_id} is not valid JSON; an operator must fix it") from error

    def _required(self, name: str) -> Any:
        try:
            return self._json(name)
        except LookupError:
            raise DependencyUnavailable(
                f"{self._prefix}/{name} does not exist; an operator must create it"
            ) from None

    def merchant(self, merchant_id: str) -> MerchantCredentials:
        try:
            record = self._json(f"merchants/{merchant_id}")
        except LookupError:
            raise MerchantNotFound(f"merchant {merchant_id!r} is not configured") from None
        return MerchantCredentials(merchant_id, str(record["haloMerchantId"]), str(record["apiKey"]))

    def clients(self) -> list[Client]:
        records = self._required("clients") or {}
        return [Client.parse(client_id, record) for client_id, record in records.items()]

    def webhook_tokens(self) -> list[str]:
        record = self._required("halo-webhook") or {}
        # The stack generates {"token": ...}; during a rotation the operator writes {"tokens": [old, new]}.
        tokens = list(record.get("tokens", []))
        if record.get("token"):
            tokens.append(record["token"])
        return [str(t) for t in tokens if t]
