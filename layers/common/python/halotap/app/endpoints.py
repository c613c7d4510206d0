"""The PSP's own webhook endpoints: create, read, change, delete, rotate a secret, ping, recover.

Rules are domain/endpoints.py's; delivery is app/notifications.py's. A change here takes effect on the
next attempt: the deliverer reads the endpoints at each one (docs/architecture.md, "Webhook endpoints").
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from halotap.app.events import PingResult
from halotap.app.fanout import EndpointDirectory
from halotap.app.notifications import Poster
from halotap.app.ports import CheckoutRepository, DeliveryLog, EndpointStore, EventFeed, Queue
from halotap.domain import endpoints as rules
from halotap.domain import signing, timing
from halotap.domain.clock import iso, utc_now
from halotap.domain.endpoints import DEFAULT_ENDPOINT_ID, Endpoint
from halotap.domain.errors import EndpointLimitReached, EndpointNotFound, InvalidRequest
from halotap.domain.notifications import NotificationMessage
from halotap.domain.parties import Caller
from halotap.domain.ssrf import UnsafeUrl

_FEED_PAGE = 100


@dataclass
class EndpointService:
    store: EndpointStore
    directory: EndpointDirectory
    url_guard: Callable[[str], None]  # the SSRF guard every notification URL passes (domain/ssrf.py)
    post: Poster
    feed: EventFeed
    log: DeliveryLog
    checkouts: CheckoutRepository
    notifications: Queue
    rotation_overlap: timedelta = timing.SECRET_ROTATION_OVERLAP
    clock: Callable[[], datetime] = utc_now
    monotonic: Callable[[], float] = time.monotonic
    new_id: Callable[[], str] = rules.new_endpoint_id

    # -- read ------------------------------------------------------------------------------------------
    def list(self, caller: Caller) -> list[Endpoint]:
        return self.directory.all(caller.client_id)

    def get(self, caller: Caller, endpoint_id: str) -> Endpoint:
        found = (
            self.directory.find(caller.client_id, endpoint_id) if rules.is_endpoint_id(endpoint_id) else None
        )
        if found is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id!r}")
        return found

    # -- change ----------------------------------------------------------------------------------------
    def create(self, caller: Caller, body: Any) -> Endpoint:
        fields = rules.checked_fields(body, ("url", "enabledEvents", "description"), ("url", "enabledEvents"))
        events = rules.checked_events(fields["enabledEvents"])  # before the URL's DNS lookup: cheap first
        endpoint = Endpoint(
            client_id=caller.client_id,
            id=self.new_id(),
            url=self._safe(fields["url"]),
            enabled_events=events,
            description=rules.checked_description(fields.get("description")),
            created_at=iso(self.clock()),
            secrets=(rules.new_signing_secret(),),
        )
        has_default = self.directory.find(caller.client_id, DEFAULT_ENDPOINT_ID) is not None
        if not self.store.add(endpoint, rules.MAX_ENDPOINTS - (1 if has_default else 0)):
            raise EndpointLimitReached(
                f"a client may have {rules.MAX_ENDPOINTS} webhook endpoints; delete one to add another"
            )
        return endpoint

    def update(self, caller: Caller, endpoint_id: str, body: Any) -> Endpoint:
        fields = rules.checked_fields(body, ("url", "enabledEvents", "description", "status"))
        stored = self._stored(caller, endpoint_id)
        changes: dict[str, Any] = {}
        if "url" in fields:
            changes["url"] = self._safe(fields["url"])
        if "enabledEvents" in fields:
            changes["enabled_events"] = rules.checked_events(fields["enabledEvents"])
        if "description" in fields:
            changes["description"] = rules.checked_description(fields["description"])
        if "status" in fields:
            changes["status"] = rules.checked_status(fields["status"])
            if changes["status"] == rules.ENABLED:
                changes.update(failing_since=None, disabled_at=None)  # re-enabled: its failing starts anew
            elif stored.status != rules.DISABLED:
                changes["disabled_at"] = iso(self.clock())
        self.store.put(stored.but(**changes))
        return self.get(caller, endpoint_id)

    def delete(self, caller: Caller, endpoint_id: str) -> None:
        stored = self._stored(caller, endpoint_id)
        if endpoint_id == DEFAULT_ENDPOINT_ID:
            # The URL stays in the operator's clients secret: a tombstone keeps it from being listed or used.
            self.store.put(stored.but(status=rules.DELETED))
        elif not self.store.remove(caller.client_id, endpoint_id):
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id!r}")

    def rotate_secret(self, caller: Caller, endpoint_id: str) -> Endpoint:
        """A new secret, shown once; the old ones sign beside it for `rotation_overlap`."""
        current = self.get(caller, endpoint_id)
        stored = self._stored(caller, endpoint_id)
        now = self.clock()
        rotated = stored.but(
            secrets=(rules.new_signing_secret(),),
            previous=current.secrets,
            previous_until=iso(now + self.rotation_overlap),
        )
        self.store.put(rotated)
        return self.get(caller, endpoint_id).but(secrets=rotated.secrets)

    # -- deliver ---------------------------------------------------------------------------------------
    def ping(self, caller: Caller, endpoint_id: str) -> PingResult:
        """A signed `ping` to this endpoint now (even a disabled one: checking it is how it gets fixed)."""
        endpoint = self.get(caller, endpoint_id)
        if not endpoint.url or not endpoint.secrets:
            raise InvalidRequest("this endpoint has no URL or signing secret")
        now = self.clock()
        body = json.dumps(
            {
                "type": "ping",
                "timestamp": iso(now),
                "data": {"clientId": caller.client_id, "endpointId": endpoint.id},
            },
            separators=(",", ":"),
        ).encode()
        ping_id = f"evt_ping_{uuid.uuid4().hex}"
        started = self.monotonic()
        headers = signing.headers(endpoint.signing_secrets(now), ping_id, int(now.timestamp()), body)
        attempt = self.post(endpoint.url, body, headers)
        latency = int((self.monotonic() - started) * 1000)
        return PingResult(attempt.outcome == "delivered", attempt.status, latency, attempt.error)

    def recover(self, caller: Caller, endpoint_id: str, body: Any) -> int:
        """Enable the endpoint again and queue to it every event since `since` it wants and has not had,
        each under its own webhook-id. Returns how many were queued."""
        fields = rules.checked_fields(body, ("since",), ("since",))
        since = _since(fields["since"], self.clock())
        stored = self._stored(caller, endpoint_id)
        if stored.status != rules.ENABLED or stored.failing_since is not None:
            self.store.put(stored.but(status=rules.ENABLED, failing_since=None, disabled_at=None))
        endpoint = self.get(caller, endpoint_id)
        queued = 0
        position = 0
        while True:
            events, position_after = self.feed.after(caller.client_id, position, _FEED_PAGE, ())
            for event in events:
                if json.loads(event.body).get("timestamp", "") < since or not endpoint.wants(event.type):
                    continue
                if endpoint.id in self.log.delivered_to(event.id) or self._own_url(event.checkout_id):
                    continue
                message = NotificationMessage.of_event(event, replay=True).to_endpoint(endpoint.id)
                self.notifications.send(message.to_json())
                queued += 1
            if not events or position_after == position:
                return queued
            position = position_after

    # -- helpers ---------------------------------------------------------------------------------------
    def _stored(self, caller: Caller, endpoint_id: str) -> Endpoint:
        """What is stored for the endpoint: for we_default only the PSP's changes (maybe nothing yet)."""
        self.get(caller, endpoint_id)  # 404 for an endpoint that is not the caller's
        stored = self.store.get(caller.client_id, endpoint_id)
        if stored is not None:
            return stored
        return Endpoint(client_id=caller.client_id, id=DEFAULT_ENDPOINT_ID, url=None)

    def _own_url(self, checkout_id: str) -> bool:
        """A checkout with its own notificationUrl never sent its events to the client's endpoints."""
        if not checkout_id:
            return False
        checkout = self.checkouts.get(checkout_id)
        return checkout is not None and bool(checkout.notification_url)

    def _safe(self, value: Any) -> str:
        url = rules.checked_url(value)
        try:
            self.url_guard(url)
        except UnsafeUrl as error:
            raise InvalidRequest(f"url: {error}", errors=[{"field": "url", "message": str(error)}]) from None
        return url


def _since(value: Any, now: datetime) -> str:
    """`since` as the feed's timestamps are written (UTC, milliseconds), so they compare as text."""
    if not isinstance(value, str):
        raise InvalidRequest("since: must be an RFC 3339 date-time", errors=[_field("an RFC 3339 date-time")])
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidRequest(
            "since: must be an RFC 3339 date-time", errors=[_field("an RFC 3339 date-time")]
        ) from None
    if moment.tzinfo is None:
        raise InvalidRequest("since: needs a time zone offset or Z", errors=[_field("needs a time zone")])
    if moment < now - timing.EVENT_RETENTION:
        raise InvalidRequest(
            "since: events are kept 30 days; nothing older can be recovered", errors=[_field("too old")]
        )
    return iso(moment)


def _field(message: str) -> dict[str, str]:
    return {"field": "since", "message": message}
