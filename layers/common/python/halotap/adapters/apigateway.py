"""API Gateway REST proxy events in, JSON or problem+json out. Errors map to responses here and only here."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

from halotap.domain import json_input
from halotap.domain.errors import (
    HalotapError,
    IdempotencyInProgress,
    InvalidRequest,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)
from halotap.domain.parties import Caller

if TYPE_CHECKING:
    from pydantic_core import ValidationError

logger = logging.getLogger(__name__)

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 64 * 1024  # a create is under 4 KB even with full metadata; API Gateway's own cap is 10 MB


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
    api_url: str = ""  # where API Gateway serves this API, with its stage prefix: https://api.example/prod
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
            api_url=_api_url(event),
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
        # No Content-Type is refused like a wrong one: a client that omits it sends form data as often as JSON.
        content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if not content_type:
            raise UnsupportedMediaType("the body has no Content-Type; send it as application/json")
        if content_type not in (JSON, "application/*+json") and not content_type.endswith("+json"):
            raise UnsupportedMediaType(f"send the body as application/json, not {content_type}")
        if len(self.body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"the request body may be at most {MAX_BODY_BYTES} bytes")
        return json_input.load(
            self.body
        )  # 400 for bad JSON, deep nesting, NaN, lone surrogates, repeated keys


def _api_url(event: dict[str, Any]) -> str:
    """This API's own address, from what API Gateway itself sets: never the caller's Host header.

    requestContext.domainName is the domain API Gateway served the request on (the execute-api host or a
    custom domain), and requestContext.path is the path under it, so the stage prefix is what it has
    beyond `path`. API Gateway serves https only.
    """
    context = event.get("requestContext") or {}
    domain = context.get("domainName")
    if not domain:
        return ""
    path = event.get("path", "")
    full_path = context.get("path") or path
    prefix = full_path[: len(full_path) - len(path)] if path and full_path.endswith(path) else ""
    return f"https://{domain}{prefix}"


def pay_url(request: ApiRequest, checkout_id: str, configured_base: str | None) -> str | None:
    """halotap's hosted checkout page for a checkout: at the configured base (PAY_BASE_URL, the custom
    domain) or else at the address API Gateway itself reports, never at the caller's Host header."""
    base = configured_base or request.api_url
    return f"{base}/pay/{checkout_id}" if base else None


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
        if item["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            message = "is not a field of this request"
        elif item["type"] in ("model_type", "dataclass_type"):
            message = "must be a JSON object"
        elif item["type"] == "missing":
            message = "is required"
        elif item["type"] == "string_pattern_mismatch" and field in _pattern_hints():
            message = _pattern_hints()[field]
        errors.append({"field": field, "message": message})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return InvalidRequest(detail, errors=errors)


def _pattern_hints() -> dict[str, str]:
    """What to send for each patterned field, instead of the regular expression (only routes that validated
    a body get here, and they have domain/requests.py loaded already)."""
    from halotap.domain.requests import PATTERN_HINTS

    return PATTERN_HINTS


def _is_validation_error(error: Exception) -> TypeGuard[ValidationError]:
    """A pydantic ValidationError, recognised without importing pydantic.

    Only a route that validated a body or a query can raise one, and that route imported pydantic-core;
    routes that never parse one (the Halo webhook intake) keep it out of their cold start this way.
    """
    pydantic_core = sys.modules.get("pydantic_core")
    return pydantic_core is not None and isinstance(error, pydantic_core.ValidationError)


Route = Callable[[ApiRequest], dict[str, Any]]


def handle(event: dict[str, Any], route: Route) -> dict[str, Any]:
    """Run one API request through `route`; every failure becomes problem+json, never a bare 500."""
    request = ApiRequest.from_event(event)
    try:
        return route(request)
    except HalotapError as error:
        if error.status >= 500:
            logger.warning("request failed", extra={"code": error.code, "detail": error.detail})
        return problem(error, request)
    except Exception as error:
        if _is_validation_error(error):
            return problem(validation_problem(error), request)
        logger.exception("unhandled error")
        return problem(
            HalotapError("an unexpected error occurred; it has been logged with this requestId"), request
        )
