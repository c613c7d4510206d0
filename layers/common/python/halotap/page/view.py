"""What the page shows for one checkout, one device and one language: the view model the HTML is made from.

Only what the shopper needs: the merchant, the amount, the status, why a tap failed (when Halo said and
the shopper can act on it), and, while open, the ways to pay. Outcome codes, history, metadata, the client
and notifications stay with the PSP's API.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from halotap.domain import attempts
from halotap.domain.attempts import current, is_retry
from halotap.domain.models import Checkout
from halotap.domain.states import CheckoutStatus
from halotap.page.device import Path, path_for
from halotap.page.language import choose, format_amount
from halotap.page.messages import REASONS


def https(url: str | None) -> str | None:
    """Only https links reach the page; create already refuses anything else, this keeps it so."""
    return url if url and urlsplit(url).scheme == "https" else None


def with_query(url: str | None, ours: Mapping[str, str]) -> str | None:
    """`url` with `ours` added to its query: its own parameters kept, a stale one of ours replaced, never
    doubled, so the shop cannot read an old value."""
    url = https(url)
    if url is None:
        return None
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ours]
    return urlunsplit(parts._replace(query=urlencode([*kept, *ours.items()])))


def return_url(checkout: Checkout) -> str | None:
    """The PSP's returnUrl with `checkoutId` and `status` added, so the shop knows which payment came back.

    The status is a hint for the shop's page: the shop confirms it with GET /v1/checkouts/{id} or its
    webhook, as a shopper can edit a URL.
    """
    return with_query(checkout.return_url, {"checkoutId": checkout.id, "status": checkout.status.value})


def fallback_url(checkout: Checkout) -> str | None:
    """The PSP's fallbackUrl with `checkoutId` added: the shop's other way to pay for this same order."""
    return with_query(checkout.fallback_url, {"checkoutId": checkout.id})


def shown(checkout: Checkout) -> str:
    """What the page calls the checkout: its status, or "refunded" once an approval is refunded in full."""
    if checkout.status is CheckoutStatus.APPROVED and checkout.refund_total() == checkout.amount:
        return "refunded"
    return checkout.status.value


def reason(checkout: Checkout) -> str | None:
    """The REASONS key of Halo's error code on a failed payment or attempt, when the shopper can act on it."""
    if is_retry(checkout):
        attempt = current(checkout)
        code = attempt.error_code if attempt is not None else None
        return REASONS.get(code) if code is not None else None
    if checkout.status not in (CheckoutStatus.DECLINED, CheckoutStatus.FAILED) or checkout.outcome is None:
        return None
    code = checkout.outcome.error_code
    return REASONS.get(code) if code is not None else None


def attempts_left(checkout: Checkout) -> int:
    """How many more attempts the shopper may make after a failed one (the create's `maxAttempts`)."""
    return attempts.attempts_left(checkout) if is_retry(checkout) else 0


def state(checkout: Checkout) -> str:
    """The key of the page's words for `checkout`: "retry" is a failed attempt with another allowed, and
    an open checkout whose next attempt is still waiting for Halo's link is "creating"."""
    if is_retry(checkout):
        return "retry"
    attempt = current(checkout)
    if checkout.status is CheckoutStatus.OPEN and attempt is not None and attempt.deep_link is None:
        return "creating"
    return shown(checkout)


class CheckoutView(NamedTuple):  # a NamedTuple, not a dataclass: cheaper to create on a cold start
    language: str
    path: Path
    state: str  # a key of messages.statuses(): a status, "refunded", or "retry"
    merchant: str
    amount: str
    seconds_left: int
    deep_link: str | None  # only while open
    fallback_url: str | None  # only while open
    back_url: str | None  # only once final
    reason: str | None = None  # a REASONS key
    attempts_left: int = 0  # above 0 on a "retry" state, the page shows the Try again button
    checkout_id: str = ""  # where "Try again" posts: <checkoutId>/attempts, relative to the page
    replaces: str | None = None  # the failed attempt "Try again" replaces: a second press makes no third

    @property
    def is_final(self) -> bool:
        return self.state not in ("creating", "open", "retry")


def checkout_view(checkout: Checkout, now: datetime, headers: Mapping[str, str]) -> CheckoutView:
    """The view of `checkout` for a request's headers (names in lower case)."""
    choice = choose(checkout.locale, checkout.merchant_locale, headers.get("accept-language"))
    page_state = state(checkout)
    is_open = page_state == "open"
    attempt = current(checkout)
    return CheckoutView(
        language=choice.language,
        path=path_for(headers),
        state=page_state,
        merchant=checkout.merchant_name or checkout.merchant_id,
        amount=format_amount(checkout.amount, checkout.currency, choice.locale),
        seconds_left=max(0, int((datetime.fromisoformat(checkout.expires_at) - now).total_seconds())),
        deep_link=https(checkout.deep_link) if is_open else None,
        fallback_url=fallback_url(checkout) if is_open else None,
        back_url=return_url(checkout) if checkout.status.is_final else None,
        reason=reason(checkout),
        attempts_left=attempts_left(checkout),
        checkout_id=checkout.id,
        replaces=attempt.id if attempt is not None else None,
    )
