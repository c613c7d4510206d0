"""The hosted page's path for each phone, its languages and its advice after a failed tap, as rendered.

The browser-level checks of the same (touch emulation, axe-core, the script's iPad check) are in
tests/e2e/test_checkout_page_browser.py.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime

import pytest

from functions.checkout_page import handler as page_handler
from halotap.adapters import aws
from halotap.adapters import page as page_adapter
from halotap.domain.halo import parse_outcome
from halotap.domain.models import Outcome
from halotap.domain.states import CheckoutStatus
from halotap.domain.views import checkout_view
from halotap.page.language import LANGUAGES
from tests.fakes import FakeClock, FakeLambdaContext, FaultyClient, api_event
from tests.integration.test_checkout_page import CALLER, create
from tests.page_text import english_messages, english_words_left, readable_text
from tests.unit.test_page_device import (
    ANDROID_CHROME,
    IPHONE_SAFARI,
    LINUX_CHROME,
    MAC_SAFARI,
    WINDOWS_CHROME,
)
from tests.wiring import build_services

FALLBACK = "https://shop.example/pay-by-card?order=7&checkoutId=stale"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(moto_env, halo, clock):
    return build_services(halo, clock=clock)


def call(services, checkout_id, headers=None, *, status=False):
    resource = "/pay/{id}/status" if status else "/pay/{id}"
    path = f"/pay/{checkout_id}/status" if status else f"/pay/{checkout_id}"
    event = api_event("GET", path, resource=resource, path_params={"id": checkout_id})
    event["requestContext"].pop("authorizer")
    event["headers"] = {"accept": "text/html", **(headers or {})}
    return page_handler.handler(event, FakeLambdaContext(), services=services)


def order(body: str, *markers: str) -> list[str]:
    """`markers` as they come in `body`, first first (each must be there)."""
    found = {marker: body.index(marker) for marker in markers}
    return sorted(markers, key=found.__getitem__)


BUTTON = 'id="pay-with-halo"'
QR = 'class="qr"'


# -- the path for each phone ---------------------------------------------------------------------------


def test_an_android_phone_gets_the_button_first_and_the_play_store_line(services):
    checkout = create(services, fallbackUrl=FALLBACK)
    body = call(services, checkout.id, {"user-agent": ANDROID_CHROME})["body"]
    assert order(body, BUTTON, "install it from the Play Store", QR) == [
        BUTTON,
        "install it from the Play Store",
        QR,
    ]
    assert f'{BUTTON} href="{html.escape(checkout.deep_link or "")}">Pay with Halo</a>' in body
    assert "Android phones, so this payment cannot be made" not in body
    assert "Pay another way" not in body  # the phone that can pay with Halo is not sent elsewhere


def test_the_platform_hint_wins_over_a_desktop_user_agent(services):
    checkout = create(services)
    headers = {"user-agent": LINUX_CHROME, "sec-ch-ua-mobile": "?0", "sec-ch-ua-platform": '"Android"'}
    body = call(services, checkout.id, headers)["body"]
    assert order(body, BUTTON, QR) == [BUTTON, QR]


def test_an_iphone_is_told_the_app_runs_on_android_and_gets_only_the_qr_code(services):
    checkout = create(services)
    body = call(services, checkout.id, {"user-agent": IPHONE_SAFARI})["body"]
    assert (
        '<p class="note" id="android-only">The Halo app runs on Android phones, so this payment cannot be '
        "made on an iPhone or iPad.</p>"
    ) in body
    assert order(body, "android-only", QR, "Scan this code with an Android phone") == [
        "android-only",
        QR,
        "Scan this code with an Android phone",
    ]
    assert BUTTON not in body  # the deep link cannot work here
    assert "Pay another way" not in body  # the create gave no fallbackUrl


def test_an_iphone_gets_pay_another_way_with_the_checkout_id_in_the_fallback_urls_query(services):
    checkout = create(services, fallbackUrl=FALLBACK)
    body = call(services, checkout.id, {"user-agent": IPHONE_SAFARI})["body"]
    expected = f"https://shop.example/pay-by-card?order=7&checkoutId={checkout.id}"
    assert (
        f'<a class="button secondary" id="fallback" href="{html.escape(expected)}">Pay another way</a>'
        in body
    )
    assert "stale" not in body
    assert order(body, QR, 'id="fallback"') == [QR, 'id="fallback"']


def test_a_computer_gets_the_qr_code_first_and_no_ipad_check(services):
    checkout = create(services, fallbackUrl=FALLBACK)
    headers = {"user-agent": WINDOWS_CHROME, "sec-ch-ua-mobile": "?0", "sec-ch-ua-platform": '"Windows"'}
    body = call(services, checkout.id, headers)["body"]
    assert order(body, QR, "or, on an Android phone", BUTTON, 'id="fallback"') == [
        QR,
        "or, on an Android phone",
        BUTTON,
        'id="fallback"',
    ]
    assert 'data-device="desktop">' in body  # no data-maybe-ipad: Windows is no iPad
    assert 'id="android-only"' not in body


def test_a_mac_which_may_be_an_ipad_carries_the_ipad_words_hidden_for_the_script(services):
    checkout = create(services)
    body = call(services, checkout.id, {"user-agent": MAC_SAFARI})["body"]
    assert 'data-device="desktop" data-maybe-ipad' in body
    assert '<p class="note" id="android-only" hidden>' in body
    assert order(body, QR, BUTTON) == [QR, BUTTON]
    assert "navigator.maxTouchPoints > 0" in body


def test_the_ways_to_pay_go_once_the_checkout_is_final(services):
    checkout = create(services, fallbackUrl=FALLBACK)
    services.checkouts.cancel(CALLER, checkout.id)
    for agent in (ANDROID_CHROME, IPHONE_SAFARI, WINDOWS_CHROME):
        body = call(services, checkout.id, {"user-agent": agent})["body"]
        assert QR not in body
        assert BUTTON not in body
        assert "Pay another way" not in body


def test_the_page_says_which_request_headers_it_differs_by(services):
    headers = call(services, create(services).id, {"accept-language": "de"})["headers"]
    assert headers["vary"] == "Accept-Language, User-Agent, Sec-CH-UA-Mobile, Sec-CH-UA-Platform"
    assert headers["content-language"] == "de"


# -- the shopper's language --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "accept_language", "lang", "title"),
    [
        ("de-DE", "fr-FR", "de", "1.249,50\xa0ZAR an Demo Merchant zahlen"),  # the create's locale wins
        (None, "fr-FR;q=0.4, zu-ZA;q=0.9", "zu", "Khokha R1,249.50 ku-Demo Merchant"),  # by q-value
        (None, "en-ZA", "en", "Pay R1\xa0249,50 to Demo Merchant"),
        (None, "ja-JP", "en", "Pay ZAR1,249.50 to Demo Merchant"),  # not a language the page speaks
        (None, None, "en", "Pay ZAR1,249.50 to Demo Merchant"),
    ],
)
def test_the_page_speaks_the_checkouts_language_else_the_browsers_else_english(
    services, locale, accept_language, lang, title
):
    checkout = create(services, **({"locale": locale} if locale else {}))
    headers = {"accept-language": accept_language} if accept_language else {}
    body = call(services, checkout.id, headers)["body"]
    assert f'<html lang="{lang}">' in body
    assert f"<title>{title}</title>" in body


def test_the_merchants_name_stays_bold_and_escaped_inside_a_translated_sentence(services):
    checkout = create(services, locale="zu")
    body = call(services, checkout.id)["body"]
    assert '<span class="merchant">Inkokhelo eya ku-<strong>Demo Merchant</strong></span>' in body
    assert '<time id="countdown">30:00</time>' in body
    assert "Isikhathi esisele: <time" in body


def rendered(checkout, lang, agent, **changes):
    """The page for `checkout` as it would be with `changes`, in `lang`, for a device's User-Agent."""
    headers = {"accept-language": lang, "user-agent": agent}
    return page_adapter.checkout_page(checkout.but(**changes), NOW, "n0nce", headers)["body"]


def every_state(checkout):
    """The checkout in each state the page has words for, with a returnUrl's back link where final."""
    declined = Outcome(disposition="Declined", error_code=300, decided_at="2026-12-07T12:00:00Z")
    return {
        "open": {},
        "creating": {"status": CheckoutStatus.CREATING, "deep_link": None},
        "approved": {"status": CheckoutStatus.APPROVED},
        "declined": {"status": CheckoutStatus.DECLINED, "outcome": declined},
        "failed": {"status": CheckoutStatus.FAILED, "outcome": declined.but(disposition="Indeterminate")},
        "cancelled": {"status": CheckoutStatus.CANCELLED},
        "expired": {"status": CheckoutStatus.EXPIRED},
        "voided": {"status": CheckoutStatus.VOIDED},
    }


@pytest.mark.parametrize("lang", ["de", "zu"])
@pytest.mark.parametrize("agent", [ANDROID_CHROME, IPHONE_SAFARI, MAC_SAFARI])
def test_a_german_or_zulu_page_has_no_english_words_left_in_any_state(services, lang, agent):
    checkout = create(services, returnUrl="https://shop.example/back", fallbackUrl=FALLBACK)
    # The check itself: the English page is full of what it looks for.
    assert {"payment", "waiting", "scan"} <= english_words_left(
        readable_text(rendered(checkout, "en", agent)), lang
    )
    for state, changes in every_state(checkout).items():
        body = rendered(checkout, lang, agent, **changes)
        assert f'<html lang="{lang}">' in body
        text = readable_text(body)
        assert english_words_left(text, lang) == set(), (lang, state)
        assert [m for m in english_messages() if len(m) > 3 and m in body] == [], (lang, state)


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("de", "Dieser Zahlungslink ist ungültig"), ("zu", "Lesi sixhumanisi senkokhelo asilungile")],
)
def test_the_error_pages_are_in_the_browsers_language_too(services, halo, clock, lang, heading):
    missing = call(services, "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa", {"accept-language": lang})
    throttled = build_services(halo, clock=clock, dynamodb=FaultyClient(aws.dynamodb(), {"get_item"}))
    unavailable = call(throttled, create(services).id, {"accept-language": lang})
    for answer in (missing, unavailable):
        assert f'<html lang="{lang}">' in answer["body"]
        assert english_words_left(readable_text(answer["body"]), lang) == set()
    assert f"<h1>{heading}</h1>" in missing["body"]


def test_the_status_lines_the_script_shows_later_are_in_the_pages_language(services):
    body = call(services, create(services, locale="fr").id)["body"]
    found = re.search(r'data-messages="([^"]*)"', body)
    assert found is not None
    words = json.loads(html.unescape(found[1]))
    assert words["statuses"]["approved"] == ["Paiement accepté", "Merci. Vous pouvez fermer cette page."]
    assert words["reasons"]["nfcDisabled"].startswith("Le NFC est désactivé")


def test_every_language_gets_its_own_lang_attribute(services):
    checkout = create(services)
    for lang in LANGUAGES:
        assert f'<html lang="{lang}">' in call(services, checkout.id, {"accept-language": lang})["body"]


# -- why a tap failed ------------------------------------------------------------------------------


def decline(services, halo, checkout, **webhook):
    """Halo declines the tap; its webhook carries `webhook`'s fields (an errorCode, say)."""
    halo.tap(checkout.halo_reference, "Declined")
    payload = {"merchantReference": checkout.id, "disposition": "Declined", **webhook}
    assert services.outcomes.apply(checkout, parse_outcome(payload), "halo_webhook") is not None


@pytest.mark.parametrize(
    ("lang", "advice"),
    [
        ("en", "NFC is turned off on your phone. Turn on NFC in your phone&#x27;s settings, then try again."),
        (
            "de",
            "NFC ist auf Ihrem Telefon ausgeschaltet. Schalten Sie NFC in den Einstellungen Ihres Telefons "
            "ein und versuchen Sie es dann noch einmal.",
        ),
    ],
)
def test_a_decline_with_error_300_tells_the_shopper_to_turn_on_nfc(services, halo, lang, advice):
    checkout = create(services)
    decline(services, halo, checkout, errorCode=300)
    body = call(services, checkout.id, {"accept-language": lang})["body"]
    assert f'<p id="status-reason">{advice}</p>' in body
    assert 'class="status is-declined"' in body
    assert json.loads(call(services, checkout.id, status=True)["body"])["reason"] == "nfcDisabled"


def test_the_psp_sees_halos_error_code_on_the_outcome(services, halo):
    checkout = create(services)
    decline(services, halo, checkout, errorCode="318")
    stored = services.store.get(checkout.id)
    assert stored is not None
    assert checkout_view(stored)["outcome"]["errorCode"] == 318
    assert checkout_view(stored)["outcome"]["disposition"] == "Declined"


@pytest.mark.parametrize("webhook", [{}, {"errorCode": 999}, {"errorCode": "NFC"}])
def test_without_a_code_the_shopper_can_act_on_the_page_gives_no_advice(services, halo, webhook):
    checkout = create(services)
    decline(services, halo, checkout, **webhook)
    body = call(services, checkout.id)["body"]
    assert '<p id="status-reason" hidden></p>' in body
    assert json.loads(call(services, checkout.id, status=True)["body"])["reason"] is None


def test_the_api_view_shows_fallback_url_and_locale_as_the_create_gave_them(services):
    checkout = create(services, fallbackUrl=FALLBACK, locale="zu-ZA")
    view = checkout_view(checkout)
    assert (view["fallbackUrl"], view["locale"]) == (FALLBACK, "zu-ZA")
