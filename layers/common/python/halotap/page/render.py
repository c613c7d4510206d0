"""The page's HTML, from a view and a language's catalog. Every value is escaped as it goes in, and the
template is filled in one pass, so a value (or a translation) can never become markup."""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path

from halotap.page.device import Device
from halotap.page.language import translations
from halotap.page.messages import Words, reasons, statuses
from halotap.page.view import CheckoutView

_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")
e = html.escape


@cache
def _template() -> str:
    return (Path(__file__).parent / "page.html").read_text(encoding="utf-8")


@cache
def catalog(language: str) -> tuple[Words, dict[str, tuple[str, str]], dict[str, str]]:
    """A language's words, status lines and advice, translated once per process."""
    _ = translations(language)
    return Words(_), statuses(_), reasons(_)


def document(language: str, title: str, body: str, nonce: str, head: str = "") -> str:
    values = {"lang": e(language), "title": e(title), "body": body, "nonce": nonce, "head": head}
    # One pass over the template: what a value contains is never read as a placeholder.
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], _template())


def _into(message: str, **markup: str) -> str:
    """A translated message, escaped, with its named placeholders replaced by (already escaped) markup."""
    return e(message) % markup


def title(view: CheckoutView) -> str:
    return catalog(view.language)[0].title % {"amount": view.amount, "merchant": view.merchant}


def _qr(view: CheckoutView, w: Words) -> str:
    from halotap.domain.qr import svg_data_uri  # segno loads only for a page that shows a code

    assert view.deep_link
    return (
        f'<img class="qr" src="{e(svg_data_uri(view.deep_link))}" width="232" height="232" '
        f'alt="{e(w.qr_alt)}">'
    )


def _or(text: str) -> str:
    return f'<p class="or"><span>{e(text)}</span></p>'


def _fallback(view: CheckoutView, w: Words) -> str:
    if not view.fallback_url:
        return ""
    return (
        f'{_or(w.or_)}<a class="button secondary" id="fallback" href="{e(view.fallback_url)}">'
        f"{e(w.pay_another_way)}</a>"
    )


def _ways_to_pay(view: CheckoutView, w: Words) -> str:
    """The ways to pay, in the order that suits the device (halotap.page.device)."""
    assert view.deep_link
    button = f'<a class="button" id="pay-with-halo" href="{e(view.deep_link)}">{e(w.pay_with_halo)}</a>'
    if view.path.device is Device.ANDROID:
        return (
            f'{button}<p class="hint">{e(w.install_from_play_store)}</p>{_or(w.or_with_another_phone)}'
            f'{_qr(view, w)}<p class="hint">{e(w.scan_with_the_other_phone)}</p>'
        )
    if view.path.device is Device.IOS:
        return (
            f'<p class="note" id="android-only">{e(w.android_only)}</p>{_qr(view, w)}'
            f'<p class="hint">{e(w.scan_with_an_android_phone)}</p>{_fallback(view, w)}'
        )
    # A computer, or a Mac that may be an iPad: the page's script swaps the Android button for the note.
    note = f'<p class="note" id="android-only" hidden>{e(w.android_only)}</p>' if view.path.maybe_ipad else ""
    return (
        f'{note}{_qr(view, w)}<p class="hint">{e(w.scan_on_desktop)}</p>'
        f'<div id="android-button">{_or(w.or_on_an_android_phone)}{button}</div>{_fallback(view, w)}'
    )


def checkout_body(view: CheckoutView) -> str:
    w, lines, advice = catalog(view.language)
    heading, line = lines.get(view.state, lines["unknown"])
    pay = ""
    if view.deep_link:
        left = view.seconds_left
        countdown = f'<time id="countdown">{left // 60}:{left % 60:02d}</time>'
        ipad = " data-maybe-ipad" if view.path.maybe_ipad else ""
        pay = f"""
  <section class="pay" id="pay" aria-labelledby="pay-heading" data-device="{e(view.path.device)}"{ipad}>
    <h2 id="pay-heading" class="visually-hidden">{e(w.how_to_pay)}</h2>
    {_ways_to_pay(view, w)}
    <p class="timer">{_into(w.time_left, time=countdown)}</p>
  </section>"""
    why = advice.get(view.reason or "", "")
    retry = ""
    if view.state == "retry" and view.attempts_left > 0:
        # A plain form, so it works without script too (the page's script sends it with fetch instead).
        retry = (
            f'\n  <form class="retry" id="retry" method="post" action="{e(view.checkout_id)}/attempts">'
            f'<input type="hidden" name="replaces" value="{e(view.replaces or "")}">'
            f'<button type="submit" class="button" id="try-again">{e(w.try_again)}</button></form>'
        )
    back_link = f' href="{e(view.back_url)}"' if view.back_url else ""
    script_words = {"statuses": lines, "reasons": advice}
    return f"""<main class="card" id="checkout" data-status="{e(view.state)}" data-seconds-left="{view.seconds_left}"
  data-messages="{e(json.dumps(script_words, separators=(",", ":"), ensure_ascii=False))}">
  <h1>
    <span class="merchant">{_into(w.payment_to, merchant=f"<strong>{e(view.merchant)}</strong>")}</span>
    <span class="amount">{e(view.amount)}</span>
  </h1>
  <div class="status is-{e(view.state)}" id="status" role="status" aria-live="polite" aria-atomic="true">
    <span class="icon" aria-hidden="true"></span>
    <div><h2 id="status-title">{e(heading)}</h2><p id="status-detail">{e(line)}</p><p id="status-reason"{"" if why else " hidden"}>{e(why)}</p></div>
  </div>{pay}{retry}
  <p class="back" id="back"{"" if view.back_url else " hidden"}><a class="button secondary"{back_link}>{e(w.back_to_the_shop)}</a></p>
  <footer>{e(w.footer)}</footer>
</main>"""


def notice_body(heading: str, line: str) -> str:
    return f"""<main class="card notice">
  <h1>{e(heading)}</h1>
  <p>{e(line)}</p>
</main>"""


def not_found(language: str) -> tuple[str, str]:
    """(title, body) of the page for a link that names no checkout."""
    w = catalog(language)[0]
    return w.not_found_title, notice_body(w.not_found_heading, w.not_found_line)


def unavailable(language: str) -> tuple[str, str]:
    """(title, body) of the page for a checkout that could not be read just now."""
    w = catalog(language)[0]
    return w.unavailable_title, notice_body(w.unavailable_heading, w.unavailable_line)
