"""cdk-nag (AwsSolutions) passes, and every finding we accept is acknowledged with a reason that still applies."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from infra.application import build_app
from infra.nag import ACKNOWLEDGE_CONTEXT
from tests.infra.conftest import NO_STAGING, Synth, synthesize

pytestmark = pytest.mark.infra

PREFIX = re.compile(r"^annotation::", re.IGNORECASE)


def acknowledgments(root: IConstruct) -> list[tuple[str, str, str]]:
    """(construct path, rule id, reason) for every acknowledgment recorded in the tree."""
    found = []
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                data: dict[str, Any] = entry.data
                # CDK stores "Annotation::<rule id>"; cdk-nag strips that prefix the same way.
                found += [
                    (construct.node.path, PREFIX.sub("", rule), reason) for rule, reason in data.items()
                ]
    return found


def findings(report: cdk.PolicyValidationPluginReport) -> set[tuple[str, str]]:
    return {(v.rule_name, r.construct_path) for v in report.violations for r in v.violating_resources}


def test_synth_with_the_nag_plugin_passes(tmp_path: Path, asset_paths: dict[str, Path]) -> None:
    """The app as app.py builds it, plugin included: synthesis fails on any unacknowledged finding."""
    synth = synthesize(tmp_path, asset_paths, nag=True)
    assert synth.template_path.is_file()


def test_no_unacknowledged_findings(dev: Synth) -> None:
    report = AwsSolutionsChecks().validate_scope(dev.stack)
    assert findings(report) == set()
    assert report.success


def test_every_acknowledgment_has_a_real_reason(dev: Synth) -> None:
    acks = acknowledgments(dev.stack)
    assert acks, "expected the stack to acknowledge some findings"
    for path, rule, reason in acks:
        assert rule.startswith("AwsSolutions-"), (path, rule)
        assert len(reason.strip()) >= 40, f"{path} {rule}: reason too thin: {reason!r}"


def test_every_acknowledgment_matches_a_finding(asset_paths: dict[str, Path], dev: Synth) -> None:
    """Built without acknowledgments, cdk-nag reports each acknowledged rule under the acknowledging construct,
    so no acknowledgment is stale or broader than a finding it answers."""
    _, bare = build_app(context={**NO_STAGING, ACKNOWLEDGE_CONTEXT: False}, nag=False, **asset_paths)
    raw = findings(AwsSolutionsChecks().validate_scope(bare))
    assert raw, "without acknowledgments cdk-nag should report findings"
    for path, rule, _ in acknowledgments(dev.stack):
        hits = [p for r, p in raw if r == rule and (p == path or p.startswith(path + "/"))]
        assert hits, f"{rule} acknowledged on {path} matches no finding"
