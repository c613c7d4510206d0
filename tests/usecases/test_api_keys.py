"""API keys by API (issue 20, part 4) on the in-memory ports: make, list, revoke, and what the authorizer
accepts afterwards. The DynamoDB adapter is held to the same rules by tests/integration/test_api_keys.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devstack.config import AUTOREFUND_CLIENT_ID, DEMO_CLIENT_ID, DevConfig
from halotap.domain.api_keys import MAX_ACTIVE_KEYS, key_id
from halotap.domain.errors import ApiKeyNotFound, KeyLimitReached, LastKey
from halotap.domain.parties import Caller, hash_api_key
from tests.fakes import FakeHalo
from tests.memory.services import MemoryServices, build_services

DEV = DevConfig()
CALLER = Caller(DEMO_CLIENT_ID, None)
OPERATOR_KEY_ID = key_id(hash_api_key(DEV.api_key))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(halo: FakeHalo, clock: Clock) -> MemoryServices:
    return build_services(halo, clock=clock)


def test_a_made_key_is_shown_once_and_listed_by_id_and_prefix_only(services: MemoryServices) -> None:
    made = services.api_keys.create(CALLER, "production")
    answer = made.to_api()
    listed = [key.to_api() for key in services.api_keys.list_keys(CALLER)]
    assert str(answer["key"]).startswith(str(answer["prefix"]))
    assert {
        "id": answer["id"],
        "label": "production",
        "createdAt": "2026-12-07T12:00:00.000Z",
    }.items() <= next(k for k in listed if k["id"] == answer["id"]).items()
    assert all("key" not in k for k in listed)
    assert made.secret not in repr(services.api_key_store.__dict__)  # only its hash is kept


def test_the_operators_key_from_the_clients_secret_is_listed_beside_made_keys(
    services: MemoryServices,
) -> None:
    services.api_keys.create(CALLER, None)
    listed = {k.id: k.to_api() for k in services.api_keys.list_keys(CALLER)}
    assert listed[OPERATOR_KEY_ID] == {
        "id": OPERATOR_KEY_ID,
        "prefix": None,
        "label": None,
        "createdAt": None,
        "lastUsedAt": None,
        "source": "operator",
    }
    assert len(listed) == 2


def test_a_made_key_authenticates_its_client(services: MemoryServices) -> None:
    made = services.api_keys.create(CALLER, None)
    client = services.api_keys.authenticate(made.secret)
    assert client is not None
    assert client.client_id == DEMO_CLIENT_ID


def test_a_revoked_key_is_refused(services: MemoryServices) -> None:
    made = services.api_keys.create(CALLER, None)
    services.api_keys.revoke(CALLER, made.key.id)
    assert services.api_keys.authenticate(made.secret) is None
    assert made.key.id not in {k.id for k in services.api_keys.list_keys(CALLER)}


def test_a_revoked_operator_key_is_refused_though_its_hash_stays_in_the_secret(
    services: MemoryServices,
) -> None:
    services.api_keys.create(CALLER, None)
    services.api_keys.revoke(CALLER, OPERATOR_KEY_ID)
    assert (
        hash_api_key(DEV.api_key)
        in next(c for c in services.secrets.clients() if c.client_id == DEMO_CLIENT_ID).key_hashes
    )
    assert services.api_keys.authenticate(DEV.api_key) is None


def test_the_last_active_key_cannot_be_revoked(services: MemoryServices) -> None:
    with pytest.raises(LastKey) as refused:
        services.api_keys.revoke(CALLER, OPERATOR_KEY_ID)
    assert (refused.value.status, refused.value.code) == (409, "last_key")
    assert services.api_keys.authenticate(DEV.api_key) is not None


def test_a_sixth_active_key_is_refused_with_key_limit_reached(services: MemoryServices) -> None:
    for _ in range(MAX_ACTIVE_KEYS - 1):  # the operator's key is the first of the five
        services.api_keys.create(CALLER, None)
    with pytest.raises(KeyLimitReached) as refused:
        services.api_keys.create(CALLER, None)
    assert (refused.value.status, refused.value.code) == (409, "key_limit_reached")
    assert len(services.api_keys.list_keys(CALLER)) == MAX_ACTIVE_KEYS


def test_a_revoked_key_frees_its_place(services: MemoryServices) -> None:
    made = [services.api_keys.create(CALLER, None) for _ in range(MAX_ACTIVE_KEYS - 1)]
    services.api_keys.revoke(CALLER, made[0].key.id)
    assert services.api_keys.create(CALLER, "replacement").key.label == "replacement"


def test_a_key_of_another_client_cannot_be_revoked(services: MemoryServices) -> None:
    made = services.api_keys.create(CALLER, None)
    services.api_keys.create(CALLER, None)
    with pytest.raises(ApiKeyNotFound):
        services.api_keys.revoke(Caller(AUTOREFUND_CLIENT_ID, None), made.key.id)
    assert services.api_keys.authenticate(made.secret) is not None


def test_last_use_is_written_once_per_five_minutes_however_busy_the_key(
    services: MemoryServices, clock: Clock
) -> None:
    made = services.api_keys.create(CALLER, None)
    for _ in range(100):
        services.api_keys.authenticate(made.secret)
    clock.now += timedelta(minutes=4)
    services.api_keys.authenticate(made.secret)
    assert services.api_key_store.touches == 1
    clock.now += timedelta(minutes=2)
    services.api_keys.authenticate(made.secret)
    assert services.api_key_store.touches == 2
    listed = next(k for k in services.api_keys.list_keys(CALLER) if k.id == made.key.id)
    assert listed.last_used_at == "2026-12-07T12:06:00.000Z"


def test_an_operator_keys_last_use_is_known_from_its_first_use(services: MemoryServices) -> None:
    services.api_keys.authenticate(DEV.api_key)
    listed = next(k for k in services.api_keys.list_keys(CALLER) if k.id == OPERATOR_KEY_ID)
    assert listed.last_used_at == "2026-12-07T12:00:00.000Z"


def test_an_unknown_key_is_refused(services: MemoryServices) -> None:
    assert services.api_keys.authenticate("htk_not-a-key") is None


def test_an_operator_key_removed_from_the_secret_is_refused_though_it_was_used_before(
    services: MemoryServices,
) -> None:
    assert services.api_keys.authenticate(DEV.api_key) is not None  # its last use is now in the table
    services.secrets.values["clients"][DEMO_CLIENT_ID]["keyHashes"] = []
    assert services.api_keys.authenticate(DEV.api_key) is None
