"""What the devstack's moto keeps is bounded, and its transactions still roll back (devstack/moto_bounds.py).

These run moto in this process (`mock_aws`) with the bounds applied, as the devstack's moto server
applies them; the bounds are process-wide once applied.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import Item
from moto.sqs.models import Message, sqs_backends

from devstack import moto_bounds
from devstack.moto_bounds import RecentSet, bound_moto

TABLE_ITEMS = 200
REGION = "us-east-1"


@pytest.fixture
def aws() -> Iterator[None]:
    bound_moto()
    with mock_aws():
        yield


@pytest.fixture
def table(aws: None) -> Any:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(TABLE_ITEMS):
        dynamodb.put_item(TableName="t", Item={"pk": {"S": f"p{n}"}, "sk": {"S": "0"}, "v": {"N": str(n)}})
    return dynamodb


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "0"}}


def _cancelled_transaction(dynamodb: Any) -> None:
    """A put of a new item and an update of p1, then a condition that fails: all of it is cancelled."""
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {**_key("new"), "v": {"N": "-1"}}}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": _key("p1"),
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"N": "-1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": "t",
                        "Key": _key("p2"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )


def test_moto_keeps_no_message_it_has_deleted(aws: None) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    before = len(Message.instances_tracked)  # type: ignore[attr-defined]
    for n in range(30):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
        (received,) = sqs.receive_message(QueueUrl=url)["Messages"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=received["ReceiptHandle"])
    gc.collect()
    assert len(Message.instances_tracked) == before  # type: ignore[attr-defined]


def test_a_cancelled_transaction_puts_back_exactly_what_it_wrote(table: Any) -> None:
    _cancelled_transaction(table)

    assert "Item" not in table.get_item(TableName="t", Key=_key("new"))
    assert table.get_item(TableName="t", Key=_key("p1"))["Item"]["v"] == {"N": "1"}
    assert table.scan(TableName="t", Select="COUNT")["Count"] == TABLE_ITEMS


def test_a_transaction_that_goes_through_keeps_its_writes(table: Any) -> None:
    table.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": {**_key("new"), "v": {"N": "-1"}}}},
            {"Delete": {"TableName": "t", "Key": _key("p1")}},
        ]
    )

    assert table.get_item(TableName="t", Key=_key("new"))["Item"]["v"] == {"N": "-1"}
    assert "Item" not in table.get_item(TableName="t", Key=_key("p1"))
    assert table.scan(TableName="t", Select="COUNT")["Count"] == TABLE_ITEMS


def test_a_transaction_copies_the_items_it_names_not_the_whole_table(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = []
    item_deepcopy = Item.__deepcopy__

    def counted(self: Item, memo: dict[int, Any]) -> Item:
        copies.append(self)
        return item_deepcopy(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counted)

    _cancelled_transaction(table)

    # Three named items (one of them new, so nothing to copy), and moto's own copy for the update.
    assert len(copies) < 10, f"{len(copies)} item copies for a table of {TABLE_ITEMS}"


def test_sqs_still_counts_visible_delayed_and_in_flight_messages(aws: None) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)

    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert counts["ApproximateNumberOfMessages"] == "2"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"


def test_a_queue_remembers_only_the_newest_deleted_receipt_handles(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moto_bounds, "MAX_DELETED_RECEIPT_HANDLES", 5)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="bounded")["QueueUrl"]
    handle = ""
    for n in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
        handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)

    queue = sqs_backends["123456789012"][REGION].queues["bounded"]
    assert len(queue.deleted_messages) == 5
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)  # the newest: deleting it again still succeeds


def test_the_server_lists_motos_services_without_reading_the_disk_again(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.backends

    def no_disk(path: str) -> list[str]:
        raise AssertionError(f"listed {path} again")

    monkeypatch.setattr(moto.backends.os, "listdir", no_disk)

    assert {"dynamodb", "sqs", "secretsmanager"} <= set(moto.backends.list_of_moto_modules())


def test_a_recent_set_forgets_its_oldest_members_first() -> None:
    recent = RecentSet(3, ["a", "b", "c"])
    recent.add("a")  # "a" is the newest again
    recent.update(["d"])

    assert "b" not in recent
    assert sorted(recent) == ["a", "c", "d"]
