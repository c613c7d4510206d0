"""The secrets the stack creates, and no secret value in the template."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import manifest
from tests.infra.conftest import Synth
from tests.infra.template import (
    function_resource,
)

pytestmark = pytest.mark.infra


def test_secrets_created_by_the_stack(dev: Synth) -> None:
    secrets = {
        s["Properties"]["Name"]: s["Properties"]
        for s in dev.resources("AWS::SecretsManager::Secret").values()
    }
    assert set(secrets) == {f"halotap/dev/{s.key}" for s in manifest.SECRETS if s.created_by_stack}
    assert secrets["halotap/dev/clients"]["SecretString"] == "{}"
    assert "GenerateSecretString" not in secrets["halotap/dev/clients"]
    assert secrets["halotap/dev/halo-webhook"]["GenerateSecretString"] == {
        "SecretStringTemplate": "{}",
        "GenerateStringKey": "token",
        "ExcludePunctuation": True,
        "PasswordLength": 40,
    }
    assert "SecretString" not in secrets["halotap/dev/halo-webhook"]


def test_no_secret_values_in_the_template(dev: Synth) -> None:
    found: list[tuple[str, Any]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in {"SecretString", "SecretStringValue", "Password", "Token"}:
                    found.append((f"{path}.{k}", v))
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(dev.json, "")
    assert [value for _, value in found] == ["{}"], found
    text = json.dumps(dev.json)
    assert "whsec_" not in text
    assert "resolve:secretsmanager" not in text  # no secret value resolved into a property either
    for spec in manifest.FUNCTIONS:
        env = function_resource(dev, spec.name)["Properties"]["Environment"]["Variables"]
        assert all(isinstance(v, str) or "Ref" in v for v in env.values())
