"""Halo's webhook intake: authenticate by path token, check the shape, queue the raw event.

Nothing is processed here: the event is durable on SQS before Halo hears 200, so a slow Halo or a
DynamoDB hiccup behind the queue can never lose it. If it cannot be queued, Halo hears a 5xx, so the
event is not acknowledged as taken.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from halotap.app.ports import Queue, Secrets
from halotap.domain.clock import iso, utc_now
from halotap.domain.errors import Unauthorized
from halotap.domain.halo import check_shape
from halotap.domain.parties import token_matches


@dataclass
class HaloWebhookIntake:
    secret_store: Secrets
    queue: Queue
    clock: Callable[[], datetime] = utc_now

    def receive(self, token: str, body: str | None, request_id: str) -> dict[str, Any]:
        """Queue one webhook; returns its checked payload. Unauthorized for a wrong token."""
        if not token_matches(token, self.secret_store.webhook_tokens()):
            raise Unauthorized("unknown webhook token")
        payload = check_shape(body)
        message = {"receivedAt": iso(self.clock()), "requestId": request_id, "payload": body}
        self.queue.send(json.dumps(message))
        return payload
