"""Queue pollers: the local stand-in for Lambda's SQS event-source mapping, a few threads per consumer.

Each consumer gets `POLLERS_PER_QUEUE` threads (its manifest `max_concurrency` if lower), each with
one batch of up to `batch_size` (at most 10) records in hand, as Lambda runs several batches at once:
a batch waiting on a slow Halo does not hold up the queue. They share one interpreter, so more threads
would only queue for the GIL.

Each batch becomes a Lambda SQS event. Records the handler reports in `batchItemFailures` stay on
the queue (ReportBatchItemFailures); the rest are deleted. If the handler raises, or names a record
that was not in the batch, nothing is deleted. Kept records come back after the visibility timeout
and moto moves them to the DLQ after the redrive policy's maxReceiveCount.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

import boto3

from devstack import lambda_runtime
from devstack.lambda_events import sqs_event
from infra import manifest

log = logging.getLogger("devstack.pollers")

ERROR_PAUSE_SECONDS = 1.0
POLLERS_PER_QUEUE = 2
# How long stop() waits for a poller to finish the batch in hand; a handler still running after that is
# abandoned (the process is exiting). Every poller is told to stop before the first one is waited for.
STOP_JOIN_SECONDS = 1.0


def records_to_delete(messages: Sequence[dict[str, Any]], result: Any) -> list[dict[str, Any]]:
    """The messages the event-source mapping deletes after the handler returned `result`."""
    # Lambda's rules: no answer or no failures is complete success; an unreadable answer, complete failure.
    failures = (result or {}).get("batchItemFailures") or [] if isinstance(result, dict | None) else None
    if not isinstance(failures, list):
        log.error("the handler's answer is not a batch response (%r); keeping the whole batch", result)
        return []
    ids = {message["MessageId"] for message in messages}
    failed = {failure.get("itemIdentifier") if isinstance(failure, dict) else None for failure in failures}
    if not failed <= ids:
        log.error(
            "batchItemFailures names records not in the batch (%s); keeping the whole batch", failed - ids
        )
        return []
    return [message for message in messages if message["MessageId"] not in failed]


class QueuePoller:
    """A devstack part: long-polls one queue and invokes one function with each batch."""

    def __init__(
        self,
        spec: manifest.Function,
        *,
        invoke: lambda_runtime.Invoker = lambda_runtime.invoke,
        wait_seconds: int = 1,
        workers: int = POLLERS_PER_QUEUE,
    ) -> None:
        if spec.queue is None:
            raise ValueError(f"{spec.name} consumes no queue")
        self.name = f"poller:{spec.name}"
        self._spec, self._queue = spec, manifest.queue(spec.queue)
        self._invoke, self._wait_seconds = invoke, wait_seconds
        self.workers = max(1, min(workers, spec.max_concurrency or workers))
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sqs: Any = None
        self._queue_url = self._queue_arn = ""

    def connect(self) -> None:
        """Finds the queue (its URL is in the function's environment); start() does this first."""
        self._sqs = boto3.client("sqs")  # on the main thread: boto3's default session is not thread-safe
        self._queue_url = os.environ[self._queue.env]
        attributes = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])
        self._queue_arn = attributes["Attributes"]["QueueArn"]

    def start(self) -> None:
        self.connect()
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._run, name=f"{self.name}-{n}", daemon=True)
            for n in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def request_stop(self) -> None:
        """Tells every worker to stop after the batch in hand (Devstack.stop tells every part first)."""
        self._stopping.set()

    def stop(self) -> None:
        self.request_stop()
        deadline = time.monotonic() + STOP_JOIN_SECONDS
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []

    def check(self) -> None:
        if not self._threads or not all(thread.is_alive() for thread in self._threads):
            raise RuntimeError(f"{self.name} is not running")

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:
                log.exception("%s failed; retrying", self.name)
                self._stopping.wait(ERROR_PAUSE_SECONDS)

    def poll_once(self) -> int:
        """Receives one batch, invokes the handler, deletes what succeeded; returns the batch size."""
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=min(self._spec.batch_size, 10),
            WaitTimeSeconds=self._wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            result = self._invoke(self._spec, sqs_event(messages, self._queue_arn))
        except Exception:
            log.exception(
                "%s raised; all %d records return after the visibility timeout",
                self._spec.name,
                len(messages),
            )
            return len(messages)
        done = records_to_delete(messages, result)
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        log.info(
            "%s: %d records, %d done, %d kept",
            self._spec.name,
            len(messages),
            len(done),
            len(messages) - len(done),
        )
        return len(messages)
