"""SnapStart, opt-in by context (snapStart=true): every function snapshots its published versions, and
everything that invokes it (API Gateway, the authorizer, queues, schedules) invokes its alias "live",
since a snapshot exists only for a published version. Off by default (the stack tests' `dev` has none)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import manifest
from tests.infra.conftest import Synth, synthesize


@pytest.fixture(scope="module")
def snap(tmp_path_factory: pytest.TempPathFactory, asset_paths: dict[str, Path]) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk-snap"), asset_paths, {"snapStart": "true"}, nag=True)


def test_every_function_snapshots_its_published_versions(snap: Synth) -> None:
    functions = snap.resources("AWS::Lambda::Function")
    assert len(functions) == len(manifest.FUNCTIONS)
    for function in functions.values():
        assert function["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    aliases = snap.resources("AWS::Lambda::Alias")
    assert len(aliases) == len(manifest.FUNCTIONS)
    assert {alias["Properties"]["Name"] for alias in aliases.values()} == {"live"}


def test_what_invokes_a_function_invokes_its_alias(snap: Synth) -> None:
    aliases = set(snap.resources("AWS::Lambda::Alias"))
    text = json.dumps(
        {
            kind: snap.resources(kind)
            for kind in ("AWS::ApiGateway::Method", "AWS::ApiGateway::Authorizer", "AWS::Events::Rule")
        }
    )
    for alias in aliases:
        assert alias in text or _consumes_a_queue(snap, alias)
    mappings: dict[str, Any] = snap.resources("AWS::Lambda::EventSourceMapping")
    assert mappings
    for mapping in mappings.values():
        assert json.dumps(mapping["Properties"]["FunctionName"]).count("Live") >= 1


def _consumes_a_queue(snap: Synth, alias: str) -> bool:
    return alias in json.dumps(snap.resources("AWS::Lambda::EventSourceMapping"))


def test_without_the_context_no_function_snapshots(dev: Synth) -> None:
    assert not snap_started(dev)
    assert dev.resources("AWS::Lambda::Alias") == {}


def snap_started(synth: Synth) -> list[str]:
    return [
        name for name, f in synth.resources("AWS::Lambda::Function").items() if "SnapStart" in f["Properties"]
    ]
