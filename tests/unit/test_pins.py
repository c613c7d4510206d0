"""Tests run what is deployed: one pin list, the layer's, and the venv holds exactly those versions.

`layers/common/requirements.txt` is what `make layer` (scripts/build-layer.sh) puts in the Lambda layer.
pyproject.toml takes the package's runtime dependencies from that file, so `make`'s venv installs the same
versions. These fail when the two could differ again, and when the venv in use has drifted from the pins
(rebuild it: `make` reinstalls it whenever pyproject.toml or the requirements file changes).
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
LAYER_REQUIREMENTS = "layers/common/requirements.txt"
EXACT_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][A-Za-z0-9.]*$")


def layer_lines() -> list[str]:
    lines = (ROOT / LAYER_REQUIREMENTS).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def layer_pins() -> dict[str, str]:
    pins = {}
    for line in layer_lines():
        name, _, version = line.partition("==")
        pins[name.lower()] = version
    return pins


def test_every_layer_requirement_is_an_exact_pin_on_a_line_of_its_own() -> None:
    # pyproject's reader takes whole lines: an inline comment or a range would reach pip as written.
    assert [line for line in layer_lines() if not EXACT_PIN.match(line)] == []


def test_the_package_takes_its_runtime_dependencies_from_the_layer_pins() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())

    assert "dependencies" not in pyproject["project"], (
        "a second list of runtime dependencies in pyproject.toml"
    )
    assert "dependencies" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": [LAYER_REQUIREMENTS]}


def test_the_installed_package_declares_exactly_the_layer_pins() -> None:
    declared = {}
    for text in metadata.requires("halotap") or []:
        requirement = Requirement(text)
        if requirement.marker is None:  # the runtime ones; dev and infra extras carry a marker
            declared[requirement.name.lower()] = str(requirement.specifier)

    assert declared == {name: f"=={version}" for name, version in layer_pins().items()}, (
        "the venv's halotap was installed from other pins; rebuild the venv (make)"
    )


def test_the_venv_runs_the_versions_the_layer_deploys() -> None:
    installed = {name: metadata.version(name) for name in layer_pins()}

    assert installed == layer_pins(), "the venv has drifted from the layer's pins; rebuild it (make)"
