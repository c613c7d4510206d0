"""The endpoint store and the delivery log against moto (DynamoDB and KMS), through the production wiring:
no signing secret is readable from the table, the limit holds in the store itself, and the log is bounded."""

from __future__ import annotations

import json
import os

import pytest

from halotap.adapters import aws
from halotap.app.checkouts import Caller
from halotap.domain.deliveries import MAX_ATTEMPTS_PER_ENDPOINT, DeliveryAttempt
from halotap.domain.endpoints import MAX_ENDPOINTS, Endpoint
from halotap.domain.errors import DependencyUnavailable

CALLER = Caller("demo-psp", None)


def table_dump() -> str:
    """Every item of the integrations table, as a leaked backup would show it."""
    items = aws.dynamodb().scan(TableName=os.environ["INTEGRATIONS_TABLE"])["Items"]
    return json.dumps(items)


def test_a_signing_secret_is_never_readable_from_the_table_yet_delivery_reads_it(services):
    created = services.webhook_endpoints.create(
        CALLER, {"url": "https://93.184.215.14/hooks", "enabledEvents": ["*"]}
    )
    rotated = services.webhook_endpoints.rotate_secret(CALLER, created.id)

    dump = table_dump()
    assert created.id in dump
    assert "whsec_" not in dump
    assert created.secrets[0] not in dump
    assert rotated.secrets[0] not in dump
    stored = services.endpoint_store.get("demo-psp", created.id)
    assert (stored.secrets, stored.previous) == (rotated.secrets, created.secrets)


def test_a_ciphertext_moved_to_another_endpoint_does_not_decrypt(services):
    sealer = services.endpoint_store.sealer
    sealed = sealer.seal(("whsec_" + "A" * 40,), "demo-psp", "we_aaaaaaaaaaaaaaaaaaaaaaaaaa", "secrets")
    assert sealer.open(sealed, "demo-psp", "we_aaaaaaaaaaaaaaaaaaaaaaaaaa", "secrets")[0].startswith("whsec_")
    with pytest.raises(DependencyUnavailable, match="KMS could not decrypt"):
        sealer.open(sealed, "demo-psp", "we_bbbbbbbbbbbbbbbbbbbbbbbbbb", "secrets")


def test_the_store_refuses_past_the_limit_however_the_creates_interleave(services):
    def endpoint(number: int) -> Endpoint:
        return Endpoint("demo-psp", f"we_{str(number).zfill(26)}", url=f"https://x.example/{number}")

    added = [services.endpoint_store.add(endpoint(n), MAX_ENDPOINTS) for n in range(MAX_ENDPOINTS + 2)]
    assert added == [True] * MAX_ENDPOINTS + [False, False]
    assert services.endpoint_store.remove("demo-psp", endpoint(0).id)
    assert services.endpoint_store.add(endpoint(99), MAX_ENDPOINTS)


def test_the_delivery_log_keeps_the_newest_attempts_of_each_endpoint(services):
    log = services.delivery_log
    for attempt in range(1, MAX_ATTEMPTS_PER_ENDPOINT + 3):
        log.add(
            "evt_x_1",
            DeliveryAttempt("we_a", attempt, f"2026-11-27T12:00:{attempt:02d}.000Z", 503, 5, "HTTP 503"),
        )
    log.add("evt_x_1", DeliveryAttempt("we_b", 1, "2026-11-27T12:01:00.000Z", 204, 7, None))

    attempts = log.attempts("evt_x_1")
    assert len([a for a in attempts if a.endpoint_id == "we_a"]) == MAX_ATTEMPTS_PER_ENDPOINT
    assert next(a.attempt for a in attempts if a.endpoint_id == "we_a") == 3  # the two oldest went
    assert log.delivered_to("evt_x_1") == {"we_b"}
