"""Settings fail fast and by name: a function deployed without a resource name never guesses one."""

from __future__ import annotations

import pytest

from halotap.settings import ConfigurationError, Settings
from infra import manifest

RESOURCE_VARIABLES = sorted(
    {table.env for table in manifest.TABLES}
    | {queue.env for queue in manifest.QUEUES}
    | {queue.dlq_env for queue in manifest.QUEUES}
    | {bucket.env for bucket in manifest.BUCKETS}
    | set(manifest.SETTING_ENV)
)
PROPERTY_OF = {
    "CHECKOUTS_TABLE": "checkouts_table",
    "IDEMPOTENCY_TABLE": "idempotency_table",
    "HALO_EVENTS_QUEUE_URL": "halo_events_queue_url",
    "NOTIFICATIONS_QUEUE_URL": "notifications_queue_url",
    "NOTIFICATIONS_DLQ_URL": "notifications_dlq_url",
    "EVENTS_TABLE": "events_table",
    "INTEGRATIONS_TABLE": "integrations_table",
    "LEDGER_QUEUE_URL": "ledger_queue_url",
    "LEDGER_BUCKET": "ledger_bucket",
    "SECRETS_PREFIX": "secrets_prefix",
    "HALO_ENV": "halo_base_url",
    "HALO_LINK_ENDPOINT": "halo_link_path",
}


@pytest.mark.parametrize("variable", [v for v in RESOURCE_VARIABLES if v in PROPERTY_OF])
def test_a_missing_resource_setting_fails_naming_its_variable(variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        getattr(Settings({}), PROPERTY_OF[variable])


@pytest.mark.parametrize("variable", [v for v in RESOURCE_VARIABLES if v in PROPERTY_OF])
def test_a_blank_resource_setting_is_missing_too(variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        getattr(Settings({variable: "  "}), PROPERTY_OF[variable])


def test_every_variable_the_manifest_hands_out_is_one_settings_reads() -> None:
    # The optional ones (HALO_ACQUIRER, HALO_BASE_URL) are read beside HALO_ENV (tests/unit/test_halo_as_it_answers.py);
    # nothing reads a DLQ's URL but the deliverer (its own): the rest are only the stack's outputs.
    assert set(RESOURCE_VARIABLES) - {"HALO_EVENTS_DLQ_URL", "LEDGER_DLQ_URL"} - manifest.OPTIONAL_ENV == set(
        PROPERTY_OF
    )


def test_halo_settings_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="HALO_ENV"):
        _ = Settings({"HALO_ENV": "staging"}).halo_base_url
    with pytest.raises(ConfigurationError, match="HALO_LINK_ENDPOINT"):
        _ = Settings({"HALO_LINK_ENDPOINT": "qrcode"}).halo_link_path
    assert Settings({"HALO_ENV": "qa"}).halo_base_url == "https://kernelserver.qa.haloplus.io"
    assert Settings({"HALO_ENV": "qa", "HALO_BASE_URL": "http://sim/"}).halo_base_url == "http://sim"


def test_timing_overrides_are_checked_and_name_their_variable() -> None:
    with pytest.raises(ConfigurationError, match="HALOTAP_RECONCILE_BACKOFF"):
        _ = Settings({"HALOTAP_RECONCILE_BACKOFF": "2,x"}).check_backoff
    assert Settings({"HALOTAP_RECONCILE_BACKOFF": "2,4"}).check_backoff == (2, 4)
    assert Settings({}).check_backoff == (30, 60, 120, 300, 600)


def test_reconciles_batch_and_workers_default_to_the_timing_policy_and_can_be_overridden() -> None:
    assert (Settings({}).reconcile_batch, Settings({}).reconcile_workers) == (1000, 8)
    overridden = Settings({"HALOTAP_RECONCILE_BATCH": "300", "HALOTAP_RECONCILE_WORKERS": "4"})
    assert (overridden.reconcile_batch, overridden.reconcile_workers) == (300, 4)
    with pytest.raises(ConfigurationError, match="HALOTAP_RECONCILE_WORKERS"):
        _ = Settings({"HALOTAP_RECONCILE_WORKERS": "0"}).reconcile_workers
    with pytest.raises(ConfigurationError, match="HALOTAP_RECONCILE_WORKERS"):
        _ = Settings({"HALOTAP_RECONCILE_WORKERS": "many"}).reconcile_workers
