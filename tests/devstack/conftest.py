"""Fixtures shared by the tests that drive the devstack's HTTP services over loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx
import pytest

from devstack.http_server import JsonHttpServer

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
