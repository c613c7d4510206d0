"""REQUEST authorizer: `Authorization: Bearer <key>`, by its SHA-256, against the integrations table's key
lookup (keys made by the API) and the clients secret's hashes (keys the operator configured).

Its answer names the client's usage key (usageIdentifierKey), so API Gateway meters each client under its
usage plan, and its rate limit (context), which the devstack's emulator applies itself. API Gateway caches
the answer for AUTHORIZER_CACHE_TTL (infra/api.py); nothing is cached here beyond the clients secret, so a
key revoked by the API is refused within that TTL (domain/api_keys.py, REVOCATION_SECONDS).
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from halotap.metrics import AUTHORIZATION_DENIED
from halotap.observability import lambda_handler
from halotap.wiring import Services, default_services

logger = Logger()
metrics = Metrics()


# Exactly "Bearer", one space and the key (printable ASCII, no spaces): nothing is stripped or case-folded,
# so a tab, a no-break space or a vertical tab around the key is a malformed credential, never a match.
BEARER = re.compile(r"Bearer ([\x21-\x7e]+)")


def bearer_key(headers: dict[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "") or ""
    match = BEARER.fullmatch(value)
    return match.group(1) if match else None


def api_wide(method_arn: str) -> str:
    """Allow every route of this API and stage, so a cached decision is right for the next route too."""
    arn_prefix, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    return f"{arn_prefix}/{stage}/*/*"


def authorize(event: dict[str, Any], services: Services) -> dict[str, Any]:
    key = bearer_key(event.get("headers") or {})
    client = services.api_keys.authenticate(key) if key else None
    if client is None:
        metrics.add_metric(name=AUTHORIZATION_DENIED, unit=MetricUnit.Count, value=1)
        logger.info("rejected an API key", extra={"reason": "missing" if key is None else "unknown"})
        raise Exception("Unauthorized")
    merchants = "*" if client.merchants is None else ",".join(sorted(client.merchants))
    if client.usage_key is None:
        # Deployed, the API's methods require a usage key: this client's requests will be 403 until the
        # operator runs `halotap-admin clients rate-limit` for it (docs/operations.md, "Rate limits").
        logger.warning("client has no usage key", extra={"clientId": client.client_id})
    answer: dict[str, Any] = {
        "principalId": client.client_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": api_wide(event["methodArn"])}
            ],
        },
        "context": {
            "clientId": client.client_id,
            "merchants": merchants,
            "rateLimit": client.rate_limit.rate,
            "burstLimit": client.rate_limit.burst,
        },
    }
    if client.usage_key is not None:
        answer["usageIdentifierKey"] = client.usage_key
    return answer


@lambda_handler(logger, metrics)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return authorize(event, services or default_services())
