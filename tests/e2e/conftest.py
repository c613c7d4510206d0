"""End-to-end tests drive a real `python -m devstack` over HTTP, started once per session on free ports.

Every module here sets `pytestmark = pytest.mark.e2e`. The devstack's log is .devstack/e2e.log;
`devstack.log_tail()` gives its end, for assertion messages.

No test sleeps a fixed time to show that nothing happened: it waits on something it can observe
(`settle()`, tests/e2e/settle.py: no webhook, Halo event or notification left on its way) and then
asserts.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.launcher import REPO_ROOT, DevstackFailed, DevstackProcess, free_ports, launch
from tests.e2e.client import Psp
from tests.e2e.settle import Settle

READY_TIMEOUT_SECONDS = 90.0


@pytest.fixture(scope="session")
def devstack() -> Iterator[DevstackProcess]:
    api_port, halo_port, moto_port, sink_port = free_ports(4)
    overrides = {
        "HALOTAP_SINK_PORT": str(sink_port),
        "HALOTAP_API_PORT": str(api_port),
        "HALOTAP_HALO_PORT": str(halo_port),
        "HALOTAP_MOTO_PORT": str(moto_port),
        "HALOTAP_LOG_LEVEL": "INFO",
    }
    try:
        stack = launch(REPO_ROOT / ".devstack" / "e2e.log", overrides, timeout=READY_TIMEOUT_SECONDS)
    except DevstackFailed as exc:
        pytest.fail(f"the devstack did not start: {exc}", pytrace=False)
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def settle(devstack: DevstackProcess) -> Settle:
    """`settle()` returns once nothing the tests started is still on its way through the devstack."""
    return Settle(devstack)


@pytest.fixture(scope="module")
def psp(devstack: DevstackProcess) -> Psp:
    """A PSP's view of the devstack: its API with the seeded key, the simulator and the sink."""
    return Psp(devstack)


@pytest.fixture
def sink(devstack: DevstackProcess) -> Iterator[httpx.Client]:
    """The PSP webhook sink, with no faults left over from another test (and none left behind)."""
    client = httpx.Client(base_url=devstack.sink_url, timeout=10)
    client.delete("/_sink/faults")
    yield client
    client.delete("/_sink/faults")
