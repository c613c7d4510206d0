"""cfn-lint finds nothing in the synthesized templates (W3005, redundant DependsOn, is CDK's style)."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, lint

from tests.infra.conftest import Synth

pytestmark = pytest.mark.infra

ARGS = ManualArgs(ignore_checks=["W3005"], regions=["us-east-1", "eu-west-1", "af-south-1"])


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_template_is_clean(stage: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(stage)
    matches = lint(synth.template_path.read_text(), config=ARGS)
    assert [f"{m.rule.id} {m.path} {m.message}" for m in matches] == []


def test_lint_does_flag_a_broken_template(dev: Synth) -> None:
    """Guards the test above against passing vacuously (e.g. if the ignore list swallowed everything)."""
    broken = json.loads(dev.template_path.read_text())
    table = next(v for v in broken["Resources"].values() if v["Type"] == "AWS::DynamoDB::Table")
    table["Properties"]["BillingMode"] = "FREE"
    assert lint(json.dumps(broken), config=ARGS)
