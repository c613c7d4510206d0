"""A PSP client's API Gateway API key and usage plan: how its rate limit is enforced on AWS.

The API's key source is AUTHORIZER: the authorizer answers with the client's `usageKey` (clients secret)
as usageIdentifierKey, and API Gateway meters the request against the usage plan holding the API key of
that value. The stack makes one plan at deploy, `<secrets prefix>/default` (25 requests/s, bursts of 50,
infra/api.py); clients are not known at deploy, so the operator's commands make the rest:

- `clients create` and `clients rate-limit` make the client's API key (named `<prefix>/<client id>`, its
  value the client's usageKey) when it has none, and put it in its plan;
- a client with its own limit gets its own plan, `<prefix>/client/<client id>`, on the default plan's
  stages with the client's throttle; `--default` moves the key back to the default plan.

An API key is in one plan per stage, so the key is taken out of the plan it leaves before it joins the
other. Every step looks before it writes, so running a command again repairs a half-done one.
"""

from __future__ import annotations

from typing import Any

from halotap.domain.rate_limit import RateLimit
from tools.operator_common import OperatorError


def default_plan_name(prefix: str) -> str:
    return f"{prefix}/default"


def client_plan_name(prefix: str, client_id: str) -> str:
    return f"{prefix}/client/{client_id}"


def _plans(apigw: Any) -> dict[str, dict[str, Any]]:
    plans: dict[str, dict[str, Any]] = {}
    for page in apigw.get_paginator("get_usage_plans").paginate():
        plans.update({plan["name"]: plan for plan in page.get("items", [])})
    return plans


def _api_key_id(apigw: Any, name: str, value: str) -> str:
    for page in apigw.get_paginator("get_api_keys").paginate(nameQuery=name, includeValues=True):
        for key in page.get("items", []):
            if key.get("name") == name:
                if key.get("value") != value:
                    raise OperatorError(f"API Gateway key {name} exists with another value than the client's")
                return str(key["id"])
    return str(apigw.create_api_key(name=name, value=value, enabled=True)["id"])


def _holds(apigw: Any, plan_id: str, key_id: str) -> bool:
    for page in apigw.get_paginator("get_usage_plan_keys").paginate(usagePlanId=plan_id):
        if any(key["id"] == key_id for key in page.get("items", [])):
            return True
    return False


def apply(apigw: Any, prefix: str, client_id: str, usage_key: str, limit: RateLimit) -> str:
    """Put the client's API key in the plan for `limit`; returns that plan's name."""
    plans = _plans(apigw)
    default = plans.get(default_plan_name(prefix))
    if default is None:
        raise OperatorError(
            f"no usage plan {default_plan_name(prefix)}: deploy the stack (infra/api.py makes it) first"
        )
    key_id = _api_key_id(apigw, f"{prefix}/{client_id}", usage_key)
    own_name = client_plan_name(prefix, client_id)
    own = plans.get(own_name)
    throttle = {"rateLimit": float(limit.rate), "burstLimit": limit.burst}
    if limit.is_default:
        target = default
    elif own is None:
        target = own = apigw.create_usage_plan(
            name=own_name,
            description=f"halotap client {client_id}: its own rate limit",
            apiStages=[{"apiId": s["apiId"], "stage": s["stage"]} for s in default.get("apiStages", [])],
            throttle=throttle,
        )
    else:
        apigw.update_usage_plan(
            usagePlanId=own["id"],
            patchOperations=[
                {"op": "replace", "path": "/throttle/rateLimit", "value": str(limit.rate)},
                {"op": "replace", "path": "/throttle/burstLimit", "value": str(limit.burst)},
            ],
        )
        target = own
    for plan in (default, own):
        if plan is not None and plan["id"] != target["id"] and _holds(apigw, plan["id"], key_id):
            apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key_id)
    if not _holds(apigw, target["id"], key_id):
        apigw.create_usage_plan_key(usagePlanId=target["id"], keyId=key_id, keyType="API_KEY")
    return str(target["name"])
