"""`halotap-admin` against the running devstack, as an operator runs it: a separate process, keys on stdin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import pytest

from devstack.launcher import REPO_ROOT

pytestmark = pytest.mark.e2e

PROPAGATION_SECONDS = 30.0  # the devstack re-reads secrets every 2 s; generous for a loaded machine


def admin(devstack: Any, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HALOTAP_MOTO_PORT": str(devstack.config.moto_port),
        "HALOTAP_HALO_PORT": str(devstack.config.halo_port),
    }
    return subprocess.run(
        [sys.executable, "-m", "tools.admin_cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )


def printed(result: subprocess.CompletedProcess[str], label: str) -> str:
    match = re.search(rf"^{label}: (\S+)$", result.stdout, re.M)
    assert match, (result.stdout, result.stderr)
    return match.group(1)


def create_status(devstack: Any, api_key: str) -> int:
    body = {
        "merchantId": "demo-merchant",
        "reference": f"admin-{uuid.uuid4().hex[:12]}",
        "amount": "10.00",
        "currency": "ZAR",
    }
    headers = {"Authorization": f"Bearer {api_key}"}
    return httpx.post(f"{devstack.api_url}/v1/checkouts", json=body, headers=headers, timeout=30).status_code


def until(devstack: Any, api_key: str, expected: int) -> int:
    """Creates until one answers `expected` (the secret cache has caught up), or the time is up."""
    deadline = time.monotonic() + PROPAGATION_SECONDS
    while True:
        status = create_status(devstack, api_key)
        if status == expected or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def test_a_client_created_with_the_command_can_create_checkouts_and_its_keys_rotate_and_revoke(devstack):
    client_id = f"acme-{uuid.uuid4().hex[:8]}"
    sink = f"{devstack.sink_url}/"
    created = admin(
        devstack,
        "clients",
        "create",
        client_id,
        "--notification-url",
        sink,
        "--merchant",
        "demo-merchant",
        "--devstack",
    )
    assert created.returncode == 0, created.stderr
    first_key = printed(created, "api key")
    assert printed(created, "signing secret").startswith("whsec_")
    assert until(devstack, first_key, 201) == 201

    shown = admin(devstack, "--devstack", "clients", "show", client_id)  # the flag before the subcommand
    assert shown.returncode == 0, shown.stderr
    assert first_key not in shown.stdout
    assert printed(created, "signing secret") not in shown.stdout

    rotated = admin(devstack, "clients", "rotate-key", client_id, "--devstack")
    assert rotated.returncode == 0, rotated.stderr
    second_key = printed(rotated, "api key")
    assert until(devstack, second_key, 201) == 201
    assert create_status(devstack, first_key) == 201  # both keys work during the overlap

    revoked = admin(devstack, "clients", "revoke-key", client_id, printed(created, "key id"), "--devstack")
    assert revoked.returncode == 0, revoked.stderr
    assert until(devstack, first_key, 401) == 401
    assert create_status(devstack, second_key) == 201


def test_merchants_put_refuses_a_key_the_simulator_rejects_and_saves_one_it_accepts(devstack):
    merchant = ("merchants", "put", "demo-merchant-2", "--halo-merchant-id", "sim-merchant-001")
    named = ("--display-name", "Demo Two", "--currency", "ZAR", "USD", "--devstack")
    refused = admin(devstack, *merchant, *named, stdin="not-a-key-halo-knows\n")
    assert refused.returncode == 1
    assert "Halo refused this API key" in refused.stderr
    assert (
        admin(devstack, "merchants", "show", "demo-merchant-2", "--devstack").returncode == 1
    )  # nothing saved

    saved = admin(devstack, *merchant, *named, stdin="sim-api-key-demo-merchant\n")
    assert saved.returncode == 0, saved.stderr
    shown = admin(devstack, "merchants", "show", "demo-merchant-2", "--devstack")
    assert '"displayName": "Demo Two"' in shown.stdout
    assert "sim-api-key-demo-merchant" not in shown.stdout
    listed = admin(devstack, "--devstack", "merchants", "list")
    assert "demo-merchant-2" in listed.stdout
    assert "sim-api-key-demo-merchant" not in listed.stdout
