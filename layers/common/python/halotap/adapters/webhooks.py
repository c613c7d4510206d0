"""One delivery attempt of a signed PSP notification over HTTP, judged as Standard Webhooks asks.

The schedule of the attempts that follow is timing policy (`halotap.domain.timing`); the deliverer
(`halotap.app.notifications`) decides what to do with each `Attempt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

from halotap.adapters.dns import resolve_host
from halotap.domain import ssrf
from halotap.domain.timing import NOTIFY_TIMEOUT_SECONDS, parse_retry_after

MAX_ERROR_BODY_CHARS = 200
_READ_LIMIT_BYTES = 4096  # enough for an error snippet; a hostile endpoint cannot make us buffer more

Outcome = Literal["delivered", "gone", "retry", "failed"]


@dataclass(frozen=True)
class Attempt:
    """What one POST came to.

    - delivered: 2xx, done.
    - gone: 410, the PSP asks us to stop; do not retry.
    - retry: any other failure; try again after `next_delay`.
    - failed: no request was made and none ever should be (the URL is unsafe).
    """

    outcome: Outcome
    status: int | None
    error: str | None
    retry_after: int | None


def deliver(
    http: httpx.Client,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float = NOTIFY_TIMEOUT_SECONDS,
    allow_loopback_http: bool = False,
    resolve: ssrf.Resolver | None = None,
) -> Attempt:
    """POST one signed notification, after checking the URL again (its DNS may have changed).

    Only 2xx counts as delivered and 410 as a request to stop. Everything else, other 4xx included,
    is retried: Standard Webhooks and Svix treat any non-2xx as a failed attempt, and a PSP that
    briefly answers 401 or 404 while it deploys or rotates its secret should still get the event.
    The schedule is finite, so a permanently broken endpoint costs a bounded number of attempts.
    Redirects are not followed: the target would escape the SSRF check, and the spec counts a 3xx
    as a failure.
    """
    try:
        ssrf.check_url(url, allow_loopback_http=allow_loopback_http, resolve=resolve or resolve_host)
    except ssrf.UnsafeUrl as unsafe:
        return Attempt("failed", None, f"unsafe url: {unsafe}", None)
    try:
        with http.stream(
            "POST", url, content=body, headers=headers, timeout=timeout, follow_redirects=False
        ) as response:
            return _judge(response)
    except httpx.TimeoutException:
        return Attempt("retry", None, "timeout", None)
    except httpx.TransportError as failure:
        return Attempt(
            "retry", None, _shorten(f"connection error: {str(failure) or type(failure).__name__}"), None
        )


def _judge(response: httpx.Response) -> Attempt:
    status = response.status_code
    if 200 <= status < 300:
        return Attempt("delivered", status, None, None)
    snippet = _read_snippet(response)
    if status == 410:
        return Attempt("gone", status, _error(status, snippet), None)
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if 300 <= status < 400:
        return Attempt("retry", status, f"HTTP {status}: redirect not followed", retry_after)
    return Attempt("retry", status, _error(status, snippet), retry_after)


def _read_snippet(response: httpx.Response) -> str:
    """The start of the body, read no further than needed: an endpoint's answer may be huge."""
    read = bytearray()
    try:
        for chunk in response.iter_bytes():
            read += chunk
            if len(read) >= _READ_LIMIT_BYTES:
                break
    except httpx.HTTPError:
        pass  # the status is what matters; a body cut short is still a snippet
    return " ".join(read.decode("utf-8", errors="replace").split())


def _error(status: int, snippet: str) -> str:
    return _shorten(f"HTTP {status}: {snippet}" if snippet else f"HTTP {status}")


def _shorten(text: str) -> str:
    if len(text) <= MAX_ERROR_BODY_CHARS:
        return text
    return text[: MAX_ERROR_BODY_CHARS - 1] + "…"
