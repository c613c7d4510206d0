"""Runtime settings, read once per container from the environment the stack (or the devstack) sets.

Resource names (tables, queues, the secrets prefix) have no defaults: a function deployed without one
fails on the first use, with a `ConfigurationError` that names the variable, instead of quietly talking
to a table of the wrong name. Each function is given exactly the variables `infra/manifest.py` lists for
it; `tests/unit/test_settings.py` builds every function's services from only those.
Timing values default to the policy in `halotap.domain.timing`; a few can be overridden.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from halotap.domain import timing

HALO_ENVIRONMENTS = ("dev", "qa", "prod")
# Halo's current app-to-app guide names /consumer/applink as the replacement for the deprecated
# /consumer/qrCode (whose halompos.page.link URLs were Firebase Dynamic Links, gone since August 2025).
# Both take the same body; applink is the default everywhere, qrCode stays selectable.
LINK_ENDPOINTS = {"qrCode": "/consumer/qrCode", "applink": "/consumer/applink"}
DEFAULT_LINK_ENDPOINT = "applink"


class ConfigurationError(RuntimeError):
    """The function was deployed without a setting it needs: an operator problem, not a caller one."""


# An acquirer segment is a DNS label: Halo's own app builds kernelserver.{acquirer}.{env}.haloplus.io ("za").
_ACQUIRER = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def halo_base_url(environment: str, override: str | None = None, acquirer: str | None = None) -> str:
    """Halo's backend for an environment name (and acquirer, when one is set), unless a full URL override
    (the simulator, or a host Halo gives a merchant) is given."""
    if override:
        return override.rstrip("/")
    if environment not in HALO_ENVIRONMENTS:
        raise ConfigurationError(
            f"HALO_ENV must be one of {', '.join(HALO_ENVIRONMENTS)}, not {environment!r}"
        )
    if acquirer:
        if not _ACQUIRER.match(acquirer):
            raise ConfigurationError(
                f"HALO_ACQUIRER must be one DNS label such as 'za' (lowercase letters, digits, '-'), "
                f"not {acquirer!r}"
            )
        return f"https://kernelserver.{acquirer}.{environment}.haloplus.io"
    return f"https://kernelserver.{environment}.haloplus.io"


@dataclass(frozen=True)
class Settings:
    environ: Mapping[str, str] = field(repr=False)

    def required(self, name: str) -> str:
        value = self.environ.get(name, "").strip()
        if not value:
            raise ConfigurationError(
                f"environment variable {name} is not set; the stack sets it from infra/manifest.py"
            )
        return value

    def _number(self, name: str, default: float) -> float:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            return float(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be a number, not {raw!r}") from None

    def _seconds(self, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
        try:
            return timing.parse_seconds(name, self.environ.get(name), default)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None

    # -- resources: no defaults ------------------------------------------------------------------------
    @property
    def checkouts_table(self) -> str:
        return self.required("CHECKOUTS_TABLE")

    @property
    def events_table(self) -> str:
        return self.required("EVENTS_TABLE")

    @property
    def integrations_table(self) -> str:
        return self.required("INTEGRATIONS_TABLE")

    @property
    def idempotency_table(self) -> str:
        return self.required("IDEMPOTENCY_TABLE")

    @property
    def halo_events_queue_url(self) -> str:
        return self.required("HALO_EVENTS_QUEUE_URL")

    @property
    def notifications_queue_url(self) -> str:
        return self.required("NOTIFICATIONS_QUEUE_URL")

    @property
    def notifications_dlq_url(self) -> str:
        return self.required("NOTIFICATIONS_DLQ_URL")

    @property
    def ledger_bucket(self) -> str:
        return self.required("LEDGER_BUCKET")

    @property
    def ledger_queue_url(self) -> str:
        return self.required("LEDGER_QUEUE_URL")

    @property
    def secrets_prefix(self) -> str:
        return self.required("SECRETS_PREFIX").rstrip("/")

    # -- the shopper's page ------------------------------------------------------------------------------
    @property
    def pay_base_url(self) -> str | None:
        """Where payUrl points (https://pay.psp.example), when the stack has a custom domain for the page.

        Unset, payUrl uses the API's own address as API Gateway reports it. Never the Host header: a
        caller must not be able to send shoppers elsewhere.
        """
        return self.environ.get("PAY_BASE_URL", "").strip().rstrip("/") or None

    # -- Halo --------------------------------------------------------------------------------------------
    @property
    def halo_base_url(self) -> str:
        return halo_base_url(
            self.required("HALO_ENV"),
            self.environ.get("HALO_BASE_URL"),
            self.environ.get("HALO_ACQUIRER", "").strip() or None,
        )

    @property
    def halo_link_path(self) -> str:
        endpoint = self.required("HALO_LINK_ENDPOINT")
        if endpoint not in LINK_ENDPOINTS:
            raise ConfigurationError(
                f"HALO_LINK_ENDPOINT must be one of {', '.join(LINK_ENDPOINTS)}, not {endpoint!r}"
            )
        return LINK_ENDPOINTS[endpoint]

    @property
    def halo_connect_timeout(self) -> float:
        return self._number("HALO_CONNECT_TIMEOUT_SECONDS", timing.HALO_CONNECT_TIMEOUT_SECONDS)

    @property
    def halo_read_timeout(self) -> float:
        return self._number("HALO_READ_TIMEOUT_SECONDS", timing.HALO_READ_TIMEOUT_SECONDS)

    # -- behaviour ---------------------------------------------------------------------------------------
    @property
    def secrets_ttl_seconds(self) -> int:
        return int(self._number("HALOTAP_SECRETS_TTL_SECONDS", 120))

    @property
    def retention_days(self) -> int:
        return int(self._number("HALOTAP_RETENTION_DAYS", 400))

    @property
    def reconcile_batch(self) -> int:
        return int(self._number("HALOTAP_RECONCILE_BATCH", timing.RECONCILE_BATCH))

    @property
    def reconcile_workers(self) -> int:
        workers = int(self._number("HALOTAP_RECONCILE_WORKERS", timing.RECONCILE_WORKERS))
        if workers < 1:
            raise ConfigurationError(f"HALOTAP_RECONCILE_WORKERS must be 1 or more, not {workers}")
        return workers

    @property
    def allow_loopback_webhooks(self) -> bool:
        # Only the devstack sets this: plain http to loopback, for its local webhook sink. Never deployed.
        return self.environ.get("HALOTAP_ALLOW_LOOPBACK_WEBHOOKS", "") == "true"

    # -- timing overrides (the policy itself lives in halotap.domain.timing) ----------------------------
    @property
    def expiry_grace_seconds(self) -> int:
        return int(self._number("HALOTAP_EXPIRY_GRACE_SECONDS", timing.EXPIRY_GRACE_SECONDS))

    @property
    def confirm_retry_seconds(self) -> int:
        return int(self._number("HALOTAP_CONFIRM_RETRY_SECONDS", timing.CONFIRM_RETRY_SECONDS))

    @property
    def check_backoff(self) -> tuple[int, ...]:
        return self._seconds("HALOTAP_RECONCILE_BACKOFF", timing.RECONCILE_BACKOFF)

    @property
    def watch_schedule(self) -> tuple[int, ...]:
        return self._seconds("HALOTAP_WATCH_SCHEDULE", timing.WATCH_SCHEDULE)

    @property
    def reconcile_after_error(self) -> timedelta:
        return timedelta(
            seconds=self._number(
                "HALOTAP_RECONCILE_AFTER_ERROR_SECONDS", timing.RECONCILE_AFTER_ERROR.total_seconds()
            )
        )

    @property
    def indeterminate_attention_after(self) -> timedelta:
        return timedelta(
            seconds=self._number(
                "HALOTAP_INDETERMINATE_ATTENTION_SECONDS",
                timing.INDETERMINATE_ATTENTION_AFTER.total_seconds(),
            )
        )

    @property
    def halo_breaker_cooldown(self) -> float:
        return self._number("HALOTAP_HALO_BREAKER_COOLDOWN_SECONDS", timing.HALO_BREAKER_COOLDOWN_SECONDS)

    @property
    def notify_schedule(self) -> tuple[int, ...]:
        schedule = self._seconds("HALOTAP_NOTIFY_SCHEDULE", timing.NOTIFY_SCHEDULE)
        try:
            return timing.check_notify_schedule(schedule)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Settings for this container. Call `settings.cache_clear()` after changing the environment in tests."""
    return Settings(dict(os.environ))
