"""The devstack's parts, in start order, and the lifecycle they share.

A part is anything with `name`, `start()`, `stop()` and `check()` (raises until it answers).
Parts start in list order and stop in reverse; a part may export settings (os.environ) that later
parts rely on, which is why the handlers (imported lazily by the API and the pollers) come last.
To add a part, write a class with `name`, `start()`, `stop()` and `check()`, and add one line to `build_parts`.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from typing import Protocol

import httpx

from devstack.apigw import ApiGateway
from devstack.aws import MotoServer
from devstack.config import DevConfig, export, lambda_environment
from devstack.halo_sim import HaloSimulator
from devstack.memory import MallocTrimmer
from devstack.pollers import QueuePoller
from devstack.provision import Provisioning
from devstack.sink import WebhookSink
from devstack.ticker import ScheduleTicker
from infra import manifest

log = logging.getLogger("devstack")


class Part(Protocol):
    name: str

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def check(self) -> None: ...


class PortInUse(Exception):
    pass


def ensure_ports_free(ports: list[tuple[str, int]], host: str = "127.0.0.1") -> None:
    for setting, port in ports:
        if port == 0:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers themselves bind
            try:
                probe.bind((host, port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                raise PortInUse(
                    f"port {port} on {host} is already in use; stop what holds it or set {setting} to another port"
                ) from None


class HaloSim:
    """The Halo simulator as a part; starting it points the functions at it (HALO_BASE_URL)."""

    name = "halo-sim"

    def __init__(self, config: DevConfig, webhook_url: str) -> None:
        self.simulator = HaloSimulator(
            port=config.halo_port, merchants=config.sim_merchants, webhook_url=webhook_url
        )

    @property
    def url(self) -> str:
        return self.simulator.url

    def start(self) -> None:
        self.simulator.start()
        export({"HALO_BASE_URL": self.url})

    def stop(self) -> None:
        self.simulator.stop()

    def check(self) -> None:
        httpx.get(f"{self.url}/_sim/requests", timeout=2).raise_for_status()


class LambdaSettings:
    """The settings every function gets that are not resource names (those come from provisioning)."""

    name = "lambda-settings"

    def __init__(self, config: DevConfig, pay_base_url: str) -> None:
        # payUrl's base, as the stack's payDomain context sets it: the devstack's API address.
        self._settings = {**lambda_environment(config), "PAY_BASE_URL": pay_base_url}

    def start(self) -> None:
        export(self._settings)

    def stop(self) -> None:
        pass

    def check(self) -> None:
        pass


def build_parts(config: DevConfig) -> list[Part]:
    api = ApiGateway(config.api_port)  # binds now, so the simulator's webhook URL has the real port
    return [
        MotoServer(config.moto_port),
        LambdaSettings(config, pay_base_url=api.url),
        Provisioning(config),
        HaloSim(config, webhook_url=f"{api.url}/v1/halo/webhooks/{config.webhook_token}"),
        WebhookSink(port=config.sink_port, secrets=[config.signing_secret]),
        api,
        *(QueuePoller(spec) for spec in manifest.FUNCTIONS if spec.queue),
        *(
            ScheduleTicker(spec, config.reconcile_interval_seconds)
            for spec in manifest.FUNCTIONS
            if spec.schedule_minutes
        ),
        MallocTrimmer(),
    ]


class Devstack:
    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts

    def part(self, name: str) -> Part:
        return next(part for part in self.parts if part.name == name)

    def start(self, stopping: threading.Event | None = None) -> None:
        """Starts the parts in order; returns early (for stop() to clean up) once `stopping` is set."""
        for part in self.parts:
            if stopping is not None and stopping.is_set():
                return
            log.debug("starting %s", part.name)
            part.start()

    def wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        for part in self.parts:
            while True:
                try:
                    part.check()
                    break
                except Exception as exc:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"{part.name} did not answer within {timeout:.0f} s: {exc}"
                        ) from exc
                    time.sleep(0.1)

    def stop(self) -> None:
        """Stops every part, newest first (a part that never started has nothing to stop); one part
        failing to stop does not keep the others running.

        Parts with a `request_stop()` (the pollers, the ticker) are all told first, so their threads wind
        down together instead of one after another while each earlier part is waited for.
        """
        for part in reversed(self.parts):
            request_stop = getattr(part, "request_stop", None)
            if request_stop is not None:
                request_stop()
        for part in reversed(self.parts):
            try:
                part.stop()
            except Exception:
                log.exception("%s did not stop cleanly", part.name)
