"""The committed sample events are what the emulator's builders produce today."""

from __future__ import annotations

import json

from devstack import events


def test_the_committed_samples_are_up_to_date():
    assert events.main(["--check"]) == 0, "run: python -m devstack.events"


def test_the_queued_sample_carries_the_webhook_samples_payload_as_a_string():
    samples = events.render()
    body = json.loads(samples["apply_halo_event.json"]["Records"][0]["body"])
    assert json.loads(body["payload"]) == samples["halo_webhook_payload.json"]
    assert samples["halo_webhook.json"]["body"] == body["payload"]
    assert samples["create_checkout.json"]["requestContext"]["authorizer"]["clientId"] == "demo-psp"
