"""GET /pay/{id} and GET /pay/{id}/status: the hosted checkout page a shopper sees, and what it polls.

Public routes: the checkout id (128 random bits) in the URL is the capability. The page shows only the
merchant, the amount, the status and, while open, the deep link as a QR code and a button. Outcome
codes, history, metadata, the client and notifications stay with the PSP's API.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger, Metrics, Tracer

from halotap.errors import CheckoutNotFound, HalotapError
from halotap.http import ApiRequest, handle, response
from halotap.models import Checkout
from halotap.observability import lambda_handler
from halotap.runtime import Services, default_services
from halotap.states import CheckoutStatus

logger = Logger()
tracer = Tracer()
metrics = Metrics()

CHECKOUT_ID = re.compile(r"chk_[a-z2-7]{26}")  # halotap.checkouts.new_checkout_id: junk never costs a read
TEMPLATE = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")
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
    "unknown": ("Checking the payment", "The status of this payment is being updated."),
    "timeUp": ("Time is up", "If you already tapped your card, wait a moment for the result."),
    "redirecting": ("Payment approved", "Thank you. Taking you back to the shop..."),
}


def _https(url: str | None) -> str | None:
    """Only https links reach the page; create already refuses anything else, this keeps it so."""
    return url if url and urlsplit(url).scheme == "https" else None


def _amount(amount: str) -> str:
    whole, _, fraction = amount.partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def render(title: str, body: str, nonce: str, head: str = "") -> str:
    values = {"title": html.escape(title), "body": body, "nonce": nonce, "head": head}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], TEMPLATE)  # one pass: values stay as given


def checkout_body(checkout: Checkout, now: datetime) -> str:
    e = html.escape
    status = checkout.status.value
    heading, line = MESSAGES.get(status, MESSAGES["unknown"])
    seconds_left = max(0, int((datetime.fromisoformat(checkout.expires_at) - now).total_seconds()))
    deep_link = _https(checkout.deep_link) if checkout.status is CheckoutStatus.OPEN else None
    pay = ""
    if deep_link:
        from halotap.qr import svg_data_uri  # segno loads only for a page that shows a code

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
    return_url = _https(checkout.return_url) if checkout.status.is_final else None
    back_link = f' href="{e(return_url)}"' if return_url else ""
    return f"""<main class="card" id="checkout" data-status="{e(status)}" data-seconds-left="{seconds_left}"
  data-messages="{e(json.dumps(MESSAGES, separators=(",", ":")))}">
  <h1>
    <span class="merchant">Payment to <strong>{e(checkout.merchant_id)}</strong></span>
    <span class="amount"><span class="currency">{e(checkout.currency)} </span>{e(_amount(checkout.amount))}</span>
  </h1>
  <div class="status is-{e(status)}" id="status" role="status" aria-live="polite" aria-atomic="true">
    <span class="icon" aria-hidden="true"></span>
    <div><h2 id="status-title">{e(heading)}</h2><p id="status-detail">{e(line)}</p></div>
  </div>{pay}
  <p class="back" id="back"{"" if return_url else " hidden"}><a class="button secondary"{back_link}>Back to the shop</a></p>
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


def find(checkout_id: str, services: Services) -> Checkout | None:
    """One GetItem, with no caller scope: whoever holds the link may see the page."""
    return services.store.get(checkout_id) if CHECKOUT_ID.fullmatch(checkout_id) else None


def page(request: ApiRequest, services: Services) -> dict[str, Any]:
    nonce = secrets.token_urlsafe(18)
    try:
        checkout = find(request.path_params.get("id", ""), services)
    except HalotapError as error:  # DynamoDB throttled or unreachable: a page the shopper can retry
        logger.warning("the checkout page could not read its checkout", extra={"code": error.code})
        return html_response(error.status, "Payment unavailable", unavailable(), nonce)
    except Exception:
        logger.exception("the checkout page failed")
        return html_response(500, "Payment unavailable", unavailable(), nonce)
    if checkout is None:
        body = notice_body(
            "This payment link is not valid", "Check the link, or go back to the shop and start again."
        )
        return html_response(404, "Payment link not valid", body, nonce)
    # Without JavaScript the page cannot poll, so it reloads itself while the payment is pending.
    head = "" if checkout.status.is_final else '<noscript><meta http-equiv="refresh" content="5"></noscript>'
    title = f"Pay {checkout.currency} {_amount(checkout.amount)} to {checkout.merchant_id}"
    return html_response(200, title, checkout_body(checkout, services.checkouts.clock()), nonce, head)


def status(request: ApiRequest, services: Services) -> dict[str, Any]:
    checkout = find(request.path_params.get("id", ""), services)
    if checkout is None:
        raise CheckoutNotFound("no such checkout")
    body = {"status": checkout.status.value, "returnUrl": _https(checkout.return_url)}
    return response(
        200, body, headers={"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
    )


@lambda_handler(logger, tracer, metrics, api=True)
def handler(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    if str(event.get("resource", "")).endswith("/status"):
        return handle(event, lambda request: status(request, services or default_services()))
    return page(ApiRequest.from_event(event), services or default_services())
