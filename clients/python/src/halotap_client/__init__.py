"""halotap's Python client: `HalotapClient`, `AsyncHalotapClient`, typed errors and webhook verification."""

from halotap_client._retry import RetryPolicy
from halotap_client.client import AsyncHalotapClient, HalotapClient
from halotap_client.errors import (
    AuthenticationError,
    ConflictError,
    HalotapError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnprocessableError,
    WebhookVerificationError,
)
from halotap_client.operations import OPERATIONS
from halotap_client.webhooks import Webhooks

__all__ = [
    "OPERATIONS",
    "AsyncHalotapClient",
    "AuthenticationError",
    "ConflictError",
    "HalotapClient",
    "HalotapError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "UnprocessableError",
    "WebhookVerificationError",
    "Webhooks",
]
