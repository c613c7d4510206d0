"""The import contracts (pyproject.toml, [tool.importlinter]) have no blind spot.

import-linter sees only modules inside regular packages of its root packages. A handler folder without
`__init__.py` was invisible to it: `functions/events/handler.py` could import boto3 and the store while
every contract still passed (issue 22, finding 4). These fail when a folder or a package falls out of view.
"""

from __future__ import annotations

import importlib.util
import tomllib
from functools import cache
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
NOT_COVERED = {"tests"}  # the tests import anything they test; no contract is about them


@cache
def config() -> dict[str, object]:
    settings: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return settings


def root_packages() -> list[str]:
    roots = config()["root_packages"]
    assert isinstance(roots, list)
    return [str(root) for root in roots]


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*root_packages(), include_external_packages=True, cache_dir=None)


def package_folder(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None, f"{name} is not importable"
    assert spec.submodule_search_locations, f"{name} is a module, not a package"
    return Path(next(iter(spec.submodule_search_locations)))


def modules_on_disk(package: str) -> set[str]:
    folder = package_folder(package)
    return {
        ".".join((package, *path.relative_to(folder).with_suffix("").parts)).removesuffix(".__init__")
        for path in folder.rglob("*.py")
        if "__pycache__" not in path.parts
    }


def test_every_package_of_the_repository_is_a_root_of_the_contracts() -> None:
    on_disk = {path.parent.name for path in ROOT.glob("*/__init__.py")} | {"halotap"}

    assert on_disk - NOT_COVERED == set(root_packages())


def test_import_linter_sees_every_module_of_every_covered_package() -> None:
    seen = graph().modules
    unseen = {package: sorted(modules_on_disk(package) - seen) for package in root_packages()}

    # A module it cannot see sits in a folder with no __init__.py: make the folder a package.
    assert {package: modules for package, modules in unseen.items() if modules} == {}


def test_import_linter_sees_every_handler() -> None:
    handlers = {f"functions.{path.parent.name}.handler" for path in (ROOT / "functions").glob("*/handler.py")}

    assert handlers  # the glob found the handlers at all
    assert handlers - graph().modules == set()
