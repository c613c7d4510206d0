"""The devstack's settings, read once from HALOTAP_* variables, and the names it gives AWS resources."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from halotap.settings import DEFAULT_LINK_ENDPOINT
from infra import manifest
from infra.local_stage import (
    ACCOUNT_ID,
    API_PORT,
    DEFAULT_PORTS,
    HALO_PORT,
    MOTO_PORT,
    REGION,
    RESOURCE_PREFIX,
    SECRETS_PREFIX,
    SINK_PORT,
    STAGE,
    resource_name,
    whole_number,
)

# The local stage's names live in infra.local_stage, where the operator tools read them; the devstack's
# modules and tests keep reading them here, so they are exported as this module's own.
__all__ = ["ACCOUNT_ID", "REGION", "RESOURCE_PREFIX", "SECRETS_PREFIX", "STAGE", "resource_name"]

API_ID = "local"

DEMO_CLIENT_ID = "demo-psp"
# A second PSP client that has every late approval refunded at once (lateApprovals: refund).
AUTOREFUND_CLIENT_ID = "demo-psp-autorefund"
DEMO_MERCHANT_ID = "demo-merchant"
# halotap merchant id -> (Halo merchant id, Halo x-api-key); the simulator is started with the same pairs.
DEMO_MERCHANTS = {DEMO_MERCHANT_ID: ("sim-merchant-001", "sim-api-key-demo-merchant")}
# How shoppers see each demo merchant, and what its (simulated) Halo account takes: BHD has three
# decimals and JPY none, so the demo merchant covers every ISO 4217 exponent halotap handles.
DEMO_MERCHANT_PROFILES = {
    DEMO_MERCHANT_ID: {"displayName": "Demo Merchant", "currencies": ["ZAR", "USD", "JPY", "BHD"]}
}

DEFAULT_API_KEY = "dev-psp-key-0123456789abcdef"
DEFAULT_AUTOREFUND_API_KEY = "dev-psp-autorefund-key-0123456789"
DEFAULT_WEBHOOK_TOKEN = "dev-webhook-token"
DEFAULT_SIGNING_SECRET = "whsec_aGFsb3RhcC1kZXYtc2lnbmluZy1zZWNyZXQtMDEyMw=="
DEFAULT_NOTIFY_SCHEDULE = "1,2,4,8"  # the deployed default is Svix's 5 s ... 10 h
DEFAULT_WATCH_SCHEDULE = (
    "4,8,12,18,26,36,48,60"  # seconds after a checkout became final; deployed 5 min ... 48 h
)


@dataclass(frozen=True)
class DevConfig:
    api_port: int = DEFAULT_PORTS[API_PORT]
    halo_port: int = DEFAULT_PORTS[HALO_PORT]
    moto_port: int = DEFAULT_PORTS[MOTO_PORT]
    api_key: str = DEFAULT_API_KEY
    autorefund_api_key: str = DEFAULT_AUTOREFUND_API_KEY
    webhook_token: str = DEFAULT_WEBHOOK_TOKEN
    signing_secret: str = DEFAULT_SIGNING_SECRET
    sink_port: int = DEFAULT_PORTS[SINK_PORT]
    notify_schedule: str = DEFAULT_NOTIFY_SCHEDULE
    watch_schedule: str = DEFAULT_WATCH_SCHEDULE
    log_level: str = "WARNING"  # the handlers' Powertools log level; the devstack's own lines are INFO
    visibility_cap_seconds: int = 3  # local queues redeliver fast; see README.md
    reconcile_interval_seconds: int = 2  # EventBridge runs reconcile every minute; locally, every 2 s
    expiry_grace_seconds: int = 0  # no grace locally, so expiry is easy to watch

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> DevConfig:
        def number(name: str, default: int) -> int:
            return whole_number(environ, name, default)

        return cls(
            api_port=number(API_PORT, cls.api_port),
            halo_port=number(HALO_PORT, cls.halo_port),
            moto_port=number(MOTO_PORT, cls.moto_port),
            api_key=environ.get("HALOTAP_DEV_API_KEY") or DEFAULT_API_KEY,
            autorefund_api_key=environ.get("HALOTAP_DEV_AUTOREFUND_API_KEY") or DEFAULT_AUTOREFUND_API_KEY,
            webhook_token=environ.get("HALOTAP_DEV_WEBHOOK_TOKEN") or DEFAULT_WEBHOOK_TOKEN,
            signing_secret=environ.get("HALOTAP_DEV_SIGNING_SECRET") or DEFAULT_SIGNING_SECRET,
            sink_port=number(SINK_PORT, cls.sink_port),
            notify_schedule=environ.get("HALOTAP_NOTIFY_SCHEDULE") or DEFAULT_NOTIFY_SCHEDULE,
            watch_schedule=environ.get("HALOTAP_WATCH_SCHEDULE") or DEFAULT_WATCH_SCHEDULE,
            log_level=(environ.get("HALOTAP_LOG_LEVEL") or cls.log_level).upper(),
            visibility_cap_seconds=number("HALOTAP_DEV_VISIBILITY_SECONDS", cls.visibility_cap_seconds),
            reconcile_interval_seconds=number("HALOTAP_RECONCILE_INTERVAL", cls.reconcile_interval_seconds),
            expiry_grace_seconds=number("HALOTAP_EXPIRY_GRACE_SECONDS", cls.expiry_grace_seconds),
        )

    def ports(self) -> list[tuple[str, int]]:
        """(setting, port) for every fixed port the devstack binds; checked before anything starts."""
        return [
            (MOTO_PORT, self.moto_port),
            (HALO_PORT, self.halo_port),
            (API_PORT, self.api_port),
            (SINK_PORT, self.sink_port),
        ]

    @property
    def sim_merchants(self) -> dict[str, str]:
        """The simulator's view: Halo x-api-key -> Halo merchant id."""
        return {api_key: halo_merchant_id for halo_merchant_id, api_key in DEMO_MERCHANTS.values()}


def aws_environment(endpoint_url: str) -> dict[str, str]:
    """What every AWS SDK call in this process needs to reach moto and nothing else."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


# Settings that would send SDK calls somewhere other than moto, or to a real account's credentials.
_AWS_LEAKS = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")


def lambda_environment(config: DevConfig) -> dict[str, str]:
    """The settings the stack gives every function, minus resource names (provisioning adds those)."""
    return {
        "SECRETS_PREFIX": SECRETS_PREFIX,
        "HALO_ENV": "dev",
        "HALO_LINK_ENDPOINT": DEFAULT_LINK_ENDPOINT,
        "HALO_READ_TIMEOUT_SECONDS": "3",
        "HALO_CONNECT_TIMEOUT_SECONDS": "1",
        "POWERTOOLS_SERVICE_NAME": manifest.SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": manifest.METRICS_NAMESPACE,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": config.log_level,
        "HALOTAP_EXPIRY_GRACE_SECONDS": str(config.expiry_grace_seconds),
        "HALOTAP_CONFIRM_RETRY_SECONDS": "1",
        # Secrets are re-read every 2 s (deployed: 120 s), so a client or merchant that halotap-admin
        # adds or changes on the devstack is in use within seconds.
        "HALOTAP_SECRETS_TTL_SECONDS": "2",
        "HALOTAP_NOTIFY_SCHEDULE": config.notify_schedule,
        # Reconciliation first asks Halo 2 s after a checkout opens (deployed: 30 s), so a lost webhook
        # is found within a tick or two of the 2 s ticker.
        "HALOTAP_RECONCILE_BACKOFF": "2,4,8,15",
        # Every other reconcile timing is compressed too, so that what takes minutes or hours deployed
        # happens within seconds here (README.md, "The local stack"): a final checkout is asked about again
        # 4 s ... 60 s after the change (deployed: 5 min ... 48 h), never more than 12 s apart, so a change at
        # Halo whose webhook is lost lands within about 15 s; ...
        "HALOTAP_WATCH_SCHEDULE": config.watch_schedule,
        # ... a checkout whose Halo lookup failed is due again 2 s later (deployed: 30 s) and Halo's circuit
        # breaker lets a trial call through after 2 s (deployed: 30 s), so one settles within seconds of Halo
        # answering again; and an Indeterminate outcome is flagged for a person after 10 s (deployed: 30 min).
        "HALOTAP_RECONCILE_AFTER_ERROR_SECONDS": "2",
        "HALOTAP_HALO_BREAKER_COOLDOWN_SECONDS": "2",
        "HALOTAP_INDETERMINATE_ATTENTION_SECONDS": "10",
        # A rotated endpoint secret signs beside the new one for 5 minutes (deployed: 24 h), and an endpoint
        # whose every delivery failed for a minute is disabled (deployed: 5 days): both happen within a demo.
        "HALOTAP_SECRET_ROTATION_OVERLAP_SECONDS": "300",
        "HALOTAP_ENDPOINT_DISABLE_AFTER_SECONDS": "60",
        "HALOTAP_ALLOW_LOOPBACK_WEBHOOKS": "true",  # the local sink is plain http on 127.0.0.1  # a webhook Halo cannot confirm yet is re-checked in 1 s, not 30
    }


def export(settings: Mapping[str, str], environ: os._Environ[str] | dict[str, str] = os.environ) -> None:
    """Sets variables for this process (and so for every handler it imports afterwards)."""
    if "AWS_ENDPOINT_URL" in settings:
        for name in [*_AWS_LEAKS, *(n for n in environ if n.startswith("AWS_ENDPOINT_URL_"))]:
            environ.pop(name, None)
    environ.update(settings)
