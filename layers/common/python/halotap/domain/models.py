"""The checkout as halotap keeps it: plain frozen dataclasses, camelCase in their stored form.

How the API shows them is domain/views.py; how DynamoDB holds them is adapters/dynamo/items.py.

What the PSP sends is validated at the edge by pydantic's core (domain/requests.py). What is stored here
was written by halotap itself, so reading it back is a conversion, not a validation: no handler that only
reads or moves a checkout loads pydantic, which costs about half an `import boto3` of a cold start.
The OpenAPI document still describes these types and the views (infra/openapi.py asks pydantic for
their schema). How a record becomes a dict and back is domain/records.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from halotap.domain.money import from_minor
from halotap.domain.records import Record, _int, _record, _set, wire_name
from halotap.domain.states import CheckoutStatus

if TYPE_CHECKING:
    from halotap.domain.halo import Settlement
    from halotap.domain.requests import CreateRefundRequest

MAX_HISTORY_TEXT = 500  # characters of a history entry's detail; MAX_HISTORY (app/outcomes.py) caps entries
MAX_OUTCOME_TEXT = 128  # characters of each field of Halo's outcome (codes, ids, references)


def _cut(value: str | None, limit: int) -> str | None:
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry(Record):
    at: str
    type: str  # created | opened | status_changed | anomaly | creation_failed
    source: str  # api | halo_webhook | reconcile
    from_status: str | None = None  # "from" when stored
    to_status: str | None = None  # "to" when stored
    disposition: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        # Details quote what webhooks claimed: cut them, so no entry can grow a checkout towards 400 KB.
        _set(self, "disposition", _cut(self.disposition, MAX_HISTORY_TEXT))
        _set(self, "detail", _cut(self.detail, MAX_HISTORY_TEXT))


_OUTCOME_TEXT = (
    "disposition",
    "authorisation_code",
    "response_code",
    "halo_transaction_id",
    "payment_provider_reference",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome(Record):
    """What Halo said about the payment. Never card data: no PAN, no EMV tags."""

    disposition: str
    authorisation_code: str | None = None
    response_code: str | None = None
    halo_transaction_id: str | None = None
    payment_provider_reference: str | None = None
    # Halo's SDK error code, when the webhook or status gave one (300 NFC disabled, 318 card tap timeout...):
    # the hosted page tells the shopper what to do about it.
    error_code: int | None = None
    decided_at: str

    def __post_init__(self) -> None:
        for name in _OUTCOME_TEXT:
            _set(self, name, _cut(getattr(self, name), MAX_OUTCOME_TEXT))
        if self.error_code is not None:
            _set(self, "error_code", _int(self.error_code))


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationState(Record):
    """Where one PSP notification stands: pending -> queued -> retrying -> delivered | failed | gone."""

    type: str
    status: str
    attempts: int = 0
    created_at: str
    last_error: str | None = None
    last_status: int | None = None
    delivered_at: str | None = None
    next_attempt_at: str | None = None
    refund_id: str | None = None  # set for refund.* events: their data is this refund
    attempt_id: str | None = None  # set for checkout.attempt_failed: the attempt its data names

    def __post_init__(self) -> None:
        _set(self, "attempts", _int(self.attempts))
        if self.last_status is not None:
            _set(self, "last_status", _int(self.last_status))


@dataclass(frozen=True, slots=True, kw_only=True)
class SettlementKeys(Record):
    """What the acquirer reconciles the payment by, as Halo gave it (webhook or ledger): on the wire as
    `settlement`. Text, since Halo says only to "contact Halo to verify the exact structure"."""

    recon_reference: str | None = None
    acquirer_date: str | None = None
    acquirer_time: str | None = None
    transaction_fee: str | None = None  # a decimal string, as Halo's ledger writes it


def settlement_keys(settlement: Settlement) -> SettlementKeys:
    """Halo's settlement keys as the checkout stores them: text, the fee as a decimal string."""
    fee = settlement.transaction_fee
    return SettlementKeys(
        recon_reference=_cut(settlement.recon_reference, MAX_OUTCOME_TEXT),
        acquirer_date=_cut(settlement.acquirer_date, MAX_OUTCOME_TEXT),
        acquirer_time=_cut(settlement.acquirer_time, MAX_OUTCOME_TEXT),
        transaction_fee=None if fee is None else str(fee),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Attention(Record):
    """A checkout a person must look at: why, and since when (docs/operations.md has the runbook)."""

    reason: str
    detail: str
    since: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure(Record):
    code: str
    detail: str


class RefundStatus(StrEnum):
    PENDING = "pending"  # reserved; Halo's answer is not known yet (or not sent yet)
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundFailure(Record):
    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund(Record):
    id: str
    checkout_id: str
    amount: str
    currency: str
    reference: str
    status: RefundStatus
    failure: RefundFailure | None = None
    halo_reference: str | None = None
    reason: str | None = None
    # Set on a refund of another payment than the one the checkout kept (a duplicate approval): its id at Halo.
    halo_transaction_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: str
    updated_at: str
    # Bookkeeping, never on the wire:
    requested_amount: str | None = None  # as the PSP sent it (None: "what is left"), to tell a replay
    attempts: int = 0  # calls sent to Halo (counted before each is sent)
    next_attempt_at: str | None = None  # when reconciliation retries a pending refund

    def __post_init__(self) -> None:
        _set(self, "status", RefundStatus(self.status))
        if isinstance(self.failure, dict):
            _set(self, "failure", RefundFailure.from_dict(self.failure))
        _set(self, "attempts", _int(self.attempts))

    def same_request(self, request: CreateRefundRequest) -> bool:
        return (self.requested_amount, self.reason, self.metadata) == (
            request.amount,
            request.reason,
            request.metadata,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt(Record):
    """One Halo transaction of a checkout (issue 19): a deep link the shopper may tap, and what became of it.

    `id` is the paymentReference halotap gave Halo: the checkout id for the first, `<checkoutId>.<n>` after.
    """

    id: str
    halo_reference: str | None = None  # None while Halo is being asked for the link
    deep_link: str | None = None
    status: str  # open | approved | declined | failed | voided | refunded (domain/attempts.py)
    disposition: str | None = None
    error_code: int | None = None
    created_at: str
    # Bookkeeping, never on the wire:
    halo_transaction_id: str | None = None
    duplicate_refund: str | None = None  # the refund of this attempt's approval, when another was kept
    lost: bool = False  # Halo was asked but its link never reached anyone: not a try, not counted

    def __post_init__(self) -> None:
        if self.error_code is not None:
            _set(self, "error_code", _int(self.error_code))


_COUNTERS = (
    "version",
    "max_attempts",
    "checks",
    "reserved_minor",
    "refunded_minor",
    "refund_count",
    "watch_checks",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkout(Record):
    id: str
    client_id: str
    merchant_id: str
    # Copied from the merchant's secret at create time, so the shopper's page is one GetItem and its
    # function reads no secret. A later rename shows on new checkouts only.
    merchant_name: str | None = None
    merchant_locale: str | None = None
    reference: str
    amount: str
    currency: str
    status: CheckoutStatus
    deep_link: str | None = None
    halo_reference: str | None = None
    return_url: str | None = None
    notification_url: str | None = None
    fallback_url: str | None = None  # where the page sends a shopper who cannot use the Halo app
    locale: str | None = None  # the shopper's language (BCP 47), as the create gave it
    is_consumer_app: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    outcome: Outcome | None = None
    notifications: dict[str, NotificationState] = field(default_factory=dict)  # by event id (webhook-id)
    replaced_status: CheckoutStatus | None = None
    failure: Failure | None = None
    expires_at: str
    created_at: str
    updated_at: str
    history: tuple[HistoryEntry, ...] = ()
    version: int = 0
    due_at: str | None = None  # when reconciliation next looks at it; None once nothing is left to do
    checks: int = 0  # how many times reconciliation asked Halo, for its backoff
    # The create asked for a QR code: GET shows one while the checkout is open. Only the wish is stored;
    # the image is drawn again from the deep link, so the item stays far from DynamoDB's 400 KB.
    wants_qr_code: bool = False

    halo_transaction_id: str | None = (
        None  # Halo's backend transaction id, stored when an approval is confirmed
    )
    # Refunds live in the item, so that reserving one is a single conditional write (domain/refunds.py).
    refunds: dict[str, Refund] = field(default_factory=dict)  # by refund id
    refund_references: dict[str, str] = field(default_factory=dict)  # PSP refund reference -> refund id
    reserved_minor: int = 0  # minor units held by pending + succeeded refunds
    refunded_minor: int = 0  # minor units of succeeded refunds
    refund_count: int = 0
    # What the acquirer reconciles by, once Halo gave it (the webhook's paymentProviderFields, or the ledger).
    settlement: SettlementKeys | None = None
    # Watching after final (domain/watch.py): when the change that made the checkout final happened, how
    # many of the watch schedule's checks were made since, and when the next one is due (None: not watched).
    watch_from: str | None = None
    watch_checks: int = 0
    watch_due: str | None = None
    # An Indeterminate outcome is flagged for a person if nothing else has replaced it by this time.
    attention_due: str | None = None
    needs_attention: Attention | None = None
    # Attempts (domain/attempts.py): a checkout stored before them has none and reads as one attempt.
    max_attempts: int = 1
    attempts: tuple[Attempt, ...] = ()

    def __post_init__(self) -> None:
        """Nested records arrive as dicts when read back from the table; counters as Decimal."""
        _set(self, "status", CheckoutStatus(self.status))
        if self.replaced_status is not None:
            _set(self, "replaced_status", CheckoutStatus(self.replaced_status))
        if isinstance(self.outcome, dict):
            _set(self, "outcome", Outcome.from_dict(self.outcome))
        if isinstance(self.failure, dict):
            _set(self, "failure", Failure.from_dict(self.failure))
        if isinstance(self.settlement, dict):
            _set(self, "settlement", SettlementKeys.from_dict(self.settlement))
        if isinstance(self.needs_attention, dict):
            _set(self, "needs_attention", Attention.from_dict(self.needs_attention))
        _set(self, "history", tuple(_record(HistoryEntry, entry) for entry in self.history))
        _set(self, "attempts", tuple(_record(Attempt, entry) for entry in self.attempts))
        _set(
            self,
            "notifications",
            {key: _record(NotificationState, entry) for key, entry in self.notifications.items()},
        )
        _set(self, "refunds", {key: _record(Refund, entry) for key, entry in self.refunds.items()})
        for name in _COUNTERS:
            _set(self, name, _int(getattr(self, name)))

    def refund_total(self) -> str:
        return from_minor(self.refunded_minor, self.currency)


__all__ = [
    "Attempt",
    "Attention",
    "Checkout",
    "Failure",
    "HistoryEntry",
    "NotificationState",
    "Outcome",
    "Record",
    "Refund",
    "RefundFailure",
    "RefundStatus",
    "SettlementKeys",
    "settlement_keys",
    "wire_name",
]
