"""The pull side of the webhooks: every notification halotap sends is also an event in its client's feed.

An event is the webhook exactly: the same id (the `webhook-id`) and the same JSON body. `sequence` is its
place in the client's feed, allocated in commit order (see halotap/adapters/events.py and
docs/architecture.md): a PSP that polls after the last sequence it saw never misses an event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    id: str  # the webhook-id, evt_<checkout>_<version>
    client_id: str
    checkout_id: str
    type: str
    body: str  # the webhook's exact JSON: {"type", "timestamp", "data"}
    sequence: int = 0  # 0 until the feed has placed it

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, **json.loads(self.body)}


def event_from_checkout(checkout_id: str, client_id: str, event_id: str, body: str) -> Event:
    return Event(
        id=event_id, client_id=client_id, checkout_id=checkout_id, type=json.loads(body)["type"], body=body
    )
