"""The checkout as halotap stores it and shows it: plain frozen dataclasses, camelCase on the wire.

What the PSP sends is validated at the edge by pydantic's core (domain/requests.py). What is stored here
was written by halotap itself, so reading it back is a conversion, not a validation: no handler that only
reads or moves a checkout loads pydantic, which costs about half an `import boto3` of a cold start.
The OpenAPI document still describes these types (infra/openapi.py asks pydantic for their schema).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Self, TypeVar

from halotap.domain.money import from_minor
from halotap.domain.states import CheckoutStatus

if TYPE_CHECKING:
    from halotap.domain.halo import Settlement
    from halotap.domain.requests import CreateRefundRequest

# A field's name in the table and on the wire, where it is not the camelCase of its Python name.
_WIRE_NAMES = {"from_status": "from", "to_status": "to"}


def wire_name(name: str) -> str:
    """`halo_transaction_id` -> `haloTransactionId`; `from_status` -> `from`."""
    if name in _WIRE_NAMES:
        return _WIRE_NAMES[name]
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _plain(value: Any) -> Any:
    """A value as JSON (and DynamoDB) takes it: enums by value, records as dicts, tuples as lists."""
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


class Record:
    """A stored value: `to_dict` and `from_dict` speak its camelCase form, leaving out what is None."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            key: _plain(value)
            for name, key in _wire_fields(type(self))
            if (value := getattr(self, name)) is not None
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Self:
        """Read back a stored (or sent) dict. Keys may be camelCase or Python names; unknown keys are
        ignored, so an item written by a newer release still reads."""
        by_key = _by_key(cls)
        return cls(**{by_key[key]: value for key, value in values.items() if key in by_key})

    def but(self, **changes: Any) -> Self:
        """A copy with `changes` (the dataclass is frozen)."""
        return replace(self, **changes)  # type: ignore[type-var]


_WIRE_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {}
_BY_KEY: dict[type, dict[str, str]] = {}


def _wire_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """(Python name, wire name) of each field of a record class, worked out once per class."""
    found = _WIRE_FIELDS.get(cls)
    if found is None:
        found = _WIRE_FIELDS[cls] = tuple((f.name, wire_name(f.name)) for f in fields(cls))
    return found


def _by_key(cls: type) -> dict[str, str]:
    """Python name by wire name, and by itself (a dict may use either)."""
    found = _BY_KEY.get(cls)
    if found is None:
        pairs = _wire_fields(cls)
        found = _BY_KEY[cls] = {**{name: name for name, _ in pairs}, **{key: name for name, key in pairs}}
    return found


R = TypeVar("R", bound="Record")


def _int(value: Any) -> int:
    """DynamoDB gives numbers back as Decimal; counters are whole numbers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise TypeError(f"expected a whole number, not {value!r}")


def _set(record: object, name: str, value: Any) -> None:
    object.__setattr__(record, name, value)


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


# A refund's bookkeeping, never on the wire.
REFUND_INTERNAL_FIELDS = ("requested_amount", "attempts", "next_attempt_at")


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

    def to_api(self) -> dict[str, Any]:
        body = self.to_dict()
        for name in REFUND_INTERNAL_FIELDS:
            body.pop(wire_name(name), None)
        return body

    def same_request(self, request: CreateRefundRequest) -> bool:
        return (self.requested_amount, self.reason, self.metadata) == (
            request.amount,
            request.reason,
            request.metadata,
        )


# Stored with the checkout, never shown to the PSP: bookkeeping, and the merchant as the page shows it.
INTERNAL_FIELDS = (
    "version",
    "client_id",
    "due_at",
    "checks",
    "merchant_name",
    "merchant_locale",
    "wants_qr_code",
    "refund_references",
    "reserved_minor",
    "refunded_minor",
    "refund_count",
    "watch_from",
    "watch_checks",
    "watch_due",
    "attention_due",
)
_NOT_IN_VIEW = frozenset(wire_name(name) for name in (*INTERNAL_FIELDS, "notifications", "refunds"))
_COUNTERS = ("version", "checks", "reserved_minor", "refunded_minor", "refund_count", "watch_checks")


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

    def to_api(self, pay_url: str | None = None) -> dict[str, Any]:
        """The checkout as GET returns it. Bookkeeping fields stay internal.

        While it is open it also says how to pay, so a PSP that lost the create response can still send
        the shopper on: the deep link, halotap's hosted page (`pay_url`) and the QR code if one was asked for.
        """
        body = {key: value for key, value in self.to_dict().items() if key not in _NOT_IN_VIEW}
        if self.status is CheckoutStatus.OPEN and self.deep_link:
            if pay_url:
                body["payUrl"] = pay_url
            if self.wants_qr_code:
                from halotap.domain.qr import svg_data_uri

                body["qrCode"] = svg_data_uri(self.deep_link)
        body.setdefault("outcome", None)
        body.setdefault("settlement", None)
        body.setdefault("needsAttention", None)
        body["amountRefunded"] = self.refund_total()
        body["refunds"] = [
            refund.to_api() for refund in sorted(self.refunds.values(), key=lambda r: (r.created_at, r.id))
        ]
        body["notifications"] = [
            {"eventId": event_id, **state.to_dict()}
            for event_id, state in sorted(self.notifications.items(), key=lambda pair: pair[1].created_at)
        ]
        return body


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutCreated(Record):
    """The 201 body of POST /v1/checkouts."""

    id: str
    status: CheckoutStatus
    merchant_id: str
    reference: str
    amount: str
    currency: str
    deep_link: str
    halo_reference: str
    qr_code: str | None = None
    # halotap's hosted page for this checkout: a QR code on a desktop, a button on a phone
    pay_url: str | None = None
    return_url: str | None = None
    fallback_url: str | None = None
    locale: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    expires_at: str
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, checkout: Checkout, qr_code: str | None) -> CheckoutCreated:
        assert checkout.deep_link
        assert checkout.halo_reference
        return cls(
            id=checkout.id,
            status=checkout.status,
            merchant_id=checkout.merchant_id,
            reference=checkout.reference,
            amount=checkout.amount,
            currency=checkout.currency,
            deep_link=checkout.deep_link,
            halo_reference=checkout.halo_reference,
            qr_code=qr_code,
            return_url=checkout.return_url,
            fallback_url=checkout.fallback_url,
            locale=checkout.locale,
            metadata=checkout.metadata,
            expires_at=checkout.expires_at,
            created_at=checkout.created_at,
            updated_at=checkout.updated_at,
        )


def _record(cls: type[R], value: R | dict[str, Any]) -> R:
    return cls.from_dict(value) if isinstance(value, dict) else value
