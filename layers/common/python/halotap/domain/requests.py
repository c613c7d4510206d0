"""What the PSP sends: the two request bodies, validated at the edge by pydantic's core (camelCase on the wire).

Each body is a frozen dataclass with a pydantic-core schema beside it, built here once at import. That is
pydantic v2's own validation engine, so a bad body fails with pydantic's `ValidationError`, at the same
locations as a `BaseModel`'s, and the 400 names each field in the same words
(adapters/apigateway.validation_problem maps the two error types a dataclass reports differently). What
it skips is
pydantic's Python layer (`BaseModel` and its schema generator): about 40 ms of CPU, close to a third of
an `import boto3`, on every cold start of the create and refund handlers (docs/performance.md, the
"Cold import" notes under "One run").
The OpenAPI document is generated from these same schemas (infra/openapi.py), so the contract and the
check cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

from pydantic_core import CoreConfig, SchemaValidator
from pydantic_core import core_schema as cs

from halotap.domain.models import wire_name
from halotap.domain.money import Money, MoneyError, minor_digits

MERCHANT_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
REFERENCE_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
AMOUNT_PATTERN = r"^(0|[1-9][0-9]*)(\.[0-9]+)?$"
MAX_METADATA_PAIRS = 20
MAX_METADATA_KEY = 40
MAX_METADATA_VALUE = 500
MAX_URL = 2048
# A BCP 47 language tag as a browser writes one: language, then optional script, region and variants.
LOCALE_PATTERN = (
    r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$"
)
MAX_LOCALE = 35
# What to send, for a field whose pattern failed: a caller should read an example, not a regular expression.
PATTERN_HINTS = {
    "merchantId": "must be 1 to 64 letters, digits, '.', '_' or '-', such as \"demo-merchant\"",
    "reference": "must be 1 to 64 letters, digits, '.', '_', ':' or '-', such as \"order-1042\"",
    "currency": 'must be an ISO 4217 alpha-3 code in capitals, such as "ZAR"',
    "amount": 'must be a decimal string such as "149.99"',
    "notificationUrl": "must be an absolute URL starting with https://",
    "locale": 'must be a BCP 47 language tag such as "de-DE" or "zu"',
}
DEFAULT_EXPIRY_SECONDS = 1800


# -- checks beyond a pattern: each raises ValueError, which pydantic reports against its field --------------


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an absolute https:// URL")
    return value


def _metadata(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_METADATA_PAIRS:
        raise ValueError(f"may hold at most {MAX_METADATA_PAIRS} pairs")
    return value


def _known_currency(currency: str) -> str:
    try:
        minor_digits(currency)
    except MoneyError as error:
        raise ValueError(str(error)) from None
    return currency


def _amount_fits_currency(amount: str, info: cs.ValidationInfo) -> str:
    currency = info.data.get("currency")
    if currency is None:
        return amount  # the currency's own error is reported; an amount cannot be judged without it
    try:
        Money.parse(amount, currency)
    except MoneyError as error:
        raise ValueError(str(error)) from None
    return amount


# -- the schema's parts ----------------------------------------------------------------------------------

_REQUIRED = object()  # a field with no default


def _text(pattern: str | None = None, max_length: int | None = None, min_length: int | None = None) -> Any:
    """A JSON string, and only a string: strict, so 100.01 is refused where "100.01" is meant."""
    return cs.str_schema(strict=True, pattern=pattern, max_length=max_length, min_length=min_length)


def _metadata_schema() -> Any:
    pairs = cs.dict_schema(
        keys_schema=_text(min_length=1, max_length=MAX_METADATA_KEY),
        values_schema=_text(max_length=MAX_METADATA_VALUE),
        strict=True,
    )
    # The count is checked by _metadata, to say it in the API's words; the document still states the bound.
    return cs.no_info_after_validator_function(
        _metadata, pairs, metadata={"pydantic_js_updates": {"maxProperties": MAX_METADATA_PAIRS}}
    )


def _field(
    name: str,
    schema: Any,
    description: str,
    *,
    default: Any = _REQUIRED,
    default_factory: Callable[[], Any] | None = None,
    shown_default: Any = _REQUIRED,
) -> cs.DataclassField:
    """One field: sent under its camelCase name (or its Python name), described for the OpenAPI document."""
    if default_factory is not None:
        schema = cs.with_default_schema(schema, default_factory=default_factory)
    elif default is not _REQUIRED:
        schema = cs.with_default_schema(schema, default=default)
    return cs.dataclass_field(
        name,
        schema,
        kw_only=True,
        validation_alias=wire_name(name),
        metadata={
            "pydantic_js_updates": {
                "description": description,
                **({} if shown_default is _REQUIRED else {"default": shown_default}),
            }
        },
    )


class Body:
    """A request body: `validate` parses the PSP's JSON, `wire` gives it back in its camelCase form."""

    __slots__ = ()
    SCHEMA: ClassVar[cs.CoreSchema]
    _validator: ClassVar[SchemaValidator]

    @classmethod
    def validate(cls, payload: object) -> Self:
        """The body, or pydantic's ValidationError naming every bad field."""
        found: Self = cls._validator.validate_python(payload)
        return found

    # Fields added after the fingerprint's shape was fixed: left out of it while unset, so that a retry with
    # the same Idempotency-Key that straddles the deploy adding them still matches its first request.
    ADDED_LATER: ClassVar[frozenset[str]] = frozenset()

    def wire(self) -> dict[str, Any]:
        """Every field, camelCase, None included (but for ADDED_LATER ones while None): what the
        Idempotency-Key's fingerprint is taken over."""
        return {
            wire_name(f.name): value
            for f in fields(self)  # type: ignore[arg-type]
            if (value := getattr(self, f.name)) is not None or f.name not in self.ADDED_LATER
        }


def _bind(cls: type[Body], *schema_fields: cs.DataclassField) -> None:
    """Attach the validating schema to `cls`: unknown fields refused, camelCase or Python names taken."""
    name = cls.__name__
    cls.SCHEMA = cs.dataclass_schema(
        cls,
        cs.dataclass_args_schema(name, list(schema_fields), extra_behavior="forbid"),
        [f["name"] for f in schema_fields],
        slots=True,
        frozen=True,
        config=CoreConfig(
            title=name, extra_fields_behavior="forbid", validate_by_alias=True, validate_by_name=True
        ),
    )
    cls._validator = SchemaValidator(cls.SCHEMA)


# -- the bodies -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateCheckoutRequest(Body):
    """The body of POST /v1/checkouts."""

    merchant_id: str
    reference: str
    currency: str
    amount: str
    return_url: str | None = None
    expires_in_seconds: int = DEFAULT_EXPIRY_SECONDS
    qr_code: bool = False
    is_consumer_app: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    notification_url: str | None = None
    fallback_url: str | None = None
    locale: str | None = None
    max_attempts: int | None = None  # None is 1: a body without it fingerprints as it did before

    ADDED_LATER: ClassVar[frozenset[str]] = frozenset({"fallback_url", "locale", "max_attempts"})  # issue 19

    @property
    def money(self) -> Money:
        return Money.parse(self.amount, self.currency)


_bind(
    CreateCheckoutRequest,
    _field("merchant_id", _text(MERCHANT_ID_PATTERN), "A merchant your API key may use."),
    _field("reference", _text(REFERENCE_PATTERN), "Your own reference, unique per merchant."),
    # Declared before amount, because amount is checked against it.
    _field(
        "currency",
        cs.no_info_after_validator_function(_known_currency, _text(CURRENCY_PATTERN)),
        "ISO 4217 alpha-3 code.",
    ),
    _field(
        "amount",
        cs.with_info_after_validator_function(_amount_fits_currency, _text(AMOUNT_PATTERN)),
        'A decimal string with exactly the currency\'s minor digits: "100.01" ZAR, "100" JPY.',
    ),
    _field(
        "return_url",
        cs.nullable_schema(cs.no_info_after_validator_function(_https_url, _text(max_length=MAX_URL))),
        "https URL to send the shopper back to.",
        default=None,
    ),
    _field(
        "expires_in_seconds",
        cs.int_schema(strict=True, ge=60, le=86400),
        "How long the checkout stays open, in seconds.",
        default=DEFAULT_EXPIRY_SECONDS,
    ),
    _field(
        "qr_code",
        cs.bool_schema(strict=True),
        "Add a QR code image (data URI) of the deep link.",
        default=False,
    ),
    _field("is_consumer_app", cs.bool_schema(strict=True), "Passed to Halo.", default=False),
    _field(
        "metadata",
        _metadata_schema(),
        "Up to 20 string pairs, returned as given: keys 1 to 40 characters, values up to 500.",
        default_factory=dict,
    ),
    # Checked against SSRF by the service, which can resolve the host; here it only has to be a URL.
    _field(
        "notification_url",
        cs.nullable_schema(_text(r"^https?://", max_length=MAX_URL)),
        "Overrides your client's notification URL for this checkout (https, public address).",
        default=None,
    ),
    _field(
        "fallback_url",
        cs.nullable_schema(cs.no_info_after_validator_function(_https_url, _text(max_length=MAX_URL))),
        "https URL of another way to pay, offered on the hosted page to shoppers who cannot use the Halo "
        "app (an iPhone, or a computer): it gets `checkoutId` added to its query.",
        default=None,
    ),
    _field(
        "locale",
        cs.nullable_schema(_text(LOCALE_PATTERN, max_length=MAX_LOCALE)),
        "The shopper's language, a BCP 47 tag such as \"de-DE\": the hosted page's words and number format. "
        "Without it the shopper's browser decides (Accept-Language), else English.",
        default=None,
    ),
    _field(
        "max_attempts",
        # Left out, it is 1; held as None, so a body without it fingerprints as before (ADDED_LATER).
        cs.with_default_schema(
            cs.int_schema(strict=True, ge=1, le=5),
            metadata={"pydantic_js_updates": {"default": 1}},
        ),
        "How many times the shopper may try to pay (1 to 5, default 1): after a declined or failed attempt "
        "the checkout stays open and a new attempt (POST /v1/checkouts/{id}/attempts, or the page's "
        '"Try again") gets a new deep link.',
        # Left out, it is 1; held as None, so a body without it fingerprints as before (ADDED_LATER).
        default=None,
        shown_default=1,
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateRefundRequest(Body):
    """The body of POST /v1/checkouts/{id}/refunds."""

    reference: str
    amount: str | None = None
    reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


_bind(
    CreateRefundRequest,
    _field("reference", _text(REFERENCE_PATTERN), "Your refund reference, unique per checkout."),
    _field(
        "amount",
        cs.nullable_schema(_text(AMOUNT_PATTERN)),
        "A decimal string with the currency's minor digits. Default: what is left.",
        default=None,
    ),
    _field("reason", cs.nullable_schema(_text(max_length=500)), "Why, for your own records.", default=None),
    _field(
        "metadata",
        _metadata_schema(),
        "Up to 20 string pairs, returned as given: keys 1 to 40 characters, values up to 500.",
        default_factory=dict,
    ),
)
