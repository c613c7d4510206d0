"""`python app.py` is the real entry point: offline, no AWS credentials, cdk.json's context, cdk-nag on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra import manifest
from infra.config import REPO_ROOT

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python app.py` run once, as an operator runs it, into a folder of its own."""
    outdir = tmp_path_factory.mktemp("app-synth")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env |= {"CDK_OUTDIR": str(outdir), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return outdir


def test_python_app_py_synthesizes_offline(synthesized: Path) -> None:
    template = json.loads((synthesized / "halotap-dev.template.json").read_text())
    assert template["Outputs"]["ClientsSecretName"]["Value"] == "halotap/dev/clients"
    report = json.loads((synthesized / "validation-report.json").read_text())
    assert all(plugin["conclusion"] == "success" for plugin in report["pluginReports"])


def test_the_synthesized_assets_carry_python_3_13_bytecode(synthesized: Path) -> None:
    """Lambda's /opt is read-only: without shipped bytecode every cold start compiles the layer from source."""
    assets = [path for path in synthesized.glob("asset.*") if path.is_dir()]
    layer = next(path for path in assets if (path / "python" / "halotap").is_dir())
    for module in ("halotap/wiring", "halotap/domain/states", "pydantic/main", "boto3/session"):
        folder, name = (layer / "python" / module).parent, (layer / "python" / module).name
        assert (folder / "__pycache__" / f"{name}.cpython-313.pyc").is_file(), module
    assert not (layer / "python" / "bin").exists()
    assert not (layer / "python" / "tools").exists()
    handlers = [path for path in assets if (path / "handler.py").is_file()]
    assert len(handlers) == len(manifest.FUNCTIONS)
    assert all((path / "__pycache__" / "handler.cpython-313.pyc").is_file() for path in handlers)
