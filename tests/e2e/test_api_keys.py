"""API keys by API and rate limits per client, on a running devstack (issue 20, parts 4 and 5).

Each test makes a client of its own with halotap-admin, so its keys and its token bucket touch no other
test's. Nothing is timed: every wait polls for a state, and only an overall deadline fails.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from halotap.domain.api_keys import MAX_ACTIVE_KEYS, REVOCATION_SECONDS
from tests.e2e.test_admin_cli import admin, printed

pytestmark = pytest.mark.e2e

PROPAGATION_SECONDS = 30.0  # the devstack re-reads the clients secret every 2 s; generous under load


def new_client(devstack: Any, *limit: str) -> str:
    """A client made by the operator's command (and given `limit` flags), once its key works."""
    client_id = f"keys-{uuid.uuid4().hex[:8]}"
    made = admin(
        devstack,
        "clients",
        "create",
        client_id,
        "--notification-url",
        f"{devstack.sink_url}/",
        "--merchant",
        "demo-merchant",
        "--devstack",
    )
    assert made.returncode == 0, made.stderr
    if limit:
        limited = admin(devstack, "clients", "rate-limit", client_id, *limit, "--devstack")
        assert limited.returncode == 0, limited.stderr
    key = printed(made, "api key")
    until(lambda: keys(devstack, key).status_code == 200, "the new client's key never worked")
    return key


def keys(
    devstack: Any, key: str, method: str = "GET", path: str = "/v1/api-keys", **kwargs: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.request(method, f"{devstack.api_url}{path}", headers=headers, timeout=30, **kwargs)


def until(ready: Any, failure: str, seconds: float = PROPAGATION_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, failure
        time.sleep(0.2)


def test_a_key_is_created_used_revoked_and_then_refused(devstack: Any) -> None:
    operator_key = new_client(devstack)
    created = keys(devstack, operator_key, "POST", json={"label": "rotation"})
    assert created.status_code == 201, created.text
    made = created.json()
    assert made["key"].startswith(made["prefix"])
    assert made["label"] == "rotation"

    used = keys(devstack, made["key"])
    assert used.status_code == 200
    listed = {k["id"]: k for k in used.json()["data"]}
    assert listed[made["id"]]["lastUsedAt"] is not None
    assert "key" not in listed[made["id"]]

    revoked = keys(devstack, operator_key, "DELETE", f"/v1/api-keys/{made['id']}")
    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")
    until(
        lambda: keys(devstack, made["key"]).status_code == 401,
        "a revoked key still works",
        seconds=REVOCATION_SECONDS,
    )
    assert keys(devstack, operator_key).status_code == 200


def test_the_last_key_cannot_be_revoked(devstack: Any) -> None:
    key = new_client(devstack)
    [only] = keys(devstack, key).json()["data"]
    refused = keys(devstack, key, "DELETE", f"/v1/api-keys/{only['id']}")
    assert (refused.status_code, refused.json()["code"]) == (409, "last_key")
    assert keys(devstack, key).status_code == 200


def test_a_sixth_key_is_refused(devstack: Any) -> None:
    key = new_client(devstack)
    for _ in range(MAX_ACTIVE_KEYS - 1):  # the operator's key is one of the five
        assert keys(devstack, key, "POST").status_code == 201
    refused = keys(devstack, key, "POST", json={"label": "sixth"})
    assert (refused.status_code, refused.json()["code"]) == (409, "key_limit_reached")


def test_a_burst_over_the_clients_limit_is_answered_429_with_retry_after_and_never_5xx(devstack: Any) -> None:
    # A small limit set by the operator, so that even a saturated machine sends faster than it refills.
    key = new_client(devstack, "--rate", "1", "--burst", "3")
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: keys(devstack, key), range(40)))
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {200, 429}, statuses
    assert 429 in statuses, statuses
    for refused in (a for a in answers if a.status_code == 429):
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1

    # The shopper's page is not the client's: its bucket is empty, and the page still answers.
    pages = [httpx.get(f"{devstack.api_url}/pay/chk_none{n}", timeout=30) for n in range(20)]
    assert [page.status_code for page in pages] == [404] * 20
