"""Typed errors from halotap's RFC 9457 problem+json answers: branch on `code`, which is stable."""

from __future__ import annotations

from typing import Any


class HalotapError(Exception):
    """An answer that is not a success. `problem` is the whole problem+json body (or {} if there was none)."""

    def __init__(self, status: int, code: str, detail: str, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.problem = problem

    @property
    def request_id(self) -> str | None:
        value = self.problem.get("requestId")
        return value if isinstance(value, str) else None


class InvalidRequestError(HalotapError):
    """400: the body or a parameter is malformed; `problem["errors"]` names each field."""


class AuthenticationError(HalotapError):
    """401: no API key, or an unknown one."""


class PermissionDeniedError(HalotapError):
    """403: the key may not call this route."""


class NotFoundError(HalotapError):
    """404: no such checkout, refund, event or merchant for this key."""


class ConflictError(HalotapError):
    """409: reference_already_used, checkout_not_cancellable, refund_exceeds_amount, ..."""


class UnprocessableError(HalotapError):
    """422: the Idempotency-Key was first used with another body."""


class RateLimitedError(HalotapError):
    """429: over the rate limit (retried by the client first)."""


class ServerError(HalotapError):
    """5xx: Halo or a dependency failed; retrying with the same Idempotency-Key is safe."""


class WebhookVerificationError(Exception):
    """A delivery whose signature, timestamp or body does not verify with your signing secret."""


_BY_STATUS: dict[int, type[HalotapError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableError,
    429: RateLimitedError,
}


def error_from(status: int, body: Any) -> HalotapError:
    """The typed error for an answer; a body that is not problem+json still gives status and text."""
    problem = body if isinstance(body, dict) else {}
    code = problem.get("code") if isinstance(problem.get("code"), str) else f"http_{status}"
    detail = problem.get("detail") or problem.get("title") or (body if isinstance(body, str) else "")
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else HalotapError)
    return cls(status, str(code), str(detail), problem)
