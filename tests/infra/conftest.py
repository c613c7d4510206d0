"""Synthesizes the stack once per session, into a temporary folder, for every infra test."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template

from infra.application import build_app
from infra.config import REPO_ROOT, StackConfig
from infra.stack import HalotapStack

REAL_FUNCTIONS = REPO_ROOT / "build" / "functions"
REAL_LAYER = REPO_ROOT / "layers" / "common" / "build"
REAL_PAGE_LAYER = REPO_ROOT / "layers" / "page" / "build"
# The template does not depend on what the asset folders hold, only on their hashes: skip copying them.
NO_STAGING = {"aws:cdk:disable-asset-staging": True}


@pytest.fixture(scope="session")
def asset_paths() -> dict[str, Path]:
    """The real functions and layer builds: `make test` builds them first, so a missing one is a failure."""
    StackConfig().check_assets()
    return {"functions_dir": REAL_FUNCTIONS, "layer_dir": REAL_LAYER, "page_layer_dir": REAL_PAGE_LAYER}


@dataclass
class Synth:
    stack: HalotapStack
    template: Template
    outdir: Path

    @property
    def json(self) -> dict[str, Any]:
        return self.template.to_json()

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{self.stack.stack_name}.template.json"

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == type_}

    def logical_id(self, construct: Any) -> str:
        cfn = construct if hasattr(construct, "cfn_options") else construct.node.default_child
        return str(self.stack.resolve(cfn.logical_id))


def synthesize(
    outdir: Path, asset_paths: dict[str, Path], context: dict[str, Any] | None = None, *, nag: bool = False
) -> Synth:
    app, stack = build_app(
        context={**NO_STAGING, **(context or {})}, outdir=str(outdir), nag=nag, **asset_paths
    )
    app.synth()
    return Synth(stack=stack, template=Template.from_stack(stack), outdir=outdir)


PAY_DOMAIN = "pay.psp.example"
ALARM_EMAIL = "oncall@psp.example"
PAY_CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory, asset_paths: dict[str, Path]) -> Synth:
    """The default stage (dev) as `python app.py` builds it, without the cdk-nag plugin (test_nag runs it)."""
    return synthesize(tmp_path_factory.mktemp("cdk-dev"), asset_paths)


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory, asset_paths: dict[str, Path]) -> Synth:
    return synthesize(
        tmp_path_factory.mktemp("cdk-prod"),
        asset_paths,
        {
            "stage": "prod",
            "haloEnv": "prod",
            "haloLinkEndpoint": "qrCode",
            "haloAcquirer": "za",
            "payDomain": PAY_DOMAIN,
            "payCertificateArn": PAY_CERTIFICATE_ARN,
            "alarmEmail": ALARM_EMAIL,
        },
    )
