"""The checkout store's contract runs against each store: in memory, and DynamoDB's (moto, in process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.aws import atomic_dynamodb_in_process
from devstack.provision import create_table
from halotap.adapters.dynamodb import CheckoutStore
from infra import manifest
from tests.memory.store import MemoryCheckoutStore

CHECKOUTS = next(table for table in manifest.TABLES if table.env == "CHECKOUTS_TABLE")


# Package-scoped: torn down once the contract has run, so no other package's moto meets its table.
@pytest.fixture(scope="package")
def moto_checkouts() -> Iterator[tuple[Any, str]]:
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    atomic_dynamodb_in_process()  # one DynamoDB request at a time, as the service is atomic per item
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        yield client, create_table(client, CHECKOUTS)
    os.environ.clear()
    os.environ.update(saved)


def _emptied(client: Any, table: str) -> None:
    for page in client.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk"):
        for item in page["Items"]:
            client.delete_item(TableName=table, Key={"pk": item["pk"]})


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryCheckoutStore()
    client, table = request.getfixturevalue("moto_checkouts")
    _emptied(client, table)
    return CheckoutStore(table, client=client)
