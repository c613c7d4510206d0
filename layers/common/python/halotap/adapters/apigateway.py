"""API Gateway REST proxy events in, JSON or problem+json out. Errors map to responses here and only here."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from halotap.domain.errors import HalotapError, IdempotencyInProgress, InvalidRequest, Unauthorized
from halotap.domain.models import PATTERN_HINTS
from halotap.domain.parties import Caller

logger = logging.getLogger(__name__)

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: str | None
    request_id: str
    authorizer: dict[str, Any]
    base_url: str = ""  # scheme, host and stage prefix the caller used, e.g. https://api.example/prod
    # Every value of each query parameter (API Gateway's multiValueQueryStringParameters): `query` keeps
    # only the last of a repeated one, as API Gateway does.
    multi_query: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> ApiRequest:
        context = event.get("requestContext") or {}
        return cls(
            method=event.get("httpMethod", ""),
            path=event.get("path", ""),
            path_params=event.get("pathParameters") or {},
            query=event.get("queryStringParameters") or {},
            headers={name.lower(): value for name, value in (event.get("headers") or {}).items()},
            body=event.get("body"),
            request_id=context.get("requestId", ""),
            authorizer=context.get("authorizer") or {},
            base_url=_base_url(event),
            multi_query={
                name: list(values)
                for name, values in (
                    event.get("multiValueQueryStringParameters")
                    or {name: [value] for name, value in (event.get("queryStringParameters") or {}).items()}
                ).items()
            },
        )

    @property
    def caller(self) -> Caller:
        if "clientId" not in self.authorizer:
            raise Unauthorized("the request carries no authenticated client")
        return Caller.from_authorizer(self.authorizer)

    def json(self) -> Any:
        if not self.body:
            raise InvalidRequest("the request body is empty; send a JSON object")
        content_type = self.headers.get("content-type", JSON).split(";")[0].strip().lower()
        if content_type not in (JSON, "application/*+json") and not content_type.endswith("+json"):
            raise InvalidRequest(f"send the body as application/json, not {content_type}")
        try:
            return json.loads(self.body, object_pairs_hook=_unique_keys)
        except _DuplicateKey as duplicate:
            raise InvalidRequest(
                f"the body names {duplicate.key!r} more than once; send each field once",
                errors=[{"field": duplicate.key, "message": "is given more than once"}],
            ) from None
        except ValueError as error:
            raise InvalidRequest(f"the body is not valid JSON: {error}") from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON allows a repeated key and Python keeps the last; a payment request must not be that ambiguous."""
    body: dict[str, Any] = {}
    for key, value in pairs:
        if key in body:
            raise _DuplicateKey(key)
        body[key] = value
    return body


def _base_url(event: dict[str, Any]) -> str:
    """Where this API was reached: requestContext.path carries the stage prefix that `path` lacks."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    host = headers.get("host")
    if not host:
        return ""
    full_path = (event.get("requestContext") or {}).get("path") or event.get("path", "")
    prefix = (
        full_path[: len(full_path) - len(event.get("path", ""))]
        if full_path.endswith(event.get("path", ""))
        else ""
    )
    return f"{headers.get('x-forwarded-proto', 'https')}://{host}{prefix}"


def pay_url(request: ApiRequest, checkout_id: str) -> str | None:
    """halotap's hosted checkout page for a checkout, at the address the caller reached the API by."""
    return f"{request.base_url}/pay/{checkout_id}" if request.base_url else None


def response(
    status: int, body: Any, content_type: str = JSON, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": content_type, "cache-control": "no-store", **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def problem(error: HalotapError, request: ApiRequest) -> dict[str, Any]:
    headers = {}
    if error.status == 503 or isinstance(error, IdempotencyInProgress):
        # Tell the caller when a retry makes sense: a throttled or unreachable dependency clears in seconds,
        # and a request in flight with the same Idempotency-Key finishes within the create's timeout.
        headers["retry-after"] = str(error.extensions.get("retryAfter", 1))
    if isinstance(error, Unauthorized):
        headers["www-authenticate"] = 'Bearer realm="halotap"'

    return response(
        error.status,
        error.problem(instance=request.path or None) | {"requestId": request.request_id},
        PROBLEM_JSON,
        headers,
    )


def validation_problem(error: ValidationError) -> InvalidRequest:
    """Name every bad field, in the request's own (camelCase) terms."""
    errors = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "is not a field of this request"
        elif item["type"] == "missing":
            message = "is required"
        elif item["type"] == "string_pattern_mismatch" and field in PATTERN_HINTS:
            message = PATTERN_HINTS[field]
        errors.append({"field": field, "message": message})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return InvalidRequest(detail, errors=errors)


Route = Callable[[ApiRequest], dict[str, Any]]


def handle(event: dict[str, Any], route: Route) -> dict[str, Any]:
    """Run one API request through `route`; every failure becomes problem+json, never a bare 500."""
    request = ApiRequest.from_event(event)
    try:
        return route(request)
    except ValidationError as error:
        return problem(validation_problem(error), request)
    except HalotapError as error:
        if error.status >= 500:
            logger.warning("request failed", extra={"code": error.code, "detail": error.detail})
        return problem(error, request)
    except Exception:
        logger.exception("unhandled error")
        return problem(
            HalotapError("an unexpected error occurred; it has been logged with this requestId"), request
        )
