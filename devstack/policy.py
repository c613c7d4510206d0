"""Turns a Lambda authorizer's answer into API Gateway's decision, as the REST API evaluates it."""

from __future__ import annotations

import re
from typing import Any

INVOKE_ACTION = "execute-api:Invoke"


class AccessDenied(Exception):
    """The policy does not allow this method ARN: API Gateway answers ACCESS_DENIED (403)."""


class MalformedAuthorizerResponse(Exception):
    """API Gateway cannot use the answer: AUTHORIZER_CONFIGURATION_ERROR, a 5XX."""


def _wildcard(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """IAM wildcards: * is any run of characters (across '/' and ':'), ? is one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE if ignore_case else 0)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statement_applies(statement: dict[str, Any], method_arn: str) -> bool:
    actions, resources = _as_list(statement.get("Action")), _as_list(statement.get("Resource"))
    if not all(isinstance(item, str) for item in [*actions, *resources]):
        raise MalformedAuthorizerResponse("Action and Resource must be strings or lists of strings")
    return any(_wildcard(a, ignore_case=True).match(INVOKE_ACTION) for a in actions) and any(
        _wildcard(r).match(method_arn) for r in resources
    )


def is_allowed(policy_document: Any, method_arn: str) -> bool:
    """An explicit Deny wins; otherwise some statement must Allow; otherwise it is denied."""
    if not isinstance(policy_document, dict) or "Statement" not in policy_document:
        raise MalformedAuthorizerResponse("policyDocument must be an object with a Statement")
    allowed = False
    for statement in _as_list(policy_document["Statement"]):
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise MalformedAuthorizerResponse("each Statement needs an Effect of Allow or Deny")
        if _statement_applies(statement, method_arn):
            if statement["Effect"] == "Deny":
                return False
            allowed = True
    return allowed


def _context_value(key: str, value: Any) -> str:
    # A REST API hands the integration every context value as a string; objects and arrays are refused.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedAuthorizerResponse(f"context[{key!r}] must be a string, number or boolean, not {value!r}")


def request_authorizer(result: Any, method_arn: str, latency_ms: int = 0) -> dict[str, Any]:
    """requestContext.authorizer for an allowed call; raises AccessDenied or MalformedAuthorizerResponse."""
    if not isinstance(result, dict) or not isinstance(result.get("principalId"), str):
        raise MalformedAuthorizerResponse("the answer must be an object with a string principalId")
    if not is_allowed(result.get("policyDocument"), method_arn):
        raise AccessDenied(method_arn)
    context = result.get("context") or {}
    if not isinstance(context, dict):
        raise MalformedAuthorizerResponse("context must be an object")
    values: dict[str, Any] = {key: _context_value(key, value) for key, value in context.items()}
    return {**values, "principalId": result["principalId"], "integrationLatency": latency_ms}
