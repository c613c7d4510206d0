"""Rate limits and concurrency in the synthesized template (issue 20, part 5): the clients' default usage
plan metered by the authorizer's usage key, the public routes' own throttles, the authorizer cache that a
revocation waits for, and every function's reserved concurrency, which a context setting turns off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from halotap.domain.api_keys import REVOCATION_SECONDS
from halotap.domain.rate_limit import DEFAULT_BURST, DEFAULT_RATE
from infra import api, manifest
from tests.infra.conftest import Synth, synthesize


def _method(dev: Synth, verb: str, path: str) -> dict[str, Any]:
    return dev.json["Resources"][dev.logical_id(dev.stack.api.methods[(verb, path)])]["Properties"]


def test_the_api_meters_keys_from_the_authorizer(dev: Synth) -> None:
    [rest_api] = dev.resources("AWS::ApiGateway::RestApi").values()
    assert rest_api["Properties"]["ApiKeySourceType"] == "AUTHORIZER"


def test_every_psp_route_requires_the_usage_key_and_the_public_ones_do_not(dev: Synth) -> None:
    for spec in manifest.FUNCTIONS:
        for route in spec.routes:
            required = _method(dev, route.method, route.path).get("ApiKeyRequired", False)
            assert required is route.authorized, (route.method, route.path)


def test_the_default_usage_plan_is_25_per_second_with_bursts_of_50_on_the_stage(dev: Synth) -> None:
    [plan] = dev.resources("AWS::ApiGateway::UsagePlan").values()
    properties = plan["Properties"]
    assert properties["Throttle"] == {"RateLimit": DEFAULT_RATE, "BurstLimit": DEFAULT_BURST}
    assert properties["UsagePlanName"] == "halotap/dev/default"  # the name tools/usage_plans.py looks for
    [stage] = properties["ApiStages"]
    assert stage["Stage"] == {"Ref": dev.logical_id(dev.stack.api.rest_api.deployment_stage)}


def test_the_page_and_halos_webhook_have_throttles_of_their_own(dev: Synth) -> None:
    [stage] = dev.resources("AWS::ApiGateway::Stage").values()
    settings = {(s["HttpMethod"], s["ResourcePath"]): s for s in stage["Properties"]["MethodSettings"]}
    webhook = settings[("POST", "/~1v1~1halo~1webhooks~1{token}")]
    assert (webhook["ThrottlingRateLimit"], webhook["ThrottlingBurstLimit"]) == (
        api.HALO_WEBHOOK_RATE_PER_SECOND,
        api.HALO_WEBHOOK_BURST,
    )
    page = settings[("GET", "/~1pay~1{id}")]
    assert (page["ThrottlingRateLimit"], page["ThrottlingBurstLimit"]) == (
        api.SHOPPER_PAGE_RATE_PER_SECOND,
        api.SHOPPER_PAGE_BURST,
    )


def test_a_revoked_key_is_refused_within_the_authorizer_cache(dev: Synth) -> None:
    [authorizer] = dev.resources("AWS::ApiGateway::Authorizer").values()
    assert authorizer["Properties"]["AuthorizerResultTtlInSeconds"] == REVOCATION_SECONDS == 60


def _reserved(synth: Synth) -> dict[str, Any]:
    return {
        props["Properties"].get("Description"): props["Properties"].get("ReservedConcurrentExecutions")
        for props in synth.resources("AWS::Lambda::Function").values()
        if "Description" in props["Properties"]
    }


def test_every_function_has_its_reserved_concurrency(dev: Synth) -> None:
    reserved = _reserved(dev)
    for spec in manifest.FUNCTIONS:
        assert reserved[spec.description] == manifest.RESERVED_CONCURRENCY[spec.name], spec.name
    # The consumers' share is at least what their event sources may run, so SQS is never throttled.
    for spec in manifest.FUNCTIONS:
        if spec.max_concurrency is not None:
            assert spec.reserved_concurrency >= spec.max_concurrency, spec.name
    # The account's unreserved pool must stay at 100 or more (AWS's rule) under the default 1,000.
    assert sum(manifest.RESERVED_CONCURRENCY.values()) <= 900


@pytest.fixture(scope="module")
def unreserved(tmp_path_factory: pytest.TempPathFactory, asset_paths: dict[str, Path]) -> Synth:
    return synthesize(
        tmp_path_factory.mktemp("cdk-unreserved"), asset_paths, {"reservedConcurrency": "false"}
    )


def test_reserved_concurrency_can_be_switched_off_for_a_new_account(unreserved: Synth) -> None:
    assert set(_reserved(unreserved).values()) == {None}
