"""Secrets Manager reads, through Powertools parameters with a TTL cache.

A rotated merchant key or client key takes effect within the TTL, without a deploy. Values are
parsed into typed records whose repr never shows the secret part.
"""

from __future__ import annotations

from typing import Any

from halotap.domain.errors import DependencyUnavailable, MerchantNotFound
from halotap.domain.parties import Client, MerchantCredentials


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

            from halotap.adapters import aws

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
        return MerchantCredentials.parse(merchant_id, record)

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
