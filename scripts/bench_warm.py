"""`make bench`'s warm figures (parts get, create, intake and calls): the real handlers, warm, in this
process, against moto's server and the Halo simulator (scripts/local_stack.py), each against the raw calls
it makes; and the exact AWS calls each operation makes, against DESIGN.md's budget.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from scripts.bench_figures import CallCheck, Figure, Plan, clock, interleave, progress
from scripts.local_stack import Stack


def _expect(answer: dict[str, Any], status: int, what: str) -> dict[str, Any]:
    if answer.get("statusCode") != status:
        raise RuntimeError(f"{what} answered {answer.get('statusCode')}, not {status}: {answer.get('body')}")
    return answer


class Operations:
    """The three API operations, as API Gateway would invoke their handlers."""

    def __init__(self, stack: Stack) -> None:
        from functions.create_checkout import handler as create_handler
        from functions.get_checkout import handler as get_handler
        from functions.halo_webhook import handler as webhook_handler
        from tests.fakes import FakeLambdaContext

        self.stack = stack
        self._create, self._get, self._webhook = (
            create_handler.handler,
            get_handler.handler,
            webhook_handler.handler,
        )
        self.context = FakeLambdaContext()

    def create_event(self) -> dict[str, Any]:
        from tests.fakes import api_event

        body = {
            "merchantId": self.stack.merchant_id,
            "reference": f"bench-{uuid.uuid4().hex[:16]}",
            "amount": "12.50",
            "currency": "ZAR",
        }
        return api_event("POST", "/v1/checkouts", body=body)

    def create(self, event: dict[str, Any] | None = None) -> str:
        answer = _expect(self._create(event or self.create_event(), self.context), 201, "create")
        return str(json.loads(answer["body"])["id"])

    def get_event(self, checkout_id: str) -> dict[str, Any]:
        from tests.fakes import api_event

        return api_event(
            "GET",
            f"/v1/checkouts/{checkout_id}",
            resource="/v1/checkouts/{id}",
            path_params={"id": checkout_id},
        )

    def get(self, event: dict[str, Any]) -> None:
        _expect(self._get(event, self.context), 200, "get")

    def webhook_event(self, checkout_id: str) -> dict[str, Any]:
        from tests.fakes import api_event

        token = self.stack.webhook_token
        body = {"merchantReference": checkout_id, "disposition": "Approved", "amount": "12.50"}
        return api_event(
            "POST",
            f"/v1/halo/webhooks/{token}",
            resource="/v1/halo/webhooks/{token}",
            path_params={"token": token},
            body=body,
        )

    def webhook(self, event: dict[str, Any]) -> None:
        _expect(self._webhook(event, self.context), 200, "webhook")


def _warm(actions: Sequence[Callable[[], object]], times: int) -> None:
    for _ in range(times):
        for action in actions:
            action()


# -- 2. warm GET ------------------------------------------------------------------------------------


def warm_get(stack: Stack, ops: Operations, plan: Plan) -> Figure:
    from halotap.adapters.dynamodb import checkout_key
    from halotap.settings import settings

    checkout_id = ops.create()
    event = ops.get_event(checkout_id)
    dynamodb = stack.raw("dynamodb")
    table = settings().checkouts_table

    def raw_get() -> None:
        if "Item" not in dynamodb.get_item(
            TableName=table, Key=checkout_key(checkout_id), ConsistentRead=True
        ):
            raise RuntimeError("the baseline read found no item")

    _warm([lambda: ops.get(event), raw_get], plan.warmups)
    progress(f"warm GET ({plan.get} + {plan.get} calls)")
    subject, baseline = interleave(lambda: clock(lambda: ops.get(event)), lambda: clock(raw_get), plan.get)
    return Figure(
        "warm GET /v1/checkouts/{id}",
        subject,
        baseline,
        "a read through halotap costs this many raw GetItems",
    )


# -- 3. warm create ---------------------------------------------------------------------------------


def warm_create(stack: Stack, ops: Operations, plan: Plan) -> Figure:
    import httpx

    from halotap.settings import settings

    dynamodb = stack.raw("dynamodb")
    table = settings().checkouts_table
    # A stored checkout as the template for the baseline's put, so both write items of the same size.
    template = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"checkout#{ops.create()}"}})["Item"]
    halo = httpx.Client()  # one keep-alive pool, as the handler's container has
    halo_url = f"{stack.halo_url}/consumer/applink"  # the devstack's default endpoint
    headers = {"x-api-key": stack.halo_api_key, "accept": "application/json"}

    def raw_create() -> None:
        new_id = f"chk_{uuid.uuid4().hex}"
        reference = f"bench-{uuid.uuid4().hex[:16]}"
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {**template, "pk": {"S": f"checkout#{new_id}"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {
                            "pk": {"S": f"ref#{stack.merchant_id}#{reference}"},
                            "checkoutId": {"S": new_id},
                            "createdAt": template["createdAt"],
                            "ttl": template["ttl"],
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
        body = {
            "merchantId": stack.halo_merchant_id,
            "paymentReference": new_id,
            "amount": "12.50",
            "timestamp": "2026-01-01T00:00:00.000Z",
            "currencyCode": "ZAR",
            "isConsumerApp": False,
            "image": {"required": False},
        }
        link = halo.post(halo_url, json=body, headers=headers)
        link.raise_for_status()
        # ...and the conditional UpdateItem that opens it with Halo's answer (stored first, by design).
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": f"checkout#{new_id}"}},
            UpdateExpression="SET haloReference = :ref, deepLink = :url, version = :next",
            ConditionExpression="version = :current",
            ExpressionAttributeValues={
                ":ref": {"S": link.json()["reference"]},
                ":url": {"S": link.json()["url"]},
                ":current": template["version"],
                ":next": {"N": str(int(template["version"]["N"]) + 1)},
            },
        )

    def subject() -> float:
        event = ops.create_event()  # a new reference each time; building it is not timed
        return clock(lambda: ops.create(event))

    try:
        _warm([ops.create, raw_create], plan.warmups)
        progress(f"warm create ({plan.create} + {plan.create} calls)")
        subjects, baselines = interleave(subject, lambda: clock(raw_create), plan.create)
    finally:
        halo.close()
    return Figure(
        "warm POST /v1/checkouts",
        subjects,
        baselines,
        "a create costs this many (2-put transaction + Halo POST + UpdateItem)s",
    )


# -- 4. webhook intake ------------------------------------------------------------------------------


def webhook_intake(stack: Stack, ops: Operations, plan: Plan) -> Figure:
    from halotap.settings import settings

    event = ops.webhook_event("chk_bench")
    sqs = stack.raw("sqs")
    queue_url = settings().halo_events_queue_url
    message = json.dumps(
        {"receivedAt": "2026-01-01T00:00:00.000000Z", "requestId": "bench", "payload": event["body"]}
    )

    def raw_send() -> None:
        sqs.send_message(QueueUrl=queue_url, MessageBody=message)

    def on_empty_queue(action: Callable[[], object]) -> Callable[[], float]:
        # moto's SendMessage slows as its queue grows, so every sample starts from an empty one.
        def sample() -> float:
            sqs.purge_queue(QueueUrl=queue_url)  # untimed
            return clock(action)

        return sample

    _warm([lambda: ops.webhook(event), raw_send], plan.warmups)
    progress(f"webhook intake ({plan.intake} + {plan.intake} calls)")
    subject, baseline = interleave(
        on_empty_queue(lambda: ops.webhook(event)), on_empty_queue(raw_send), plan.intake
    )
    return Figure(
        "webhook intake",
        subject,
        baseline,
        "taking a Halo webhook costs this many raw SendMessages",
    )


# -- 5. AWS calls per operation ---------------------------------------------------------------------


class AwsCalls:
    """Counts every call halotap's own DynamoDB, SQS and Secrets Manager clients make."""

    SERVICES = {"dynamodb": "DynamoDB", "sqs": "SQS", "secretsmanager": "SecretsManager"}

    def __init__(self) -> None:
        from halotap.adapters import aws
        from tests.fakes import CallCounter

        self._clients = {label: getattr(aws, name)() for name, label in self.SERVICES.items()}
        self._counters = {label: CallCounter(client) for label, client in self._clients.items()}

    def during(self, action: Callable[[], object]) -> list[str]:
        for counter in self._counters.values():
            counter.reset()
        action()
        return [f"{label}.{call}" for label, counter in self._counters.items() for call in counter.calls]

    def close(self) -> None:
        for label, counter in self._counters.items():
            self._clients[label].meta.events.unregister("before-call.*.*", counter._record)


def aws_calls(ops: Operations) -> list[CallCheck]:
    checkout_id = ops.create()  # also fills the secrets cache: the next create is a warm one
    get_event, webhook_event = ops.get_event(checkout_id), ops.webhook_event(checkout_id)
    ops.get(get_event)
    ops.webhook(webhook_event)
    progress("AWS calls per operation")
    counter = AwsCalls()
    try:
        read = counter.during(lambda: ops.get(get_event))
        intake = counter.during(lambda: ops.webhook(webhook_event))
        create = counter.during(ops.create)
    finally:
        counter.close()
    secrets_reads = [call for call in create if call.startswith("SecretsManager.")]
    return [
        CallCheck("GET /v1/checkouts/{id}", read, "exactly DynamoDB.GetItem", read == ["DynamoDB.GetItem"]),
        CallCheck("webhook intake", intake, "exactly SQS.SendMessage", intake == ["SQS.SendMessage"]),
        CallCheck("warm POST /v1/checkouts", create, "no SecretsManager call", not secrets_reads),
    ]
