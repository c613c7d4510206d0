"""What Halo tells halotap: deep links, transaction status, and webhooks, as plain values.

The webhook's shape is checked at intake and parsed into an outcome behind the queue.

The payload is a hint, not proof (it carries no signature). Parsing tolerates every documented
variant: amount as string or number, `authorisationCode` or `authorizationCode`, any-case dispositions.

Anyone holding the webhook token can send one, so everything taken from it is bounded before it can
be stored: the body's size, each field's type and length, and the amount's finiteness. Intake refuses
what is out of bounds (413 or 400); parsing behind the queue, which may meet events queued before
these checks, truncates text and refuses a non-finite amount instead of failing on it for ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from halotap.domain import json_input
from halotap.domain.errors import InvalidRequest, PayloadTooLarge
from halotap.domain.states import Disposition

MAX_WEBHOOK_BYTES = 64 * 1024  # Halo's webhooks are well under 2 KB; SQS's own limit is 256 KB
MAX_FIELD_LENGTH = 128  # references, ids and codes: Halo's are UUIDs or shorter
MAX_AMOUNT_LENGTH = 32
MAX_ERROR_CODE = 99_999  # Halo's SDK error codes are small numbers (65, 300, 318): anything larger is noise
# The webhook's fields halotap reads; anything else in the body is never stored.
TEXT_FIELDS = (
    "merchantReference",
    "haloReference",
    "id",
    "disposition",
    "authorisationCode",
    "authorizationCode",
    "responseCode",
    "paymentProviderReference",
    "currency",
)


@dataclass(frozen=True)
class DeepLink:
    url: str
    reference: str
    qr_code: str | None  # Halo's PNG data URI, when asked for and returned


@dataclass(frozen=True)
class HaloTransaction:
    """Halo's view of a deep-link transaction (its status endpoint)."""

    reference: str
    disposition: Disposition | None
    amount: Decimal | None
    currency: str | None
    response_code: str | None
    authorisation_code: str | None
    qr_code_state: str | None
    status: str | None
    transaction_id: str | None = None  # Halo's backend transaction id: what a refund names
    settlement: Settlement | None = None  # when the status answer carries paymentProviderFields
    error_code: int | None = None  # Halo's SDK error code, when the status answer carries one


@dataclass(frozen=True)
class RefundAnswer:
    """Halo's synchronous answer to a refund call, approved or refused (its HTTP status aside)."""

    type: str | None  # "Approved" on success
    error_code: int | None = None  # 212 Refund Too Late, 213 Refund Already Processed, ...
    message: str | None = None
    halo_reference: str | None = None
    authorization_code: str | None = None


def parse_refund_answer(answer: dict[str, Any]) -> RefundAnswer:
    """Tolerant: `errorCode` as number or string, `errorMessage` or Halo's generic `message`."""
    raw_code = answer.get("errorCode")
    try:
        error_code = int(raw_code) if raw_code not in (None, "", 0, "0") else None
    except (TypeError, ValueError):
        error_code = None
    kind = answer.get("type")
    return RefundAnswer(
        type=kind if isinstance(kind, str) and kind else None,
        error_code=error_code,
        message=(_text(answer, "errorMessage", "message") or "")[:500] or None,
        halo_reference=_text(answer, "haloReference"),
        authorization_code=_text(answer, "authorizationCode", "authorisationCode"),
    )


@dataclass(frozen=True, slots=True)
class Settlement:
    """What the acquirer reconciles a payment by, when Halo gives it (iVeri's `paymentProviderFields`).

    Halo says to "contact Halo to verify the exact structure" of those fields, so only these keys are read
    and every one is optional.
    """

    recon_reference: str | None = None
    acquirer_date: str | None = None
    acquirer_time: str | None = None
    transaction_fee: Decimal | None = None

    @property
    def is_empty(self) -> bool:
        return all(
            value is None
            for value in (self.recon_reference, self.acquirer_date, self.acquirer_time, self.transaction_fee)
        )


@dataclass(frozen=True, slots=True)
class HaloLedgerEntry:
    """One record of Halo's transaction history (`GET /transactions`): the ledger a day is proven against.

    A payment's `merchant_reference` is the checkout id halotap sent as Halo's paymentReference; a refund's
    is the `refundReference` halotap sent (the refund id), and its `original_transaction_id` names the
    payment it gives money back from.
    """

    id: str
    transaction_type: str  # "Purchase" | "Refund", as Halo writes it
    merchant_reference: str | None
    disposition: str | None  # as Halo writes it; Disposition.parse reads it where a status is needed
    amount: Decimal | None
    currency: str | None
    created_at: datetime | None
    original_transaction_id: str | None = None
    settlement: Settlement = Settlement()

    @property
    def is_refund(self) -> bool:
        return self.transaction_type.casefold() == "refund"


def parse_ledger_entry(record: dict[str, Any]) -> HaloLedgerEntry:
    """One `GET /transactions` record. Raises ValueError only when it has no `id` (the caller skips it).

    Tolerant like the webhook: amount and fee as string or number, `createdAt` with `Z` or an offset.
    Halo's own example record names the reference `merchantTransactionReference` and gives the type and
    disposition only as undocumented numeric ids (`transactionTypeId`, `transactionDispositionId`); those
    ids are not guessed at. With no `transactionType`, a record naming an `originalTransactionId` is a
    refund (only a refund refunds something) and any other is a purchase.
    """
    if not isinstance(record, dict):
        raise ValueError("a transaction record must be a JSON object")
    entry_id = _text(record, "id")
    if entry_id is None:
        raise ValueError("a transaction record has no id")
    original = _text(record, "originalTransactionId")
    kind = _text(record, "transactionType") or ("Refund" if original else "Purchase")
    fields = record.get("paymentProviderFields")
    provider: dict[str, Any] = fields if isinstance(fields, dict) else {}
    return HaloLedgerEntry(
        id=entry_id,
        transaction_type=kind,
        merchant_reference=_text(record, "merchantReference", "merchantTransactionReference"),
        disposition=_text(record, "disposition"),
        amount=_amount(record.get("amount"), strict=False),
        currency=_text(record, "currency"),
        created_at=_moment(record.get("createdAt")),
        original_transaction_id=original,
        settlement=Settlement(
            recon_reference=_text(provider, "reconReference"),
            acquirer_date=_text(provider, "acquirerDate"),
            acquirer_time=_text(provider, "acquirerTime"),
            transaction_fee=_amount(record.get("transactionFee"), strict=False),
        ),
    )


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 timestamp with `Z` or an offset; None when absent, unreadable, or without a zone."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None  # a zoneless time could be any day's


@dataclass(frozen=True)
class ReportedOutcome:
    """What a webhook (or Halo's status endpoint) says happened to a payment."""

    disposition: Disposition
    merchant_reference: str | None = None
    halo_reference: str | None = None
    halo_transaction_id: str | None = None
    consumer_transaction_id: str | None = None
    authorisation_code: str | None = None
    response_code: str | None = None
    payment_provider_reference: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    settlement: Settlement | None = None  # the acquirer's reconciliation keys, when Halo sends them
    error_code: int | None = None  # Halo's SDK error code (300 NFC disabled, 318 card tap timeout...)


def parse_error_code(value: Any) -> int | None:
    """Halo's `errorCode` as a number, from a number or a numeric string; None when absent, zero,
    unreadable or out of bounds, since it only ever chooses which advice the shopper's page gives."""
    if isinstance(value, bool) or not isinstance(value, int | str) or len(str(value)) > 5:
        return None
    try:
        code = int(value)
    except ValueError:
        return None
    return code if 0 < code <= MAX_ERROR_CODE else None


def parse_settlement(payload: dict[str, Any]) -> Settlement | None:
    """The reconciliation keys of a webhook or status answer: `paymentProviderFields` (iVeri's shape) and
    `transactionFee`. Every other provider field stays unread, so no card data can be stored by accident."""
    fields = payload.get("paymentProviderFields")
    fields = fields if isinstance(fields, dict) else {}
    settlement = Settlement(
        recon_reference=_text(fields, "reconReference"),
        acquirer_date=_text(fields, "acquirerDate"),
        acquirer_time=_text(fields, "acquirerTime"),
        transaction_fee=_amount(payload.get("transactionFee"), strict=False),
    )
    return None if settlement.is_empty else settlement


def _text(payload: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = payload.get(name)
        if value not in (None, ""):
            return str(value)[:MAX_FIELD_LENGTH]
    return None


def check_shape(body: str | None) -> dict[str, Any]:
    """Intake's check: a bounded JSON object with a way to find the checkout and a disposition.

    Raises PayloadTooLarge (413) past MAX_WEBHOOK_BYTES and InvalidRequest (400) for anything else wrong.
    """
    text = body or ""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge(f"a Halo webhook body may be at most {MAX_WEBHOOK_BYTES} bytes")
    payload = json_input.load(text, what="the webhook body")
    if not isinstance(payload, dict):
        raise InvalidRequest("the webhook body must be a JSON object")
    for name in TEXT_FIELDS:
        value = payload.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise InvalidRequest(f"the webhook's {name} must be text", field=name)
        if len(str(value)) > MAX_FIELD_LENGTH:
            raise InvalidRequest(
                f"the webhook's {name} is longer than {MAX_FIELD_LENGTH} characters", field=name
            )
    _amount(payload.get("amount"), strict=True)
    if not (_text(payload, "merchantReference") or _text(payload, "id")):
        raise InvalidRequest("the webhook has neither merchantReference nor id", field="merchantReference")
    if not isinstance(payload.get("disposition"), str) or not payload["disposition"].strip():
        raise InvalidRequest("the webhook has no disposition", field="disposition")
    return payload


def _amount(value: Any, *, strict: bool) -> Decimal | None:
    """A finite amount, or None when absent. Unreadable: InvalidRequest if `strict`, else None."""
    if value in (None, ""):
        return None
    parsed: Decimal | None = None
    if (
        not isinstance(value, bool)
        and isinstance(value, str | int | Decimal)
        and len(str(value)) <= MAX_AMOUNT_LENGTH
    ):
        try:
            parsed = Decimal(str(value))
        except InvalidOperation:
            parsed = None
    if parsed is not None and parsed.is_finite():
        return parsed
    if strict:
        raise InvalidRequest("the webhook's amount must be a finite decimal number", field="amount")
    return None


def parse_outcome(payload: dict[str, Any]) -> ReportedOutcome:
    """Raises ValueError for a disposition Halo does not document. An unreadable amount reads as none."""
    parsed_amount = _amount(payload.get("amount"), strict=False)
    return ReportedOutcome(
        disposition=Disposition.parse(str(payload["disposition"])),
        merchant_reference=_text(payload, "merchantReference"),
        # Halo documents the webhook's `haloReference` as its backend transaction id (what a refund names)
        # and `id` as the consumer transaction id. Both are kept as lookup keys for the fallback search.
        halo_reference=_text(payload, "haloReference"),
        halo_transaction_id=_text(payload, "haloReference"),
        consumer_transaction_id=_text(payload, "id"),
        authorisation_code=_text(payload, "authorisationCode", "authorizationCode"),
        response_code=_text(payload, "responseCode"),
        payment_provider_reference=_text(payload, "paymentProviderReference"),
        amount=parsed_amount,
        currency=_text(payload, "currency"),
        settlement=parse_settlement(payload),
        error_code=parse_error_code(payload.get("errorCode")),
    )
