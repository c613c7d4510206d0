"""The hosted checkout page a shopper sees: HTML from page.html, with a nonce-locked CSP.

The page shows only the merchant, the amount, the status and, while open, the deep link as a QR code and
a button. Outcome codes, history, metadata, the client and notifications stay with the PSP's API. Every
value is escaped as it goes in; the template is filled in one pass, so a value can never become markup.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from halotap.domain.models import Checkout
from halotap.domain.states import CheckoutStatus

_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")
CSP = (
    "default-src 'none'; img-src data:; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# What the shopper reads for each status: (heading, line). The page's script reads the same table.
MESSAGES = {
    "creating": ("Preparing your payment", "This takes a few seconds."),
    "open": ("Waiting for your payment", "This page updates by itself once you have paid."),
    "approved": ("Payment approved", "Thank you. You can close this page."),
    "declined": ("Payment declined", "The payment did not go through. You can try again with another card."),
    "failed": ("Payment failed", "The payment could not be completed. Please check with the shop."),
    "cancelled": ("Payment cancelled", "The shop cancelled this payment request."),
    "expired": (
        "Payment expired",
        "This payment request ran out of time. Go back to the shop to start again.",
    ),
    "voided": ("Payment voided", "This payment was approved and then reversed."),
    # Not a checkout status: an approved checkout whose whole amount has been refunded (see `shown`).
    "refunded": ("Refunded", "This payment was refunded in full."),
    "unknown": ("Checking the payment", "The status of this payment is being updated."),
    "timeUp": ("Time is up", "If you already tapped your card, wait a moment for the result."),
    "redirecting": ("Payment approved", "Thank you. Taking you back to the shop..."),
}


def _https(url: str | None) -> str | None:
    """Only https links reach the page; create already refuses anything else, this keeps it so."""
    return url if url and urlsplit(url).scheme == "https" else None


def return_url(checkout: Checkout) -> str | None:
    """The PSP's returnUrl with `checkoutId` and `status` added, so the shop knows which payment came back.

    The URL's own query is kept; a `checkoutId` or `status` it already had is replaced, never doubled,
    so the shop cannot read a stale value. The status is a hint for the shop's page: the shop confirms
    it with GET /v1/checkouts/{id} or its webhook, as a shopper can edit a URL.
    """
    url = _https(checkout.return_url)
    if url is None:
        return None
    parts = urlsplit(url)
    ours = {"checkoutId": checkout.id, "status": checkout.status.value}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ours]
    return urlunsplit(parts._replace(query=urlencode([*kept, *ours.items()])))


DEFAULT_LOCALE = "en"
_LANGUAGE_RANGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def _accepted(accept_language: str | None) -> list[str]:
    """Accept-Language's tags, most preferred first (RFC 9110 q-values; malformed parts are skipped)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if _LANGUAGE_RANGE.match(tag.strip()) and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def shopper_locale(merchant_locale: str | None, accept_language: str | None) -> Any:
    """The merchant's locale if it has one, else the shopper's browser's first one CLDR knows, else en."""
    from babel import Locale, UnknownLocaleError  # CLDR data: only the page path pays for this import

    for tag in [merchant_locale or "", *_accepted(accept_language)]:
        try:
            return Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse(DEFAULT_LOCALE)


def format_amount(amount: str, currency: str, locale: Any) -> str:
    """The amount as the shopper's locale writes it (CLDR): en-ZA "R1 499,99", de "1.499,99 ZAR".

    The currency's own minor digits from CLDR (BHD 3, JPY 0) match ISO 4217's, which create enforced.
    """
    from decimal import Decimal

    from babel.numbers import format_currency

    return str(format_currency(Decimal(amount), currency, locale=locale))


@cache
def _template() -> str:
    return (Path(__file__).parent / "page.html").read_text(encoding="utf-8")


def render(title: str, body: str, nonce: str, head: str = "") -> str:
    values = {"title": html.escape(title), "body": body, "nonce": nonce, "head": head}
    return _PLACEHOLDER.sub(
        lambda match: values[match.group(1)], _template()
    )  # one pass: values stay as given


def merchant_name(checkout: Checkout) -> str:
    return checkout.merchant_name or checkout.merchant_id


def shown(checkout: Checkout) -> str:
    """What the page calls the checkout: its status, or "refunded" once an approval is refunded in full."""
    if checkout.status is CheckoutStatus.APPROVED and checkout.refund_total() == checkout.amount:
        return "refunded"
    return checkout.status.value


def checkout_body(checkout: Checkout, now: datetime, amount: str) -> str:
    e = html.escape
    status = shown(checkout)
    heading, line = MESSAGES.get(status, MESSAGES["unknown"])
    seconds_left = max(0, int((datetime.fromisoformat(checkout.expires_at) - now).total_seconds()))
    deep_link = _https(checkout.deep_link) if checkout.status is CheckoutStatus.OPEN else None
    pay = ""
    if deep_link:
        from halotap.domain.qr import svg_data_uri  # segno loads only for a page that shows a code

        pay = f"""
  <section class="pay" id="pay" aria-labelledby="pay-heading">
    <h2 id="pay-heading" class="visually-hidden">How to pay</h2>
    <img class="qr" src="{e(svg_data_uri(deep_link))}" width="232" height="232"
      alt="QR code that opens this payment in the Halo app">
    <p class="hint">Scan with your phone's camera to open the Halo app, then tap your card on your phone.</p>
    <p class="or"><span class="wide">or, on this phone</span><span class="narrow">or, from another phone</span></p>
    <a class="button" href="{e(deep_link)}">Pay with Halo</a>
    <p class="timer">Time left <time id="countdown">{seconds_left // 60}:{seconds_left % 60:02d}</time></p>
  </section>"""
    back_url = return_url(checkout) if checkout.status.is_final else None
    back_link = f' href="{e(back_url)}"' if back_url else ""
    return f"""<main class="card" id="checkout" data-status="{e(status)}" data-seconds-left="{seconds_left}"
  data-messages="{e(json.dumps(MESSAGES, separators=(",", ":")))}">
  <h1>
    <span class="merchant">Payment to <strong>{e(merchant_name(checkout))}</strong></span>
    <span class="amount">{e(amount)}</span>
  </h1>
  <div class="status is-{e(status)}" id="status" role="status" aria-live="polite" aria-atomic="true">
    <span class="icon" aria-hidden="true"></span>
    <div><h2 id="status-title">{e(heading)}</h2><p id="status-detail">{e(line)}</p></div>
  </div>{pay}
  <p class="back" id="back"{"" if back_url else " hidden"}><a class="button secondary"{back_link}>Back to the shop</a></p>
  <footer>Tap on Own Device payments by Halo Dot</footer>
</main>"""


def notice_body(heading: str, line: str) -> str:
    return f"""<main class="card notice">
  <h1>{html.escape(heading)}</h1>
  <p>{html.escape(line)}</p>
</main>"""


def unavailable() -> str:
    return notice_body("We could not load this payment", "Please refresh this page in a moment.")


def html_response(status: int, title: str, body: str, nonce: str, head: str = "") -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-store",
            "content-security-policy": CSP.format(nonce=nonce),
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
        },
        "body": render(title, body, nonce, head),
        "isBase64Encoded": False,
    }


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def checkout_page(
    checkout: Checkout, now: datetime, nonce: str, accept_language: str | None = None
) -> dict[str, Any]:
    # Without JavaScript the page cannot poll, so it reloads itself while the payment is pending.
    head = "" if checkout.status.is_final else '<noscript><meta http-equiv="refresh" content="5"></noscript>'
    locale = shopper_locale(checkout.merchant_locale, accept_language)
    amount = format_amount(checkout.amount, checkout.currency, locale)
    title = f"Pay {amount} to {merchant_name(checkout)}"
    return html_response(200, title, checkout_body(checkout, now, amount), nonce, head)


def not_found_page(nonce: str) -> dict[str, Any]:
    body = notice_body(
        "This payment link is not valid", "Check the link, or go back to the shop and start again."
    )
    return html_response(404, "Payment link not valid", body, nonce)


def unavailable_page(status: int, nonce: str) -> dict[str, Any]:
    return html_response(status, "Payment unavailable", unavailable(), nonce)


def status_body(checkout: Checkout) -> dict[str, Any]:
    """What the page polls (GET /pay/{id}/status): the status, and where to go back to."""
    return {"status": checkout.status.value, "returnUrl": return_url(checkout)}
