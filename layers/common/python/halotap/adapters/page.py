"""The hosted checkout page as API Gateway responses: HTML with a nonce-locked CSP, and its status JSON.

What the page says, in which language and in which order for which device, is `halotap.page`'s.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from halotap.domain.models import Checkout
from halotap.page import render
from halotap.page.language import choose
from halotap.page.view import attempts_left, checkout_view, reason, return_url, state

CSP = (
    "default-src 'none'; img-src data:; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The page differs by these request headers; it is never cached (no-store), but a cache must not mix them.
VARY = "Accept-Language, User-Agent, Sec-CH-UA-Mobile, Sec-CH-UA-Platform"


def html_response(
    status: int, language: str, title: str, body: str, nonce: str, *, head: str = ""
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-store",
            "content-security-policy": CSP.format(nonce=nonce),
            "content-language": language,
            "vary": VARY,
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
        },
        "body": render.document(language, title, body, nonce, head),
        "isBase64Encoded": False,
    }


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def checkout_page(
    checkout: Checkout, now: datetime, nonce: str, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The page for `checkout`, for a request's headers (names in lower case)."""
    view = checkout_view(checkout, now, headers or {})
    # Without JavaScript the page cannot poll, so it reloads itself while the payment is pending.
    head = "" if view.is_final else '<noscript><meta http-equiv="refresh" content="5"></noscript>'
    return html_response(200, view.language, render.title(view), render.checkout_body(view), nonce, head=head)


def _language(headers: Mapping[str, str] | None) -> str:
    return choose(None, None, (headers or {}).get("accept-language")).language


def not_found_page(nonce: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    language = _language(headers)
    title, body = render.not_found(language)
    return html_response(404, language, title, body, nonce)


def unavailable_page(status: int, nonce: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    language = _language(headers)
    title, body = render.unavailable(language)
    return html_response(status, language, title, body, nonce)


def status_body(checkout: Checkout) -> dict[str, Any]:
    """What the page polls (GET /pay/{id}/status, and the answer to "Try again"): the status, where to go
    back to, for a failed tap Halo explained the key of the advice the page shows
    (halotap.page.messages.REASONS), and how many attempts may follow a failed one."""
    shown = state(checkout)
    return {
        # "retry": a failed attempt with another allowed; "creating": the next attempt awaits its link
        "status": shown if shown in ("retry", "creating") else checkout.status.value,
        "returnUrl": return_url(checkout),
        "reason": reason(checkout),
        "attemptsLeft": attempts_left(checkout),
    }
