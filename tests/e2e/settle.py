"""Waiting until the devstack has nothing left to do, so that a test may assert that something did NOT happen.

A test that sleeps a fixed time and then asserts "no second notification" proves nothing on a busy
machine: the second notification may simply not have been sent yet. `Settle` waits on what can be
observed instead, and fails loudly (never passes quietly) if the devstack does not settle in time.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
import httpx

from devstack.config import REGION, resource_name
from devstack.launcher import DevstackProcess

SETTLE_TIMEOUT_SECONDS = (
    60.0  # generous: a loaded machine is slow, and waiting costs only a passing test time
)
POLL_SECONDS = 0.1
CONFIRM_AFTER_SECONDS = 0.3  # the pause before the second, confirming look
# In the order work flows through them. Their dead-letter queues are not watched: a parked message
# stays parked until an operator redrives it, so it is an end state, not work still to do.
QUEUES = ("halo-events", "notifications")
COUNTS = (
    "ApproximateNumberOfMessages",  # waiting to be received
    "ApproximateNumberOfMessagesNotVisible",  # received and being handled, or postponed for a retry
    "ApproximateNumberOfMessagesDelayed",  # sent with a delay
)


class Settle:
    """Call it to wait until no webhook, Halo event or PSP notification is still on its way.

    What it looks at, upstream first:

    1. The Halo simulator's `webhooksPending` (summed over its transactions): a webhook send counts
       from the moment the control API accepts it until halotap has answered it. halotap answers 200
       only after the webhook is on the halo-events queue.
    2. The halo-events queue, then 3. the notifications queue: every message, whether waiting,
       in flight (NotVisible) or delayed. moto keeps a message in one of those three counts from
       SendMessage until DeleteMessage (or its move to the DLQ); it computes them exactly, per call.

    Why one look in that order is sound for the queue-driven work: each stage hands its work on
    before it lets go of it. The simulator stops counting a webhook only after halotap queued it;
    the apply consumer publishes the PSP notification (SendMessage) before the poller deletes the
    halo-events record, and a record it postpones (RetryLater -> ChangeMessageVisibility) stays
    NotVisible on the queue; the deliverer POSTs to the sink (or, once exhausted, sends to the DLQ)
    before its record is deleted, and a retry is such a postponed record. So if stage 1 is empty at
    t1, halo-events at t2 >= t1 and notifications at t3 >= t2, nothing that was started before t1
    can still reach halotap's table, the queues or the sink: whatever it caused is already counted
    downstream or done.

    Why a second look a moment later: one path runs outside that chain. The reconcile ticker
    applies Halo's status and publishes a checkout's outbox straight onto the notifications queue,
    with no queue of its own to watch. Tests call this after the checkout is final and its outcome
    (or notification) has been observed, so the ticker has nothing left to publish; requiring two
    clean passes in a row also catches a publish that was already under way at the first look.

    What it does not cover: work a test starts afterwards, and webhooks sent outside the simulator
    (a test posting to halotap itself must wait for its own answers first; a 200 means queued).
    """

    def __init__(self, devstack: DevstackProcess) -> None:
        self.devstack = devstack
        self._sim = httpx.Client(base_url=devstack.halo_url, timeout=30, trust_env=False)
        self._sqs: Any = boto3.client(
            "sqs",
            endpoint_url=devstack.moto_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self._urls = {key: self._queue_url(key) for key in QUEUES}
        self._dlq_urls = {key: self._queue_url(f"{key}-dlq") for key in QUEUES}

    def _queue_url(self, key: str) -> str:
        return str(self._sqs.get_queue_url(QueueName=resource_name(key))["QueueUrl"])

    def _count(self, url: str) -> int:
        attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(COUNTS))["Attributes"]
        return sum(int(attributes.get(name, 0)) for name in COUNTS)

    def outstanding(self) -> dict[str, int]:
        """What is still on its way, looked at upstream first (the order matters; see the class docstring)."""
        transactions = self._sim.get("/_sim/transactions").json()
        counts = {"simulator webhooks": sum(tx["webhooksPending"] for tx in transactions)}
        for key in QUEUES:
            counts[key] = self._count(self._urls[key])
        return counts

    def dead_letters(self, key: str) -> int:
        """How many messages the `key` queue's DLQ holds."""
        return self._count(self._dlq_urls[key])

    def __call__(self, timeout: float = SETTLE_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        clean_looks = 0
        while True:
            outstanding = self.outstanding()
            if not any(outstanding.values()):
                clean_looks += 1
                if clean_looks == 2:
                    return
                time.sleep(CONFIRM_AFTER_SECONDS)
                continue
            clean_looks = 0
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the devstack did not settle within {timeout:.0f} s; still on its way: {outstanding}\n"
                    f"{self.devstack.log_tail()}"
                )
            time.sleep(POLL_SECONDS)
