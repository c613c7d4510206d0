"""Fixtures shared by the tests that drive the devstack's HTTP services over loopback."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx
import pytest

from devstack.aws import MotoServer
from devstack.config import DevConfig
from devstack.http_server import JsonHttpServer
from devstack.provision import provision
from tests.wiring import LAMBDA_SETTINGS, forget_clients

S = TypeVar("S", bound=JsonHttpServer)


@pytest.fixture
def serve() -> Iterator[Callable[[S], S]]:
    """Starts a service for the test and stops it afterwards."""
    started: list[JsonHttpServer] = []

    def start(service: S) -> S:
        service.start()
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        service.stop()


@pytest.fixture
def http_client() -> Iterator[Callable[[str], httpx.Client]]:
    """Opens clients on a base URL, closed after the test."""
    clients: list[httpx.Client] = []

    def open_client(base_url: str) -> httpx.Client:
        clients.append(httpx.Client(base_url=base_url, timeout=5.0, trust_env=False))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    """A real moto server as the devstack runs it (atomic DynamoDB), provisioned, over HTTP; one per module."""
    saved = dict(os.environ)
    server = MotoServer(port=0)
    server.start()  # points this process's SDK at it (AWS_ENDPOINT_URL)
    try:
        httpx.post(f"{server.url}/moto-api/reset").raise_for_status()  # moto's state is per process
        os.environ.update(LAMBDA_SETTINGS)
        # Handlers of several "containers" run in this one process, and Powertools' metrics are one
        # process-wide set, so one thread's flush would empty another's mid-flush. A Lambda container
        # runs one invocation at a time; the devstack, which runs handlers in threads too, also sets this.
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        environment, _secrets = provision(DevConfig())
        os.environ.update(environment)
        forget_clients()
        yield server
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        forget_clients()
