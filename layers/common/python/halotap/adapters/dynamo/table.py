"""One DynamoDB client wrapper with one error mapping, used by every adapter that calls DynamoDB.

What each failure means to a caller, decided once:
- a throttling or server error (after botocore's own retries) or an unreachable endpoint is
  `DependencyUnavailable`, which the API answers 503 with Retry-After and a queue consumer retries;
- a failed condition is `ConcurrentUpdate`: the item is not what the caller read (or assumed);
- anything else (a malformed request, a missing table) is a bug, and is raised as it came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from halotap.domain.errors import ConcurrentUpdate, DependencyUnavailable

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

# Every code DynamoDB uses for "too much, slow down": as an error, and as a transaction's cancellation reason.
THROTTLED = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
    }
)
UNAVAILABLE = THROTTLED | {"InternalServerError", "ServiceUnavailable"}
CONDITION_FAILED = "ConditionalCheckFailedException"


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def cancellation_reasons(error: Any) -> list[dict[str, Any]]:
    return list(error.response.get("CancellationReasons") or [])


class Table:
    """One table and its client (built on first use: importing boto3 costs a cold start ~160 ms)."""

    def __init__(self, name: str | Callable[[], str], client: Any = None) -> None:
        self._name = name
        self._client = client

    @property
    def name(self) -> str:
        return self._name() if callable(self._name) else self._name

    @property
    def client(self) -> Any:
        if self._client is None:
            from halotap.adapters import aws

            self._client = aws.dynamodb()
        return self._client

    def call(self, operation: str, **kwargs: Any) -> Any:
        """One DynamoDB call, its failures mapped as the module says."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as error:
            code = error_code(error)
            if code in UNAVAILABLE:
                raise DependencyUnavailable("DynamoDB is throttling or unavailable; retry shortly") from error
            if code == CONDITION_FAILED:
                raise ConcurrentUpdate("the item is not as it was read") from error
            raise
        except BotoCoreError as error:
            raise DependencyUnavailable("DynamoDB could not be reached; retry shortly") from error

    def transact(self, items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """Run a transaction: None if it committed, else its cancellation reasons (one per item).

        Reasons that are all throttling become `DependencyUnavailable` here; the caller reads the rest
        (a failed condition, a conflict with another transaction) since only it knows what they mean.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.transact_write_items(TransactItems=items)
            return None
        except ClientError as error:
            code = error_code(error)
            if code in UNAVAILABLE:
                raise DependencyUnavailable("DynamoDB is throttling or unavailable; retry shortly") from error
            if code != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(error)
            codes = {str(reason.get("Code")) for reason in reasons}
            if "ConditionalCheckFailed" not in codes and codes & THROTTLED:
                raise DependencyUnavailable("DynamoDB is throttling; retry shortly", retryAfter=1) from error
            return reasons
        except BotoCoreError as error:
            raise DependencyUnavailable("DynamoDB could not be reached; retry shortly") from error
