"""The domain's errors. Each maps to one RFC 9457 problem with a stable machine `code`, in one place."""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE_BASE = "https://halotap.dev/problems/"


class HalotapError(Exception):
    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class InvalidRequest(HalotapError):
    status, code, title = 400, "invalid_request", "The request is not valid"


class CurrencyNotSupported(HalotapError):
    status, code, title = 400, "currency_not_supported", "The merchant does not take this currency"


class PayloadTooLarge(HalotapError):
    status, code, title = 413, "payload_too_large", "The request body is too large"


class UnsupportedMediaType(HalotapError):
    status, code, title = 415, "unsupported_media_type", "Send the body as application/json"


class InvalidCursor(HalotapError):
    """A list cursor that was altered, or belongs to another client or another query."""

    status, code, title = 400, "invalid_cursor", "The cursor is not valid for this query"


class Unauthorized(HalotapError):
    status, code, title = 401, "unauthorized", "Missing or invalid credentials"


class CheckoutNotFound(HalotapError):
    status, code, title = 404, "checkout_not_found", "No such checkout"


class EventNotFound(HalotapError):
    status, code, title = 404, "event_not_found", "No such event"


class EndpointNotFound(HalotapError):
    status, code, title = 404, "endpoint_not_found", "No such webhook endpoint"


class EndpointLimitReached(HalotapError):
    status, code, title = 409, "endpoint_limit_reached", "This client has as many webhook endpoints as it may"


class MerchantNotFound(HalotapError):
    status, code, title = 404, "merchant_not_found", "No such merchant"


class ReferenceAlreadyUsed(HalotapError):
    status, code, title = 409, "reference_already_used", "The merchant already used this reference"


class CheckoutNotCancellable(HalotapError):
    status, code, title = 409, "checkout_not_cancellable", "Only an open checkout can be cancelled"


class RefundNotFound(HalotapError):
    status, code, title = 404, "refund_not_found", "No such refund"


class CheckoutNotRefundable(HalotapError):
    status, code, title = 409, "checkout_not_refundable", "Only an approved checkout can be refunded"


class RefundExceedsAmount(HalotapError):
    status, code, title = 409, "refund_exceeds_amount", "The refund is more than is left to refund"


class RefundReferenceUsed(HalotapError):
    status, code, title = (
        409,
        "refund_reference_used",
        "This checkout already has a refund with this reference",
    )


class RefundLimitReached(HalotapError):
    status, code, title = 409, "refund_limit_reached", "This checkout has as many refunds as it may hold"


class AttemptNotAllowed(HalotapError):
    status, code, title = (
        409,
        "attempt_not_allowed",
        "A new attempt needs an open checkout whose current attempt failed",
    )


class AttemptsExhausted(HalotapError):
    status, code, title = 409, "attempts_exhausted", "The checkout has had all the attempts it allows"


class IdempotencyInProgress(HalotapError):
    status, code, title = 409, "idempotency_in_progress", "A request with this Idempotency-Key is in flight"


class IdempotencyKeyReused(HalotapError):
    status, code, title = 422, "idempotency_key_reused", "The Idempotency-Key was used with another body"


class ConcurrentUpdate(HalotapError):
    """A conditional write lost a race. Callers re-read and decide again; it reaches a client only as 409."""

    status, code, title = 409, "concurrent_update", "The checkout changed while this request ran"


class DependencyUnavailable(HalotapError):
    status, code, title = 503, "dependency_unavailable", "A service halotap depends on is unavailable"


class HaloError(HalotapError):
    """Halo's backend failed us. The PSP may retry with the same Idempotency-Key or reference."""


class HaloTimeout(HaloError):
    status, code, title = 504, "halo_timeout", "Halo did not answer in time"


class HaloUnavailable(HaloError):
    status, code, title = 502, "halo_unavailable", "Halo is unavailable"


class HaloRejected(HaloError):
    status, code, title = 502, "halo_rejected", "Halo rejected the request"


class HaloBadResponse(HaloError):
    status, code, title = 502, "halo_bad_response", "Halo answered with something halotap cannot read"


class HaloAuthFailed(HaloError):
    """Halo refused the merchant's x-api-key: an operator must fix the merchant secret."""

    status, code, title = 502, "halo_auth_failed", "Halo refused the merchant's credentials"


class RetryLater(Exception):
    """A queued event cannot be finished yet; hand it back after `seconds` (see adapters/sqs_batch.py)."""

    def __init__(self, seconds: int, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds


class LedgerNotFound(HalotapError):
    """No run of the daily ledger has written this merchant-day's report yet."""

    status, code, title = 404, "ledger_not_found", "No ledger report for this merchant and day"


class ApiKeyNotFound(HalotapError):
    status, code, title = 404, "api_key_not_found", "No such API key"


class KeyLimitReached(HalotapError):
    """A client has as many active keys as it may (domain/api_keys.py, MAX_ACTIVE_KEYS): revoke one first."""

    status, code, title = 409, "key_limit_reached", "This client has as many active API keys as it may"


class LastKey(HalotapError):
    """Revoking it would lock the client out: only the operator can mint a key for a client with none."""

    status, code, title = 409, "last_key", "The client's last active API key cannot be revoked"
