"""Use cases on the in-memory ports (tests/memory): the production wiring and Halo's real client over
FakeHalo's transport, with no moto, so each test takes milliseconds.

The in-memory store is held to DynamoDB's semantics by tests/contract; what only AWS can show (a
throttled table, the number of calls, a queue's redrive) stays in tests/integration.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from halotap.settings import settings
from tests.fakes import FakeHalo
from tests.memory.services import MemoryServices, build_services


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    settings.cache_clear()  # a test's monkeypatched setting is read anew, and forgotten after
    yield
    settings.cache_clear()


@pytest.fixture
def halo() -> FakeHalo:
    return FakeHalo()


@pytest.fixture
def services(halo: FakeHalo) -> MemoryServices:
    return build_services(halo)
