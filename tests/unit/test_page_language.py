"""Which language the page speaks, and how it writes the amount."""

from __future__ import annotations

import sys

import pytest

from halotap.page.language import accepted, choose, format_amount


def test_accept_language_is_read_by_q_value_then_by_position():
    assert accepted("fr;q=0.5, de-CH, en;q=0.9, *;q=0.1, xx;q=0, ;q=1, bad tag") == ["de-CH", "en", "fr"]


@pytest.mark.parametrize(
    ("checkout_locale", "accept_language", "language"),
    [
        ("de-DE", "fr-FR", "de"),  # the create's locale wins
        ("zu", None, "zu"),
        (None, "pt-BR,pt;q=0.9", "pt"),
        (None, "ja-JP, es;q=0.5", "es"),  # the first language the page speaks, by q-value
        (None, "fr;q=0.4, af;q=0.8", "af"),
        ("ja-JP", "de", "de"),  # a locale the page cannot speak: the browser's next
        ("ja-JP", None, "en"),
        (None, None, "en"),
        (None, "nl-NL", "en"),
    ],
)
def test_the_language_is_the_checkouts_else_the_browsers_else_english(
    checkout_locale, accept_language, language
):
    assert choose(checkout_locale, None, accept_language).language == language


@pytest.mark.parametrize(
    ("checkout_locale", "merchant_locale", "accept_language", "amount"),
    [
        ("de-CH", "en-ZA", "fr", "ZAR\xa01'499.99"),  # the checkout's own locale
        (None, "en-ZA", "de-DE", "R1\xa0499,99"),  # else the merchant's number format
        (None, None, "ja-JP, de;q=0.5", "1.499,99\xa0ZAR"),  # else the tag that chose the language
        (None, None, "nl-NL", "ZAR\xa01.499,99"),  # else the first tag CLDR knows
        (None, None, None, "ZAR1,499.99"),
    ],
)
def test_the_amount_follows_the_checkout_then_the_merchant_then_the_browser(
    checkout_locale, merchant_locale, accept_language, amount
):
    choice = choose(checkout_locale, merchant_locale, accept_language)
    assert format_amount("1499.99", "ZAR", choice.locale) == amount
    assert "babel.numbers" in sys.modules
