"""The page's HTML from a view model: the states no checkout reaches yet, and escaping inside translations."""

from __future__ import annotations

import pytest

from halotap.page import render
from halotap.page.device import Device, Path
from halotap.page.language import LANGUAGES
from halotap.page.view import CheckoutView
from tests.page_text import english_words_left, readable_text


def view(**changes: object) -> CheckoutView:
    values: dict[str, object] = {
        "language": "en",
        "path": Path(Device.ANDROID),
        "state": "open",
        "merchant": "Demo Merchant",
        "amount": "R1\xa0249,50",
        "seconds_left": 600,
        "deep_link": "https://halo.example/pay/abc",
        "fallback_url": None,
        "back_url": None,
    }
    return CheckoutView(**{**values, **changes})  # type: ignore[arg-type]


RETRY = {
    "state": "retry",
    "deep_link": None,
    "attempts_left": 2,
    "reason": "tapTimedOut",
    "checkout_id": "chk_x",
    "replaces": "chk_x",
}


def test_a_declined_attempt_with_attempts_left_says_so_and_offers_try_again():
    body = render.checkout_body(view(**RETRY))
    assert 'class="status is-retry"' in body
    assert "You can try again with the same card or another one." in body
    # A form, so it works without script: it posts the failed attempt it replaces, relative to the page.
    assert '<form class="retry" id="retry" method="post" action="chk_x/attempts">' in body
    assert '<input type="hidden" name="replaces" value="chk_x">' in body
    assert '<button type="submit" class="button" id="try-again">Try again</button>' in body
    assert "Your card was not tapped in time." in body
    assert 'id="back" hidden' in body


def test_without_attempts_left_there_is_no_try_again_button():
    body = render.checkout_body(view(state="declined", deep_link=None, attempts_left=0))
    assert "try-again" not in body
    assert "Go back to the shop to try again." in body


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_the_retry_state_is_translated_in_every_language(lang):
    body = render.checkout_body(view(language=lang, **RETRY))
    assert 'id="try-again"' in body
    assert english_words_left(readable_text(body), lang) == set()


def test_a_merchant_name_is_escaped_inside_every_translated_sentence():
    for lang in LANGUAGES:
        hostile = view(language=lang, merchant="<b>Eve & Co</b> %(amount)s")
        body = render.checkout_body(hostile)
        assert "<strong>&lt;b&gt;Eve &amp; Co&lt;/b&gt; %(amount)s</strong>" in body
        assert "<b>" not in body
        document = render.document(lang, render.title(hostile), body, "n0nce")
        assert "&lt;b&gt;Eve &amp; Co&lt;/b&gt; %(amount)s" in document.split("</title>")[0]
