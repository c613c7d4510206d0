"""Runtime settings, read once per container from the environment the stack (or devstack) sets."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

HALO_ENVIRONMENTS = ("dev", "qa", "prod")
LINK_ENDPOINTS = {"qrCode": "/consumer/qrCode", "applink": "/consumer/applink"}


class ConfigurationError(RuntimeError):
    """The function was deployed without a setting it needs: an operator problem, not a caller one."""


def halo_base_url(environment: str, override: str | None = None) -> str:
    """Halo's backend for an environment name, unless a full URL override (the simulator) is given."""
    if override:
        return override.rstrip("/")
    if environment not in HALO_ENVIRONMENTS:
        raise ConfigurationError(
            f"HALO_ENV must be one of {', '.join(HALO_ENVIRONMENTS)}, not {environment!r}"
        )
    return f"https://kernelserver.{environment}.haloplus.io"


@dataclass(frozen=True)
class Settings:
    checkouts_table: str
    idempotency_table: str
    halo_events_queue_url: str
    secrets_prefix: str
    halo_base_url: str
    halo_link_endpoint: str
    halo_connect_timeout: float
    halo_read_timeout: float
    secrets_ttl_seconds: int
    retention_days: int
    expiry_grace_seconds: int
    reconcile_batch: int
    confirm_attempts: int
    confirm_retry_seconds: int
    notifications_queue_url: str
    notifications_dlq_url: str
    allow_loopback_webhooks: bool
    check_backoff: tuple[int, ...]

    @property
    def halo_link_path(self) -> str:
        return LINK_ENDPOINTS[self.halo_link_endpoint]


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def _seconds(name: str, default: str) -> tuple[int, ...]:
    raw = _env(name, default)
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise ConfigurationError(f"{name} must be comma-separated whole seconds, not {raw!r}") from None
    if not values or min(values) <= 0:
        raise ConfigurationError(f"{name} must list positive seconds, not {raw!r}")
    return values


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Settings for this container. Call `settings.cache_clear()` after changing the environment in tests."""
    endpoint = _env("HALO_LINK_ENDPOINT", "qrCode")
    if endpoint not in LINK_ENDPOINTS:
        raise ConfigurationError(
            f"HALO_LINK_ENDPOINT must be one of {', '.join(LINK_ENDPOINTS)}, not {endpoint!r}"
        )
    return Settings(
        checkouts_table=_env("CHECKOUTS_TABLE", "halotap-checkouts"),
        idempotency_table=_env("IDEMPOTENCY_TABLE", "halotap-idempotency"),
        halo_events_queue_url=os.environ.get("HALO_EVENTS_QUEUE_URL", ""),
        secrets_prefix=_env("SECRETS_PREFIX", "halotap").rstrip("/"),
        halo_base_url=halo_base_url(_env("HALO_ENV", "dev"), os.environ.get("HALO_BASE_URL")),
        halo_link_endpoint=endpoint,
        halo_connect_timeout=float(_env("HALO_CONNECT_TIMEOUT_SECONDS", "3")),
        halo_read_timeout=float(_env("HALO_READ_TIMEOUT_SECONDS", "10")),
        secrets_ttl_seconds=int(_env("HALOTAP_SECRETS_TTL_SECONDS", "120")),
        retention_days=int(_env("HALOTAP_RETENTION_DAYS", "400")),
        # Taps still in flight at expiry get this long to report before the checkout is expired.
        expiry_grace_seconds=int(_env("HALOTAP_EXPIRY_GRACE_SECONDS", "120")),
        reconcile_batch=int(_env("HALOTAP_RECONCILE_BATCH", "200")),
        # How often a webhook is re-checked while Halo shows nothing final, before reconciliation takes over.
        confirm_attempts=int(_env("HALOTAP_CONFIRM_ATTEMPTS", "4")),
        confirm_retry_seconds=int(_env("HALOTAP_CONFIRM_RETRY_SECONDS", "30")),
        notifications_queue_url=os.environ.get("NOTIFICATIONS_QUEUE_URL", ""),
        notifications_dlq_url=os.environ.get("NOTIFICATIONS_DLQ_URL", ""),
        # Only the devstack sets this: plain http to loopback, for its local webhook sink. Never deployed.
        allow_loopback_webhooks=os.environ.get("HALOTAP_ALLOW_LOOPBACK_WEBHOOKS", "") == "true",
        check_backoff=_seconds("HALOTAP_RECONCILE_BACKOFF", "30,60,120,300,600"),
    )
