"""The devstack's moto applies conditional writes atomically, as DynamoDB does (aws.AtomicDynamoDB).

Many threads race the same conditional write through one server over HTTP; a barrier releases
them together each round. Exactly one may win a round. Without the lock moto lets several win.

moto reads the item, checks the condition and then writes, with no lock in between; a cancelled
transaction puts back a copy of the table taken before it began. The server runs in this process,
so a short interpreter switch interval makes a thread likely to be preempted inside those gaps,
and the put test's checkout-sized items (a history of HISTORY_EVENTS events) widen its gap. Without
the lock each test then failed in each of 20 runs; with the default 5 ms interval and small items,
moto without the lock usually passed.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.aws import MotoServer

THREADS = 16
PUT_ROUNDS = 50
UPDATE_ROUNDS = 50
TRANSACT_ROUNDS = 50
CONDITION_FAILED = {"ConditionalCheckFailedException", "TransactionCanceledException"}
HISTORY_EVENTS = 30
SWITCH_INTERVAL_SECONDS = 1e-5
HISTORY = {
    "L": [
        {"M": {"type": {"S": "status_changed"}, "at": {"S": "2026-01-01T00:00:00Z"}, "n": {"N": str(i)}}}
        for i in range(HISTORY_EVENTS)
    ]
}


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    saved = dict(os.environ)
    server = MotoServer(port=0)
    server.start()  # also exports AWS_ENDPOINT_URL; the client below is given everything explicitly
    try:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        yield session.client(
            "dynamodb",
            endpoint_url=server.url,
            config=Config(max_pool_connections=2 * THREADS, retries={"max_attempts": 1}),
        )
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def frequent_thread_switches() -> Iterator[None]:
    saved = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    yield
    sys.setswitchinterval(saved)


@pytest.fixture
def table(dynamodb: Any) -> Iterator[str]:
    name = f"atomic-{uuid.uuid4().hex[:8]}"  # moto's state is per process; other tests' tables stay apart
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    dynamodb.delete_table(TableName=name)


def race(rounds: int, attempt: Callable[[int, threading.Barrier], bool]) -> dict[int, int]:
    """Runs `attempt(round, barrier)` on THREADS threads for each round, all released together;
    returns the number of winners of each round. Any error but a failed condition fails the test."""
    barrier = threading.Barrier(THREADS, timeout=30)
    wins: Counter[int] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        for n in range(rounds):
            try:
                barrier.wait()
                won = attempt(n, barrier)
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in CONDITION_FAILED:
                    errors.append(exc)
                    barrier.abort()
                    return
                won = False
            except BaseException as exc:
                errors.append(exc)
                barrier.abort()
                return
            if won:
                with lock:
                    wins[n] += 1

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return {n: wins[n] for n in range(rounds)}


def overrun(wins: dict[int, int]) -> dict[int, int]:
    return {n: count for n, count in wins.items() if count != 1}


def test_conditional_put_has_exactly_one_winner_per_round(dynamodb, table):
    def attempt(n: int, _barrier: threading.Barrier) -> bool:
        dynamodb.put_item(
            TableName=table,
            Item={
                "pk": {"S": f"round-{n}"},
                "writer": {"S": threading.current_thread().name},
                "history": HISTORY,
            },
            ConditionExpression="attribute_not_exists(pk)",
        )
        return True

    wins = race(PUT_ROUNDS, attempt)
    assert overrun(wins) == {}, "rounds (round: winners) where other than one conditional put won"


def test_versioned_update_has_exactly_one_winner_per_round(dynamodb, table):
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "counter"}, "version": {"N": "0"}})
    key = {"pk": {"S": "counter"}}

    def attempt(_n: int, barrier: threading.Barrier) -> bool:
        item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
        version = int(item["version"]["N"])
        barrier.wait()  # every thread has read the same version before any of them writes
        dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET version = :next",
            ConditionExpression="version = :seen",
            ExpressionAttributeValues={":seen": {"N": str(version)}, ":next": {"N": str(version + 1)}},
        )
        return True

    wins = race(UPDATE_ROUNDS, attempt)
    assert overrun(wins) == {}, "rounds (round: winners) where other than one versioned update won"
    final = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert final["version"] == {"N": str(UPDATE_ROUNDS)}


def test_conditional_transaction_has_exactly_one_winner_per_round(dynamodb, table):
    def attempt(n: int, _barrier: threading.Barrier) -> bool:
        writer = {"S": threading.current_thread().name}
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": f"txn-{n}-{part}"}, "writer": writer},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for part in ("a", "b")
            ]
        )
        return True

    wins = race(TRANSACT_ROUNDS, attempt)
    assert overrun(wins) == {}, "rounds (round: winners) where other than one transaction won"
    # Both halves of each round's transaction came from the same winner.
    for n in range(TRANSACT_ROUNDS):
        halves = dynamodb.batch_get_item(
            RequestItems={table: {"Keys": [{"pk": {"S": f"txn-{n}-{part}"}} for part in ("a", "b")]}}
        )["Responses"][table]
        writers = [item["writer"]["S"] for item in halves]
        assert len(writers) == 2, f"round {n}: a transaction was half applied or undone"
        assert writers[0] == writers[1], f"round {n}: its halves come from two transactions"
