"""Each function's layers hold everything its code can import: babel is in the page layer only
(scripts/build-layer.sh), so a function that can reach babel by any import, lazy ones included, must list
that layer in infra/manifest.py. Checked on the static import graph (grimp, import-linter's engine), so a
path no test walks is covered too; tests/lambda checks what each first request really loads."""

from __future__ import annotations

import grimp
import pytest

from infra import manifest

PAGE_ONLY = {"babel"}  # the page layer's packages; everything else the functions import is in "common"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("halotap", "functions", include_external_packages=True)


@pytest.mark.parametrize("spec", manifest.FUNCTIONS, ids=lambda spec: spec.name)
def test_a_function_that_can_import_babel_gets_the_page_layer(graph, spec):
    reachable = {
        module.split(".")[0] for module in graph.find_upstream_modules(f"functions.{spec.name}.handler")
    }
    needs_page = bool(reachable & PAGE_ONLY)
    assert needs_page == ("page" in spec.layers), (
        f"{spec.name} can import {sorted(reachable & PAGE_ONLY) or 'no babel'}, and its layers are {spec.layers}"
    )


def test_every_function_names_layers_that_exist():
    for spec in manifest.FUNCTIONS:
        assert spec.layers[0] == "common", spec.name
        assert set(spec.layers) <= set(manifest.LAYERS), spec.name
