"""Builds the CDK app: context (cdk.json defaults, then CLI overrides), asset checks, stack, cdk-nag."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import REPO_ROOT, StackConfig
from infra.stack import HalotapStack


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context, so that `python app.py` and `cdk synth` build the same template.

    The CDK CLI passes this context itself (through CDK_CONTEXT_JSON, which the App lets override the
    values given here); a bare `python app.py` would otherwise run without the feature flags.
    """
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


def build_app(
    *,
    context: dict[str, Any] | None = None,
    outdir: str | None = None,
    nag: bool = True,
    **paths: Path,
) -> tuple[cdk.App, HalotapStack]:
    """The app with its one stack. `paths` may override functions_dir and layer_dir (tests do)."""
    # The CLI names its output folder through CDK_OUTDIR; a bare `python app.py` writes to ./cdk.out too.
    outdir = outdir or os.environ.get("CDK_OUTDIR") or str(REPO_ROOT / "cdk.out")
    app = cdk.App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    config = StackConfig.from_context(app, **paths)
    config.check_assets()
    stack = HalotapStack(app, config.stack_name, config=config)
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
