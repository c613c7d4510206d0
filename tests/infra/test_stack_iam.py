"""Each function's role grants exactly what the manifest lists, and nothing wider."""

from __future__ import annotations

import pytest

from infra import manifest
from tests.infra.conftest import Synth
from tests.infra.template import (
    XRAY_ACTIONS,
    expected_grants,
    grants,
    key,
    role_id,
)

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda s: s.name)
def test_role_grants_exactly_the_manifest(dev: Synth, spec: manifest.Function) -> None:
    assert grants(dev, spec.name) == expected_grants(dev, spec)


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda s: s.name)
def test_role_is_its_own_and_has_no_managed_or_inline_policies(dev: Synth, spec: manifest.Function) -> None:
    role = dev.json["Resources"][role_id(dev, spec.name)]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    others = [role_id(dev, s.name) for s in manifest.FUNCTIONS if s.name != spec.name]
    assert role_id(dev, spec.name) not in others


def test_get_checkout_can_get_items_and_query_indexes_but_never_scan(dev: Synth) -> None:
    data = [(a, r) for a, r in grants(dev, "get_checkout") if not a.startswith(("logs:", "xray:"))]
    assert {a for a, _ in data} == {"dynamodb:GetItem", "dynamodb:Query", "secretsmanager:GetSecretValue"}
    query_resources = [r for a, r in data if a == "dynamodb:Query"]
    assert query_resources
    assert all("/index/" in r for r in query_resources)  # the indexes, never the table itself


def test_halo_webhook_can_queue_but_not_touch_dynamodb(dev: Synth) -> None:
    actions = {a for a, _ in grants(dev, "halo_webhook")}
    assert "sqs:SendMessage" in actions
    assert not [a for a in actions if a.startswith("dynamodb:")]
    assert not [a for a in actions if a.startswith("sqs:") and a != "sqs:SendMessage"]


def test_no_wildcard_actions_and_star_resource_only_for_xray_and_listing_merchants(dev: Synth) -> None:
    for spec in manifest.FUNCTIONS:
        for action, resource in grants(dev, spec.name):
            assert "*" not in action
            if resource == key("*"):
                assert action in XRAY_ACTIONS or (
                    spec.lists_merchants and action == "secretsmanager:ListSecrets"
                )
