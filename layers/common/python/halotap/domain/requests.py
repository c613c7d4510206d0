"""What the PSP sends and the create's answer: pydantic models at the edge (camelCase on the wire).

Only what parses the PSP's input imports this module, and with it pydantic (about half an `import boto3`
of a cold start): the create and refund handlers, and a list's query (domain/listing.py, loaded when a list
is asked for). The stored checkout (domain/models.py) is plain dataclasses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

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

from halotap.domain.money import Money, MoneyError, minor_digits
from halotap.domain.states import CheckoutStatus

if TYPE_CHECKING:
    from halotap.domain.models import Checkout

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
