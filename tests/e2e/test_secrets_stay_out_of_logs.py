"""Finding 8: the devstack's own logs and control APIs never show a secret.

It runs after the other e2e modules (alphabetical order), so the log it reads holds the whole run, and it
first drives every path that carries a secret itself (a create, a tap and its webhook, a forged webhook,
a wrong token, a PSP notification), so it never depends on that order to mean something.
"""

from __future__ import annotations

import httpx
import pytest

from devstack.config import DEFAULT_SIGNING_SECRET, DEMO_MERCHANTS
from tests.e2e.client import Psp

pytestmark = pytest.mark.e2e


def test_finding_8_no_secret_appears_in_the_devstack_log_or_the_simulators_request_log(devstack, settle):
    psp = Psp(devstack)
    checkout = psp.open_checkout()
    psp.tap(checkout, "Approved", times=3)
    psp.fake_webhook(checkout, disposition="Declined")
    httpx.post(f"{devstack.api_url}/v1/halo/webhooks/not-the-token", json={"disposition": "Approved"})
    psp.wait_for(checkout["id"], "approved")
    settle()
    secrets = {
        "the PSP API key": devstack.api_key,
        "the Halo webhook token": devstack.webhook_token,
        "the whsec_ signing secret": DEFAULT_SIGNING_SECRET,
        "the signing secret's key": DEFAULT_SIGNING_SECRET.removeprefix("whsec_"),
        **{f"merchant {merchant}'s Halo key": key for merchant, (_halo_id, key) in DEMO_MERCHANTS.items()},
    }
    log = devstack.log_path.read_text(errors="replace")
    assert "/v1/halo/webhooks/***" in log  # the webhook lines are there, with the token cut
    hits = {name: log.count(value) for name, value in secrets.items()}
    assert hits == dict.fromkeys(secrets, 0)
    requests = psp.sim.get("/_sim/requests").text
    assert {name: requests.count(value) for name, value in secrets.items()} == dict.fromkeys(secrets, 0)
    assert '"x-api-key": "sim-\\u2026"' in requests or '"x-api-key": "sim-…"' in requests
