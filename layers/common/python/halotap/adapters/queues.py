"""SQS queues: send a message, or hide a received one for a while. The client is created on first use.

SDK failures become `DependencyUnavailable`, so a caller upstream (an API answer, a batch record) sees one
retryable error and never a botocore type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from halotap.domain.errors import DependencyUnavailable


class SqsQueue:
    """A queue by URL. The URL may be given as a function, read on first use: a function that never
    sends to this queue never needs (or is given) its URL."""

    def __init__(self, queue_url: str | Callable[[], str], client: Any = None) -> None:
        self._url = queue_url
        self._client = client

    @property
    def queue_url(self) -> str:
        if callable(self._url):
            self._url = self._url()
        return self._url

    @property
    def client(self) -> Any:
        if self._client is None:
            from halotap.adapters import aws

            self._client = aws.sqs()
        return self._client

    def send(self, body: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.send_message(QueueUrl=self.queue_url, MessageBody=body)
        except (BotoCoreError, ClientError) as error:
            raise DependencyUnavailable("a message could not be queued; retry shortly") from error

    def postpone(self, receipt_handle: str, seconds: int) -> None:
        """Hand a received message back to the queue after `seconds`, instead of its visibility timeout."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
            )
        except (BotoCoreError, ClientError) as error:
            raise DependencyUnavailable("a message's next attempt could not be scheduled") from error
