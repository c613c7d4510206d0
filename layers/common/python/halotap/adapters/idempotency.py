"""Idempotency-Key for the POSTs that create (checkouts, refunds), through Powertools idempotency in DynamoDB.

The key is scoped to the PSP client, so two clients can never collide. The request body is the
validated payload: the same key with a different body is refused rather than replayed. `answer_once`
is the whole flow each handler runs, so the rules and the one "replayed" flag live here only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from halotap.domain.errors import (
    DependencyUnavailable,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidRequest,
)
from halotap.domain.timing import IDEMPOTENCY_RETENTION_SECONDS

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, as Stripe allows; up to 255 characters

Operation = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class IdempotentAnswer:
    """What a create answers: its status and body, and whether it is an earlier answer sent again."""

    status: int
    body: dict[str, Any]
    replayed: bool = False  # the PSP is told with Idempotent-Replayed: true, so it does not count it twice

    def replay_headers(self) -> dict[str, str]:
        return {"idempotent-replayed": "true"} if self.replayed else {}

    def record(self) -> dict[str, Any]:
        return {"statusCode": self.status, "body": self.body, "replayed": self.replayed}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> IdempotentAnswer:
        return cls(record["statusCode"], record["body"], replayed=bool(record.get("replayed")))


def answer_once(
    key: str | None,
    runner: Callable[[], IdempotentRunner],
    *,
    client_id: str,
    request: dict[str, Any],
    operation: Callable[[], IdempotentAnswer],
    lambda_context: Any,
) -> IdempotentAnswer:
    """Runs `operation` once per (client, key) and replays its first answer; without a key, just runs it.

    `runner` is asked for only when a key came, so a request without one never loads Powertools'
    idempotency or touches its table. 422 for the key on another body, 409 while the first still runs.
    """
    if key is None:
        return operation()
    record = runner().run(
        client_id=client_id,
        key=check_key(key),
        request=request,
        operation=lambda _: operation().record(),
        lambda_context=lambda_context,
    )
    return IdempotentAnswer.from_record(record)


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise InvalidRequest(
            "Idempotency-Key must be 1 to 255 printable ASCII characters", field="Idempotency-Key"
        )
    return key


class IdempotentRunner:
    """Runs an operation at most once per (client, key); replays its first successful answer."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        if client is None:
            from halotap.adapters import aws

            client = aws.dynamodb()
        self.config = IdempotencyConfig(
            event_key_jmespath="[clientId, key]",
            payload_validation_jmespath="request",
            expires_after_seconds=IDEMPOTENCY_RETENTION_SECONDS,
            hash_function="sha256",
            response_hook=lambda answer, _record: {**answer, "replayed": True},
        )
        persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        self._run = idempotent_function(
            self._call,
            data_keyword_argument="call",
            persistence_store=persistence,
            config=self.config,
        )

    @staticmethod
    def _call(call: dict[str, Any], operation: Operation) -> dict[str, Any]:
        return operation(call["request"])

    def run(
        self, *, client_id: str, key: str, request: dict[str, Any], operation: Operation, lambda_context: Any
    ) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
            IdempotencyValidationError,
        )

        self.config.register_lambda_context(lambda_context)
        try:
            answer: dict[str, Any] = self._run(
                call={"clientId": client_id, "key": key, "request": request}, operation=operation
            )
        except IdempotencyAlreadyInProgressError:
            raise IdempotencyInProgress(
                "the first request with this Idempotency-Key is still running; retry in a few seconds"
            ) from None
        except IdempotencyValidationError:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was first used with a different body; use a new key for a new checkout"
            ) from None
        except IdempotencyPersistenceLayerError as error:
            raise DependencyUnavailable(
                "the idempotency store could not be reached; retry with the same key"
            ) from error
        return answer
