"""The production wiring, as tests build it: `halotap.wiring.Services` with fakes at the edges only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from devstack.config import SECRETS_PREFIX
from halotap.adapters import aws
from halotap.settings import Settings, settings
from halotap.wiring import Services, default_services
from tests.fakes import FakeHalo

# The settings the stack gives every function besides resource names (which provisioning returns).
LAMBDA_SETTINGS = {
    "SECRETS_PREFIX": SECRETS_PREFIX,
    "HALO_ENV": "dev",
    "HALO_LINK_ENDPOINT": "applink",
    "HALOTAP_SECRETS_TTL_SECONDS": "0",
    # moto's switch for SQS's one-purge-a-minute rule: the reset between tests purges every queue.
    "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false",
}


def forget_clients() -> None:
    settings.cache_clear()
    aws.reset()
    default_services.cache_clear()


def build_services(
    halo: FakeHalo,
    *,
    clock: Callable[[], datetime] | None = None,
    dynamodb: Any = None,
    sqs: Any = None,
    resolve: Callable[[str, int], list[str]] | None = None,
    webhook_http: httpx.Client | None = None,
    config: Settings | None = None,
) -> Services:
    """The production wiring, with FakeHalo behind Halo's transport and no real sleeping."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if resolve is not None:
        extra["resolve"] = resolve
    return Services(
        config or settings(),
        halo_http=httpx.Client(transport=halo.transport()),
        webhook_http=webhook_http,
        dynamodb=dynamodb,
        sqs=sqs,
        sleep=lambda _seconds: None,
        **extra,
    )
