"""The ports the use cases talk through. Adapters (halotap.adapters) implement them; tests hand in fakes.

Only what a use case calls is declared here, so a fake needs nothing else (tests/memory holds them).
The checkout store speaks checkouts, never attribute paths: `CheckoutRepository` says which writes it
offers and why those three.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from halotap.domain.deliveries import DeliveryAttempt
from halotap.domain.endpoints import Endpoint
from halotap.domain.events import Event
from halotap.domain.halo import DeepLink, HaloLedgerEntry, HaloTransaction, RefundAnswer
from halotap.domain.models import Checkout, HistoryEntry, Refund
from halotap.domain.money import Money
from halotap.domain.parties import Client, MerchantCredentials


class CheckoutRepository(Protocol):
    """Checkouts as stored, spoken in the domain's terms: no attribute names, no update expressions.

    A use case reads a checkout, builds the one it wants with `checkout.but(...)`, and hands both over.
    Three writes cover every change, each with the condition that makes it safe:

    - `save(before, after, history)`: the general write, conditional on `before.version`. Only what
      differs between the two is written, and the maps several writers fill (notifications, refunds,
      refund references) per entry, so no write clobbers an entry it did not change. A lost race is
      `ConcurrentUpdate`; the caller re-reads and decides again (`halotap.app.races`).
    - `reserve_refund(checkout, refund)`: conditional on the rule, not on the version (the checkout
      approved, the reference new, the total within the amount), so racing refunds fit or fail on the
      totals as they are. None if the refund does not fit; the caller re-reads to say why.
    - `settle_refund(checkout, settled, refund_id)`: Halo's answer on a refund, conditional on that refund
      still being pending, so refunds of one checkout never contend with each other and a refund is
      settled (and its notification queued) once; the totals move by additions. None if it was settled
      meanwhile. (docs/architecture.md, "Refunds", says why the version would be the wrong condition.)

    A named operation per change (`mark_notification`, `record_attempt`, ...) would give each write its own
    adapter code and its own fake; they all share one condition, so `save` is that condition once, and
    the named writes are exactly those whose condition differs.
    """

    def insert(self, checkout: Checkout) -> None: ...
    def get(self, checkout_id: str) -> Checkout | None: ...
    def checkout_id_for_reference(self, merchant_id: str, reference: str) -> str | None: ...
    def find_by_halo_reference(self, halo_reference: str) -> Checkout | None: ...
    def save(self, before: Checkout, after: Checkout, history: Sequence[HistoryEntry] = ()) -> Checkout: ...
    def reserve_refund(self, checkout: Checkout, refund: Refund) -> Checkout | None: ...
    def settle_refund(self, checkout: Checkout, settled: Checkout, refund_id: str) -> Checkout | None: ...
    def due(self, shard: int, now: str, limit: int) -> list[Checkout]: ...
    def release_reference(self, checkout: Checkout) -> None: ...


class CheckoutIndex(Protocol):
    """A merchant's checkouts by creation time, newest first: the listing's only read."""

    def by_merchant(
        self,
        merchant_id: str,
        *,
        statuses: tuple[str, ...],
        window: tuple[str | None, str | None],
        limit: int,
        after: dict[str, str] | None,
    ) -> tuple[list[Checkout], dict[str, str] | None]: ...


class EventRecorder(Protocol):
    """Each client's event feed: `record` places an event once, in commit order, and returns the record."""

    def record(self, event: Event) -> Event: ...


class EventFeed(EventRecorder, Protocol):
    def get(self, event_id: str) -> Event | None: ...
    def after(
        self, client_id: str, sequence: int, limit: int, types: tuple[str, ...]
    ) -> tuple[list[Event], int]: ...


class CircuitState(Protocol):
    @property
    def is_open(self) -> bool: ...


class Halo(Protocol):
    """Halo's backend, called with one merchant's credentials."""

    @property
    def breaker(self) -> CircuitState: ...

    def create_deep_link(
        self,
        merchant: MerchantCredentials,
        *,
        payment_reference: str,
        money: Money,
        is_consumer_app: bool,
        want_qr: bool,
    ) -> DeepLink: ...

    def transaction(self, merchant: MerchantCredentials, reference: str) -> HaloTransaction | None: ...

    def refund(
        self, merchant: MerchantCredentials, transaction_id: str, *, money: Money, refund_reference: str
    ) -> RefundAnswer: ...

    def history(
        self,
        merchant: MerchantCredentials,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        merchant_reference: str | None = None,
        page_size: int = 500,
    ) -> Iterator[HaloLedgerEntry]:
        """Halo's transaction history (`GET /transactions`), page by page as it is read: never a whole
        day in memory. `start` and `end` bound `createdAt` (both inclusive)."""
        ...


class Secrets(Protocol):
    def merchant(self, merchant_id: str) -> MerchantCredentials: ...
    def clients(self) -> list[Client]: ...
    def webhook_tokens(self) -> list[str]: ...
    def cursor_key(self) -> bytes: ...


class EndpointStore(Protocol):
    """A client's stored webhook endpoints, signing secrets readable (adapters/dynamo/endpoints.py keeps
    them encrypted). The default endpoint's stored record holds only what the PSP changed about it."""

    def list(self, client_id: str) -> list[Endpoint]: ...
    def get(self, client_id: str, endpoint_id: str) -> Endpoint | None: ...
    def add(self, endpoint: Endpoint, limit: int) -> bool:
        """Store a new endpoint; False, storing nothing, when the client has `limit` stored already."""
        ...

    def put(self, endpoint: Endpoint) -> None: ...
    def remove(self, client_id: str, endpoint_id: str) -> bool: ...
    def mark_failing(self, client_id: str, endpoint_id: str, since: str) -> None:
        """Note the first failure since the last success; nothing if one is noted already."""
        ...

    def mark_working(self, client_id: str, endpoint_id: str) -> None: ...
    def disable(self, client_id: str, endpoint_id: str, failing_since: str, at: str) -> bool:
        """Disable the endpoint if it is enabled and still failing since `failing_since`: True once."""
        ...


class DeliveryLog(Protocol):
    """Every attempt at every event (adapters/deliveries.py), kept as long as its event."""

    def add(self, event_id: str, attempt: DeliveryAttempt) -> None: ...
    def attempts(self, event_id: str) -> list[DeliveryAttempt]: ...
    def delivered_to(self, event_id: str) -> set[str]: ...


class Queue(Protocol):
    def send(self, body: str) -> None: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...
