"""The checkout and the request/response shapes of the PSP-facing API (camelCase on the wire)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from halotap.domain.money import Money, MoneyError, from_minor, minor_digits
from halotap.domain.states import CheckoutStatus

MERCHANT_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
REFERENCE_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
MAX_METADATA_PAIRS = 20
MAX_METADATA_KEY = 40
MAX_METADATA_VALUE = 500
# What to send, for a field whose pattern failed: a caller should read an example, not a regular expression.
PATTERN_HINTS = {
    "merchantId": "must be 1 to 64 letters, digits, '.', '_' or '-', such as \"demo-merchant\"",
    "reference": "must be 1 to 64 letters, digits, '.', '_', ':' or '-', such as \"order-1042\"",
    "currency": 'must be an ISO 4217 alpha-3 code in capitals, such as "ZAR"',
    "amount": 'must be a decimal string such as "149.99"',
    "notificationUrl": "must be an absolute URL starting with https://",
}
DEFAULT_EXPIRY_SECONDS = 1800


def _https_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an absolute https:// URL")
    if len(value) > 2048:
        raise ValueError("must be at most 2048 characters")
    return value


def _metadata(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_METADATA_PAIRS:
        raise ValueError(f"may hold at most {MAX_METADATA_PAIRS} pairs")
    for key, item in value.items():
        if not 1 <= len(key) <= MAX_METADATA_KEY:
            raise ValueError(f"key {key[:MAX_METADATA_KEY]!r} must be 1 to {MAX_METADATA_KEY} characters")
        if len(item) > MAX_METADATA_VALUE:
            raise ValueError(f"value of {key!r} must be at most {MAX_METADATA_VALUE} characters")
    return value


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class CreateCheckoutRequest(ApiModel):
    merchant_id: Annotated[
        StrictStr, Field(pattern=MERCHANT_ID_PATTERN, description="A merchant your API key may use.")
    ]
    reference: Annotated[
        StrictStr, Field(pattern=REFERENCE_PATTERN, description="Your own reference, unique per merchant.")
    ]
    # Declared before amount, because amount is checked against it.
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 alpha-3 code.")]
    amount: Annotated[
        StrictStr,
        Field(
            pattern=r"^(0|[1-9][0-9]*)(\.[0-9]+)?$",
            description='A decimal string with exactly the currency\'s minor digits: "100.01" ZAR, "100" JPY.',
        ),
    ]
    return_url: (
        Annotated[
            StrictStr, AfterValidator(_https_url), Field(description="https URL to send the shopper back to.")
        ]
        | None
    ) = None
    expires_in_seconds: Annotated[
        StrictInt, Field(ge=60, le=86400, description="How long the checkout stays open.")
    ] = DEFAULT_EXPIRY_SECONDS
    qr_code: Annotated[StrictBool, Field(description="Add a QR code image (data URI) of the deep link.")] = (
        False
    )
    is_consumer_app: Annotated[StrictBool, Field(description="Passed to Halo.")] = False
    metadata: Annotated[
        dict[
            Annotated[StrictStr, Field(min_length=1, max_length=MAX_METADATA_KEY)],
            Annotated[StrictStr, Field(max_length=MAX_METADATA_VALUE)],
        ],
        AfterValidator(_metadata),
        Field(
            max_length=MAX_METADATA_PAIRS,
            description="Up to 20 string pairs, returned as given: keys 1 to 40 characters, values up to 500.",
        ),
    ] = Field(default_factory=dict)
    # Checked against SSRF by the service, which can resolve the host; here it only has to be a URL.
    notification_url: (
        Annotated[
            StrictStr,
            Field(
                max_length=2048,
                pattern=r"^https?://",
                description="Overrides your client's notification URL for this checkout (https, public address).",
            ),
        ]
        | None
    ) = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, currency: str) -> str:
        try:
            minor_digits(currency)
        except MoneyError as error:
            raise ValueError(str(error)) from None
        return currency

    @field_validator("amount")
    @classmethod
    def _amount_fits_currency(cls, amount: str, info: ValidationInfo) -> str:
        currency = info.data.get("currency")
        if currency is None:
            return amount  # the currency's own error is reported; an amount cannot be judged without it
        try:
            Money.parse(amount, currency)
        except MoneyError as error:
            raise ValueError(str(error)) from None
        return amount

    @property
    def money(self) -> Money:
        return Money.parse(self.amount, self.currency)


MAX_HISTORY_TEXT = 500  # characters of a history entry's detail; MAX_HISTORY (app/outcomes.py) caps entries
MAX_OUTCOME_TEXT = 128  # characters of each field of Halo's outcome (codes, ids, references)


def _cut(value: str | None, limit: int) -> str | None:
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


class HistoryEntry(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)

    at: str
    type: str  # created | opened | status_changed | anomaly | creation_failed
    source: str  # api | halo_webhook | reconcile
    from_status: str | None = Field(default=None, alias="from")
    to_status: str | None = Field(default=None, alias="to")
    disposition: str | None = None
    detail: str | None = None

    @field_validator("disposition", "detail")
    @classmethod
    def _bounded(cls, value: str | None) -> str | None:
        """Details quote what webhooks claimed: cut them, so no entry can grow a checkout towards 400 KB."""
        return _cut(value, MAX_HISTORY_TEXT)


class Outcome(ApiModel):
    """What Halo said about the payment. Never card data: no PAN, no EMV tags."""

    disposition: str
    authorisation_code: str | None = None
    response_code: str | None = None
    halo_transaction_id: str | None = None
    payment_provider_reference: str | None = None
    decided_at: str

    @field_validator(
        "disposition",
        "authorisation_code",
        "response_code",
        "halo_transaction_id",
        "payment_provider_reference",
    )
    @classmethod
    def _bounded(cls, value: str | None) -> str | None:
        return _cut(value, MAX_OUTCOME_TEXT)


class NotificationState(ApiModel):
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


class Failure(ApiModel):
    code: str
    detail: str


class RefundStatus(StrEnum):
    PENDING = "pending"  # reserved; Halo's answer is not known yet (or not sent yet)
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundFailure(ApiModel):
    code: str
    message: str


class Refund(ApiModel):
    id: str
    checkout_id: str
    amount: str
    currency: str
    reference: str
    status: RefundStatus
    failure: RefundFailure | None = None
    halo_reference: str | None = None
    reason: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    created_at: str
    updated_at: str
    # Bookkeeping, never on the wire:
    requested_amount: str | None = None  # as the PSP sent it (None: "what is left"), to tell a replay
    attempts: int = 0  # calls sent to Halo (counted before each is sent)
    next_attempt_at: str | None = None  # when reconciliation retries a pending refund

    def to_api(self) -> dict[str, Any]:
        return self.model_dump(
            mode="json",
            by_alias=True,
            exclude={"requested_amount", "attempts", "next_attempt_at"},
            exclude_none=True,
        )

    def same_request(self, request: CreateRefundRequest) -> bool:
        return (self.requested_amount, self.reason, self.metadata) == (
            request.amount,
            request.reason,
            request.metadata,
        )


class CreateRefundRequest(ApiModel):
    reference: Annotated[
        StrictStr, Field(pattern=REFERENCE_PATTERN, description="Your refund reference, unique per checkout.")
    ]
    amount: (
        Annotated[
            StrictStr,
            Field(
                pattern=r"^(0|[1-9][0-9]*)(\.[0-9]+)?$",
                description="A decimal string with the currency's minor digits. Default: what is left.",
            ),
        ]
        | None
    ) = None
    reason: Annotated[StrictStr, Field(max_length=500, description="Why, for your own records.")] | None = (
        None
    )
    metadata: Annotated[
        dict[StrictStr, StrictStr],
        AfterValidator(_metadata),
        Field(description="Up to 20 string pairs, returned as given."),
    ] = Field(default_factory=dict)


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
)


class Checkout(ApiModel):
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
    is_consumer_app: bool = False
    metadata: dict[str, str] = Field(default_factory=dict)
    outcome: Outcome | None = None
    notifications: dict[str, NotificationState] = Field(default_factory=dict)  # by event id (webhook-id)
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
    refunds: dict[str, Refund] = Field(default_factory=dict)  # by refund id
    refund_references: dict[str, str] = Field(default_factory=dict)  # PSP refund reference -> refund id
    reserved_minor: int = 0  # minor units held by pending + succeeded refunds
    refunded_minor: int = 0  # minor units of succeeded refunds
    refund_count: int = 0

    def refund_total(self) -> str:
        return from_minor(self.refunded_minor, self.currency)

    def to_api(self, pay_url: str | None = None) -> dict[str, Any]:
        """The checkout as GET returns it. Bookkeeping fields stay internal.

        While it is open it also says how to pay, so a PSP that lost the create response can still send
        the shopper on: the deep link, halotap's hosted page (`pay_url`) and the QR code if one was asked for.
        """
        body = self.model_dump(
            mode="json",
            by_alias=True,
            exclude=set(INTERNAL_FIELDS) | {"notifications", "refunds"},
            exclude_none=True,
        )
        if self.status is CheckoutStatus.OPEN and self.deep_link:
            if pay_url:
                body["payUrl"] = pay_url
            if self.wants_qr_code:
                from halotap.domain.qr import svg_data_uri

                body["qrCode"] = svg_data_uri(self.deep_link)
        body.setdefault("outcome", None)
        body["amountRefunded"] = self.refund_total()
        body["refunds"] = [
            refund.to_api() for refund in sorted(self.refunds.values(), key=lambda r: (r.created_at, r.id))
        ]
        body["notifications"] = [
            {"eventId": event_id, **state.model_dump(mode="json", by_alias=True, exclude_none=True)}
            for event_id, state in sorted(self.notifications.items(), key=lambda pair: pair[1].created_at)
        ]
        return body


class CheckoutCreated(ApiModel):
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
    pay_url: str | None = (
        None  # halotap's hosted page for this checkout: QR code on a desktop, button on a phone
    )
    return_url: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
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
            metadata=checkout.metadata,
            expires_at=checkout.expires_at,
            created_at=checkout.created_at,
            updated_at=checkout.updated_at,
        )
