"""tools/usage_plans.py against moto's API Gateway: the client's API key joins the plan for its limit,
leaves the one it had, and running it again changes nothing."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from halotap.domain.rate_limit import RateLimit
from tools import usage_plans
from tools.operator_common import OperatorError

PREFIX = "halotap/prod"
USAGE_KEY = "usage_key-of-acme-0123456789abcdef"


@pytest.fixture
def apigw(moto_env: Any) -> Any:
    client = boto3.client("apigateway")
    for plan in client.get_usage_plans()["items"]:
        client.delete_usage_plan(usagePlanId=plan["id"])
    for key in client.get_api_keys()["items"]:
        client.delete_api_key(apiKey=key["id"])
    return client


def stage(apigw: Any) -> dict[str, str]:
    api = apigw.create_rest_api(name="halotap")["id"]
    return {"apiId": api, "stage": "prod"}


def members(apigw: Any) -> dict[str, set[str]]:
    return {
        plan["name"]: {key["name"] for key in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]}
        for plan in apigw.get_usage_plans()["items"]
    }


def test_a_client_joins_the_default_plan_then_its_own_then_the_default_again(apigw: Any) -> None:
    apigw.create_usage_plan(
        name=usage_plans.default_plan_name(PREFIX),
        apiStages=[stage(apigw)],
        throttle={"rateLimit": 25.0, "burstLimit": 50},
    )
    key = f"{PREFIX}/acme"
    own = usage_plans.client_plan_name(PREFIX, "acme")

    assert usage_plans.apply(apigw, PREFIX, "acme", USAGE_KEY, RateLimit()) == f"{PREFIX}/default"
    assert members(apigw) == {f"{PREFIX}/default": {key}}

    assert usage_plans.apply(apigw, PREFIX, "acme", USAGE_KEY, RateLimit(5, 10)) == own
    assert members(apigw) == {f"{PREFIX}/default": set(), own: {key}}
    plan = next(p for p in apigw.get_usage_plans()["items"] if p["name"] == own)
    assert (plan["throttle"]["rateLimit"], plan["throttle"]["burstLimit"]) == (5.0, 10)

    usage_plans.apply(apigw, PREFIX, "acme", USAGE_KEY, RateLimit())
    usage_plans.apply(apigw, PREFIX, "acme", USAGE_KEY, RateLimit())  # again: nothing moves
    assert members(apigw) == {f"{PREFIX}/default": {key}, own: set()}
    [made] = apigw.get_api_keys(includeValues=True)["items"]
    assert made["value"] == USAGE_KEY


def test_without_the_stacks_default_plan_it_says_to_deploy_first(apigw: Any) -> None:
    with pytest.raises(OperatorError, match="deploy the stack"):
        usage_plans.apply(apigw, PREFIX, "acme", USAGE_KEY, RateLimit())
