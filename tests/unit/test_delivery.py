"""One delivery attempt turns the PSP's answer into delivered, gone, retry or failed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from halotap.adapters.webhooks import Attempt, deliver
from halotap.domain.timing import MAX_RETRY_AFTER, parse_retry_after

URL = "https://psp.example/hooks/halotap"
BODY = b'{"type":"checkout.approved","data":{"id":"chk_1"}}'
HEADERS = {"webhook-id": "msg_1", "content-type": "application/json"}


def public_dns(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]


class Endpoint:
    """The PSP's endpoint at the transport: answers with `respond` and remembers each request."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self._respond = respond
        self.http = httpx.Client(transport=httpx.MockTransport(self._handle))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._respond(request)

    def deliver(self, url: str = URL, **options: object) -> Attempt:
        options.setdefault("resolve", public_dns)
        return deliver(self.http, url, BODY, HEADERS, **options)  # type: ignore[arg-type]


def answering(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Endpoint:
    return Endpoint(lambda _request: httpx.Response(status, content=body, headers=headers))


# ----------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_is_delivered(status: int) -> None:
    endpoint = answering(status)
    assert endpoint.deliver() == Attempt("delivered", status, None, None)


def test_the_request_is_a_post_of_the_exact_body_and_headers() -> None:
    endpoint = answering(204)
    endpoint.deliver()
    [request] = endpoint.requests
    assert request.method == "POST"
    assert str(request.url) == URL
    assert request.content == BODY
    assert request.headers["webhook-id"] == "msg_1"


def test_410_means_gone_and_is_not_retried() -> None:
    attempt = answering(410, b"endpoint removed").deliver()
    assert attempt.outcome == "gone"
    assert attempt.status == 410
    assert attempt.error == "HTTP 410: endpoint removed"


def test_a_redirect_is_a_failure_and_is_not_followed() -> None:
    endpoint = answering(302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
    attempt = endpoint.deliver()
    assert attempt.outcome == "retry"
    assert attempt.status == 302
    assert attempt.error is not None
    assert "redirect not followed" in attempt.error
    assert len(endpoint.requests) == 1


def test_429_with_retry_after_seconds_is_retried_no_sooner() -> None:
    attempt = answering(429, headers={"retry-after": "120"}).deliver()
    assert attempt == Attempt("retry", 429, "HTTP 429", 120)


def test_503_with_retry_after_http_date_is_converted_to_seconds() -> None:
    later = datetime.now(UTC) + timedelta(seconds=600)
    attempt = answering(503, headers={"retry-after": format_datetime(later, usegmt=True)}).deliver()
    assert attempt.outcome == "retry"
    assert attempt.retry_after is not None
    assert 590 <= attempt.retry_after <= 601


def test_503_without_retry_after_is_retried_on_schedule() -> None:
    attempt = answering(503, b"<html>\n  down for maintenance\n</html>").deliver()
    assert attempt == Attempt("retry", 503, "HTTP 503: <html> down for maintenance </html>", None)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_4xx_are_retried_like_any_non_2xx(status: int) -> None:
    assert answering(status).deliver().outcome == "retry"


def test_error_strings_never_carry_more_than_200_chars_of_a_body() -> None:
    attempt = answering(500, b"x" * 100_000).deliver()
    assert attempt.outcome == "retry"
    assert attempt.error is not None
    assert len(attempt.error) <= 200


def test_a_timeout_is_retried() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    assert Endpoint(slow).deliver() == Attempt("retry", None, "timeout", None)


def test_a_connection_error_is_retried() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    attempt = Endpoint(refused).deliver()
    assert attempt == Attempt("retry", None, "connection error: [Errno 111] Connection refused", None)


def test_an_unsafe_url_fails_without_any_request() -> None:
    endpoint = answering(204)
    attempt = endpoint.deliver(resolve=lambda host, port: ["10.0.0.8"])
    assert attempt.outcome == "failed"
    assert attempt.status is None
    assert attempt.error is not None
    assert attempt.error.startswith("unsafe url: ")
    assert endpoint.requests == []


def test_plain_http_fails_unless_loopback_is_allowed() -> None:
    endpoint = answering(204)
    assert endpoint.deliver("http://127.0.0.1:4020/psp").outcome == "failed"
    assert endpoint.deliver("http://127.0.0.1:4020/psp", allow_loopback_http=True).outcome == "delivered"
    assert len(endpoint.requests) == 1


# ----------------------------------------------------------------------------- Retry-After


NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("30", 30),
        (" 30 ", 30),
        ("0", 1),
        ("86400", MAX_RETRY_AFTER),
        ("9" * 5000, MAX_RETRY_AFTER),
        ("Sun, 01 Mar 2026 12:02:00 GMT", 120),
        ("Sun, 01 Mar 2026 11:00:00 GMT", 1),
        ("Mon, 02 Mar 2026 12:00:00 GMT", MAX_RETRY_AFTER),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_http_date_and_clamped(
    header: str | None, seconds: int | None
) -> None:
    assert parse_retry_after(header, now=NOW) == seconds
