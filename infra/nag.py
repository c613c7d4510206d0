"""cdk-nag v3 acknowledgments: one place to record a finding we accept, always with its reason."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

# Context key: set it to false to build without acknowledgments and see every finding cdk-nag raises
# (the infra tests do, to prove that each acknowledgment still matches a real finding).
ACKNOWLEDGE_CONTEXT = "halotap:nagAcknowledgments"


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Accept one cdk-nag finding (e.g. "AwsSolutions-IAM5[Resource::*]") on `construct` and its children."""
    if not reason.strip():
        raise ValueError(f"acknowledging {rule_id} needs a reason")
    if str(construct.node.try_get_context(ACKNOWLEDGE_CONTEXT)).lower() == "false":
        return
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))
