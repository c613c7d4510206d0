"""What the stack gives webhook endpoints (issue 20): a customer managed KMS key with rotation that seals
their signing secrets, usable only by the two functions that need it, and the alarm on disabled endpoints."""

from __future__ import annotations

from typing import Any

from infra import manifest
from tests.infra.conftest import Synth
from tests.infra.template import arn_of, grants, key


def kms_grants(synth: Synth, name: str) -> set[tuple[str, str]]:
    return {(action, resource) for action, resource in grants(synth, name) if action.startswith("kms:")}


def test_the_signing_key_is_customer_managed_with_rotation_on(dev: Synth) -> None:
    [signing] = [
        k
        for k in dev.resources("AWS::KMS::Key").values()
        if k["Properties"].get("Description") == manifest.SIGNING_KEY.description
    ]
    assert signing["Properties"]["EnableKeyRotation"] is True


def test_only_the_deliverer_decrypts_and_only_the_endpoints_api_encrypts(dev: Synth) -> None:
    signing = key(arn_of(dev, dev.stack.data.keys["signing"]))
    assert kms_grants(dev, "deliver_notification") == {("kms:Decrypt", signing)}
    assert kms_grants(dev, "webhook_endpoints") == {("kms:Encrypt", signing), ("kms:Decrypt", signing)}
    others = [
        s.name for s in manifest.FUNCTIONS if s.name not in ("deliver_notification", "webhook_endpoints")
    ]
    assert [name for name in others if any(r == signing for _, r in kms_grants(dev, name))] == []


def test_the_functions_are_told_the_key_and_the_integrations_table(dev: Synth) -> None:
    for name in ("deliver_notification", "webhook_endpoints"):
        resource = dev.json["Resources"][dev.logical_id(dev.stack.functions.functions[name])]
        variables: dict[str, Any] = resource["Properties"]["Environment"]["Variables"]
        assert variables["SIGNING_KEY_ID"] == {"Ref": dev.logical_id(dev.stack.data.keys["signing"])}
        assert variables["INTEGRATIONS_TABLE"] == {
            "Ref": dev.logical_id(dev.stack.data.tables["integrations"])
        }


def test_the_endpoint_routes_are_deployed_and_a_disabled_endpoint_alarms(dev: Synth) -> None:
    methods = {(r.method, r.path) for r in manifest.function("webhook_endpoints").routes}
    assert ("PATCH", "/v1/webhook-endpoints/{id}") in methods
    assert ("DELETE", "/v1/webhook-endpoints/{id}") in methods
    described = [
        a["Properties"].get("AlarmDescription", "")
        for a in dev.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "WebhookEndpointDisabled"
    ]
    assert len(described) == 1, "one alarm watches WebhookEndpointDisabled"
    assert "recover" in described[0]  # the description says what to do: the runbook's entry
