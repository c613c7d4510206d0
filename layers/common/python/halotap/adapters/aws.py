"""AWS clients, created on first use and reused across warm invocations.

Nothing here runs at import, so a handler's cold start pays only for the clients it calls, and a
test reaches moto by creating fresh clients (`reset()`) rather than patching module state.

Every client comes from one botocore session: a session's loader caches the service list, the endpoint
rules and the partitions it read, so a second client from it skips that work. A session per client read
them all again, about 60 ms of CPU per extra client on a cold start (docs/performance.md).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config


def _config(read_timeout: float) -> Config:
    from botocore.config import Config

    # Standard retry mode backs off on throttling with jitter; short timeouts keep us inside API Gateway's 29 s.
    return Config(
        connect_timeout=2, read_timeout=read_timeout, retries={"mode": "standard", "max_attempts": 3}
    )


# `functools.cache` does not stop two threads that both miss from each building a client (reconcile
# examines checkouts from several threads), so the first build of each client holds this lock.
_lock = threading.Lock()


def client(service: str) -> Any:
    with _lock:
        return _client(service)


@cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


@cache
def _client(service: str) -> Any:
    return _session().client(service, config=_config(read_timeout=5))


def dynamodb() -> Any:
    return client("dynamodb")


def sqs() -> Any:
    return client("sqs")


def secretsmanager() -> Any:
    return client("secretsmanager")


def reset() -> None:
    """Forget every client, e.g. after a test changed AWS_ENDPOINT_URL or started moto."""
    with _lock:
        _client.cache_clear()
        _session.cache_clear()
