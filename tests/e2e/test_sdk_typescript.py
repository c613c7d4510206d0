"""The TypeScript SDK (clients/typescript): built with tsc, its node:test suite run against the devstack
(the unit tests with a fake fetch, and lifecycle.test.ts, which runs a checkout's life against the
devstack's addresses given as environment variables). `make test` installs its devDependencies from its
package-lock.json (npm ci)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from devstack.launcher import REPO_ROOT

pytestmark = pytest.mark.e2e

PACKAGE = REPO_ROOT / "clients" / "typescript"
BIN = PACKAGE / "node_modules" / ".bin"


def _run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=PACKAGE,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def built() -> Path:
    if shutil.which("node") is None or not (BIN / "tsc").exists():
        pytest.fail(
            "node and clients/typescript/node_modules are needed: `make test` runs npm ci there",
            pytrace=False,
        )
    result = _run(str(BIN / "tsc"), "-p", "tsconfig.json")
    assert result.returncode == 0, result.stdout + result.stderr
    return PACKAGE / "dist"


def test_the_committed_types_are_what_openapi_typescript_generates_from_the_contract(tmp_path):
    if not (BIN / "openapi-typescript").exists():
        pytest.fail(
            "clients/typescript/node_modules is missing: `make test` runs npm ci there", pytrace=False
        )
    out = tmp_path / "schema.ts"
    result = _run(
        str(BIN / "openapi-typescript"),
        "../../docs/openapi.json",
        "--default-non-nullable",
        "false",
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text() == (PACKAGE / "src" / "schema.ts").read_text(), (
        "run `npm run generate` in clients/typescript"
    )


def test_the_typescript_sdk_runs_a_checkouts_life_against_the_devstack(built, devstack):
    result = _run(
        "node",
        "--test",
        str(built / "test"),
        env={
            "HALOTAP_API_URL": devstack.api_url,
            "HALOTAP_API_KEY": devstack.api_key,
            "HALOTAP_HALO_URL": devstack.halo_url,
            "HALOTAP_SINK_URL": devstack.sink_url,
            "HALOTAP_SIGNING_SECRET": devstack.config.signing_secret,
        },
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert re.search(r"^# skipped 0$", result.stdout, re.MULTILINE), report  # the lifecycle ran, not skipped
    assert re.search(
        r"^ok \d+ - a checkout's life through the TypeScript SDK", result.stdout, re.MULTILINE
    ), report
