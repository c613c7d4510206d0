"""The local stack that `make bench` and tests/lambda run halotap against: moto's server, the Halo
simulator and the PSP's webhook sink on free loopback ports, provisioned from the manifest, with this
process's environment pointing halotap at them (scripts/bench.py's figures, tests/lambda's handlers).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devstack.config import DevConfig

DEFAULT_SECRETS_TTL = "120"


# -- settings -------------------------------------------------------------------------------------


def function_settings() -> dict[str, str]:
    """What the devstack gives every function, made quiet: no metrics, no tracing, error logs only."""
    from devstack.config import SECRETS_PREFIX, DevConfig, lambda_environment

    return {
        **lambda_environment(DevConfig(log_level="ERROR")),
        "SECRETS_PREFIX": SECRETS_PREFIX,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "HALOTAP_SECRETS_TTL_SECONDS": os.environ.get("HALOTAP_SECRETS_TTL_SECONDS") or DEFAULT_SECRETS_TTL,
    }


def reset_halotap() -> None:
    """Forget every cached setting, client and wired service (after the environment changed)."""
    from halotap.adapters import aws, halo
    from halotap.settings import settings
    from halotap.wiring import default_services

    settings.cache_clear()
    aws.reset()
    default_services.cache_clear()
    if halo._shared_http is not None:
        halo._shared_http.close()
        halo._shared_http = None


# -- the local stack for the warm figures -----------------------------------------------------------


@dataclass
class Stack:
    moto_url: str
    halo_url: str
    webhook_token: str
    merchant_id: str  # halotap's
    halo_merchant_id: str
    halo_api_key: str
    sink_url: str = ""
    clients: dict[str, Any] = field(default_factory=dict)  # raw boto3 clients for the baselines
    config: DevConfig | None = None  # what moto was provisioned from

    def reprovision(self) -> None:
        """Empty moto, then create the manifest's tables, queues and secrets again: the same names (so
        the environment this process exported still holds), no items, no messages."""
        if self.config is None:
            raise RuntimeError("this stack has no provisioning config")
        _provision_afresh(self.moto_url, self.config)

    def raw(self, service: str) -> Any:
        """A plain boto3 client of its own (not halotap's), for baselines."""
        if service not in self.clients:
            import boto3

            self.clients[service] = boto3.session.Session().client(service)  # type: ignore[call-overload]
        return self.clients[service]


def _provision_afresh(moto_url: str, config: DevConfig) -> None:
    """An empty moto, provisioned from the manifest; this process's environment names what it made."""
    import httpx

    from devstack.config import export
    from devstack.provision import provision

    httpx.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    environment, _secrets = provision(config)
    export(environment)


@contextlib.contextmanager
def local_stack() -> Iterator[Stack]:
    """moto's server and the Halo simulator on free loopback ports, provisioned from the manifest,
    with this process's environment pointing halotap at them; everything is undone on exit."""
    from dataclasses import replace

    from devstack.aws import MotoServer
    from devstack.config import DEMO_MERCHANT_ID, DEMO_MERCHANTS, DevConfig, export
    from devstack.halo_sim import HaloSimulator
    from devstack.sink import WebhookSink

    config = DevConfig(log_level="ERROR")
    sink = WebhookSink(port=0, secrets=[config.signing_secret])  # the PSP's endpoint for notifications
    sink.start()
    config = replace(config, sink_port=int(sink.url.rsplit(":", 1)[1]))
    saved = dict(os.environ)
    werkzeug = logging.getLogger("werkzeug")  # moto's server logs a line per AWS call otherwise
    werkzeug_level = werkzeug.level
    werkzeug.setLevel(logging.WARNING)
    moto = MotoServer(port=0)
    simulator = HaloSimulator(port=0, merchants=config.sim_merchants)
    try:
        moto.start()  # exports AWS_ENDPOINT_URL and fake credentials
        export(function_settings())
        _provision_afresh(moto.url, config)
        simulator.start()
        # The intake figure empties its queue before every sample; moto allows that only when asked.
        export({"HALO_BASE_URL": simulator.url, "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false"})
        reset_halotap()
        halo_merchant_id, halo_api_key = DEMO_MERCHANTS[DEMO_MERCHANT_ID]
        stack = Stack(
            moto.url,
            simulator.url,
            config.webhook_token,
            DEMO_MERCHANT_ID,
            halo_merchant_id,
            halo_api_key,
            sink_url=sink.url,
            config=config,
        )
        try:
            yield stack
        finally:
            for client in stack.clients.values():
                client.close()
    finally:
        try:
            reset_halotap()
        finally:
            simulator.stop()
            moto.stop()
            sink.stop()
            os.environ.clear()
            os.environ.update(saved)
            werkzeug.setLevel(werkzeug_level)
