"""The hosted page on each kind of device and in each language, in headless Chromium against the devstack.

Each device is Playwright's descriptor (its User-Agent, viewport, touch and mobile emulation). The
paths are checked with JavaScript off first: the server-rendered page must be right before any script
runs. axe-core checks every language. The screenshots in docs/ are the ones these tests save in
.devstack/ (docs/architecture.md, "The hosted page", says which).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from halotap.page.language import LANGUAGES
from tests.e2e.client import Psp
from tests.e2e.test_checkout_page_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, axe_violations
from tests.page_text import english_words_left

pytestmark = pytest.mark.e2e

FALLBACK = "https://shop.example/pay-by-card?order=1001"
MAC_SAFARI = (  # what iPadOS Safari sends too
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
ANDROID, IPHONE, DESKTOP = "Pixel 7", "iPhone 13", "Desktop Chrome"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make e2e` (it installs Debian's chromium)", pytrace=False)
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def open_context(playwright: Playwright, browser: Browser) -> Iterator[Any]:
    """new(device, **options): a browser context emulating one of Playwright's device descriptors."""
    contexts: list[BrowserContext] = []

    def new(device: str | None = None, **options: Any) -> Page:
        descriptor = dict(playwright.devices[device]) if device else {}
        descriptor.pop("default_browser_type", None)  # the descriptor's own browser; Chromium runs it here
        context = browser.new_context(**{"locale": "en-ZA", **descriptor, **options})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield new
    for context in contexts:
        context.close()


def below(page: Page, upper: str, lower: str) -> bool:
    """Whether `lower` is laid out below `upper` on the page."""
    top, bottom = page.locator(upper).bounding_box(), page.locator(lower).bounding_box()
    assert top is not None, upper
    assert bottom is not None, lower
    return bottom["y"] >= top["y"] + top["height"]


def pay_url(devstack: Any, checkout: dict[str, Any]) -> str:
    return f"{devstack.api_url}/pay/{checkout['id']}"


def test_an_android_phone_gets_the_button_first_without_any_script(devstack: Any, open_context: Any) -> None:
    checkout = Psp(devstack).open_checkout(amount="1249.50")
    page = open_context(ANDROID, java_script_enabled=False)
    page.goto(pay_url(devstack, checkout))
    button = page.get_by_role("link", name="Pay with Halo")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("href", checkout["deepLink"])
    expect(page.get_by_text("install it from the Play Store")).to_be_visible()
    assert below(page, "#pay-with-halo", "img.qr")
    box = button.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 839  # above the fold of the Pixel 7's viewport


def test_an_iphone_without_a_fallback_url_is_told_plainly_and_gets_the_qr_code(
    devstack: Any, open_context: Any
) -> None:
    checkout = Psp(devstack).open_checkout(amount="1249.50")
    page = open_context(IPHONE, java_script_enabled=False)
    page.goto(pay_url(devstack, checkout))
    expect(page.locator("#android-only")).to_have_text(
        "The Halo app runs on Android phones, so this payment cannot be made on an iPhone or iPad."
    )
    expect(page.locator("img.qr")).to_be_visible()
    expect(page.get_by_role("link", name="Pay with Halo")).to_have_count(0)
    expect(page.get_by_role("link", name="Pay another way")).to_have_count(0)


def test_an_iphone_with_a_fallback_url_can_pay_another_way(devstack: Any, open_context: Any) -> None:
    checkout = Psp(devstack).open_checkout(amount="1249.50", fallbackUrl=FALLBACK)
    page = open_context(IPHONE)
    page.route(
        f"{FALLBACK}&*",
        lambda route: route.fulfill(content_type="text/html", body="<title>The shop's card form</title>"),
    )
    page.goto(pay_url(devstack, checkout))
    expect(page.locator("#android-only")).to_be_visible()
    expect(page.locator("img.qr")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "page-iphone-phone.png"), full_page=True, scale="css")
    page.get_by_role("link", name="Pay another way").click()
    page.wait_for_url(f"{FALLBACK}&checkoutId={checkout['id']}")
    expect(page).to_have_title("The shop's card form")


def test_a_desktop_gets_the_qr_code_first_without_any_script(devstack: Any, open_context: Any) -> None:
    checkout = Psp(devstack).open_checkout(amount="1249.50")
    page = open_context(DESKTOP, java_script_enabled=False)
    page.goto(pay_url(devstack, checkout))
    expect(page.locator("img.qr")).to_be_visible()
    expect(page.get_by_text("Scan this code with your Android phone's camera")).to_be_visible()
    assert below(page, "img.qr", "#pay-with-halo")
    expect(page.locator("#android-only")).to_have_count(0)


@pytest.mark.parametrize(("touch", "ipad"), [(True, True), (False, False)])
def test_a_mac_user_agent_with_a_touch_screen_is_taken_for_an_ipad(
    devstack: Any, open_context: Any, touch: bool, ipad: bool
) -> None:
    checkout = Psp(devstack).open_checkout(amount="1249.50", fallbackUrl=FALLBACK)
    page = open_context(user_agent=MAC_SAFARI, has_touch=touch, viewport={"width": 1024, "height": 1366})
    page.goto(pay_url(devstack, checkout))
    expect(page.locator("#pay")).to_have_attribute("data-device", "ios" if ipad else "desktop")
    expect(page.locator("#android-only")).to_be_visible(visible=ipad)
    expect(page.get_by_role("link", name="Pay with Halo")).to_be_visible(visible=not ipad)
    expect(page.get_by_role("link", name="Pay another way")).to_be_visible()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_passes_axe_core(devstack: Any, open_context: Any, lang: str) -> None:
    psp = Psp(devstack)
    checkout = psp.open_checkout(amount="1499.99", locale=lang, fallbackUrl=FALLBACK)
    declined = psp.open_checkout(amount="1499.99", locale=lang)
    psp.tap(declined, "Declined", webhook=False)
    psp.fake_webhook(declined, errorCode=318)
    psp.wait_for(declined["id"], "declined")
    # bypass_csp: axe is injected as a script the page's nonce-locked CSP would (rightly) refuse.
    for device, shown in ((DESKTOP, checkout), (IPHONE, checkout), (ANDROID, declined)):
        page = open_context(device, bypass_csp=True, device_scale_factor=1)
        page.goto(pay_url(devstack, shown))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        assert axe_violations(page) == [], (lang, device)


def readable(page: Page) -> str:
    """What the shopper reads or hears: the body's text, the title and the accessible names."""
    return " ".join(
        page.evaluate(
            """() => [document.title, document.body.innerText,
                ...[...document.querySelectorAll('[alt],[aria-label]')].map(
                    e => e.getAttribute('alt') || e.getAttribute('aria-label'))]"""
        )
    )


@pytest.mark.parametrize("lang", ["de", "zu"])
def test_a_german_or_zulu_shopper_reads_no_english(devstack: Any, open_context: Any, lang: str) -> None:
    psp = Psp(devstack)
    checkout = psp.open_checkout(amount="1249.50", fallbackUrl=FALLBACK)
    for device in (DESKTOP, ANDROID, IPHONE):
        page = open_context(device, locale=lang)
        page.goto(pay_url(devstack, checkout))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        assert english_words_left(readable(page), lang) == set(), device
        if device == DESKTOP and lang == "de":
            page.screenshot(path=str(SCREENSHOTS / "page-de-desktop.png"), full_page=True, scale="css")
        if device == ANDROID and lang == "de":
            page.screenshot(path=str(SCREENSHOTS / "page-de-phone.png"), full_page=True, scale="css")
    psp.tap(checkout, "Declined", webhook=False)
    psp.fake_webhook(checkout, errorCode=300)
    psp.wait_for(checkout["id"], "declined")
    page.reload()
    assert english_words_left(readable(page), lang) == set(), "declined"


def test_a_declined_tap_tells_the_shopper_why_while_they_watch(devstack: Any, open_context: Any) -> None:
    psp = Psp(devstack)
    checkout = psp.open_checkout(amount="1249.50", returnUrl="https://shop.example/orders/1001/done")
    desktop = open_context(DESKTOP, locale="de-DE")
    desktop.goto(pay_url(devstack, checkout))
    phone = open_context(ANDROID)
    phone.goto(pay_url(devstack, checkout))
    expect(desktop.locator("#status-title")).to_have_text("Wir warten auf Ihre Zahlung")
    desktop.evaluate("window.stillTheSamePage = true")

    psp.tap(checkout, "Declined", webhook=False)
    psp.fake_webhook(checkout, errorCode=300)
    expect(desktop.locator("#status-title")).to_have_text("Zahlung abgelehnt", timeout=10_000)
    expect(desktop.locator("#status-reason")).to_have_text(
        "NFC ist auf Ihrem Telefon ausgeschaltet. Schalten Sie NFC in den Einstellungen Ihres Telefons ein "
        "und versuchen Sie es dann noch einmal."
    )
    assert desktop.evaluate("window.stillTheSamePage") is True  # told by the poll, not by a reload
    expect(phone.locator("#status-reason")).to_have_text(
        "NFC is turned off on your phone. Turn on NFC in your phone's settings, then try again.",
        timeout=10_000,
    )
    expect(phone.get_by_role("link", name="Back to the shop")).to_be_visible()
    desktop.screenshot(path=str(SCREENSHOTS / "page-declined-desktop.png"), full_page=True, scale="css")
    phone.screenshot(path=str(SCREENSHOTS / "page-declined-phone.png"), full_page=True, scale="css")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_declined_attempt_with_try_again_passes_axe_core(open_context: Any, lang: str) -> None:
    """Every language's retry state, rendered from its view model (the devstack's own, in English, is
    the test below) and loaded as HTML."""
    from halotap.page import render
    from halotap.page.device import Device, Path
    from halotap.page.view import CheckoutView

    view = CheckoutView(
        language=lang,
        path=Path(Device.ANDROID),
        state="retry",
        merchant="Demo Merchant",
        amount="R1\xa0249,50",
        seconds_left=1200,
        deep_link=None,
        fallback_url=None,
        back_url=None,
        reason="tapTimedOut",
        attempts_left=2,
        checkout_id="chk_example",
        replaces="chk_example",
    )
    for device in (ANDROID, DESKTOP):
        page = open_context(device, device_scale_factor=1)
        page.set_content(render.document(lang, render.title(view), render.checkout_body(view), "n0nce"))
        expect(page.locator("#try-again")).to_be_visible()
        assert axe_violations(page) == [], (lang, device)


def test_try_again_after_a_declined_tap_opens_a_new_attempt_on_every_open_page(
    devstack: Any, open_context: Any
) -> None:
    psp = Psp(devstack)
    checkout = psp.open_checkout(amount="1249.50", maxAttempts=3)
    phone = open_context(ANDROID, device_scale_factor=1)
    phone.goto(pay_url(devstack, checkout))
    desktop = open_context(DESKTOP, device_scale_factor=1)
    desktop.goto(pay_url(devstack, checkout))
    expect(phone.locator("#pay-with-halo")).to_have_attribute("href", checkout["deepLink"])

    psp.tap(checkout, "Declined", webhook=False)
    psp.fake_webhook(checkout, errorCode=318)
    for page in (phone, desktop):
        expect(page.locator("#try-again")).to_be_visible(timeout=15_000)
        expect(page.locator("#status-reason")).to_have_text(
            "Your card was not tapped in time. Hold your card against the back of your phone when the "
            "Halo app asks for it, then try again."
        )
        expect(page.locator("#pay")).to_have_count(0)  # the failed attempt's link is gone
    # axe-core checks this state in every language above: here the page keeps its CSP, form-action included.
    phone.screenshot(path=str(SCREENSHOTS / "page-retry-phone.png"), full_page=True, scale="css")
    desktop.screenshot(path=str(SCREENSHOTS / "page-retry-desktop.png"), full_page=True, scale="css")

    phone.locator("#try-again").click()
    expect(phone.locator("#pay-with-halo")).to_be_visible(timeout=15_000)
    now = psp.get(checkout["id"])
    assert [a["status"] for a in now["attempts"]] == ["declined", "open"]
    expect(phone.locator("#pay-with-halo")).to_have_attribute("href", now["deepLink"])
    assert now["deepLink"] != checkout["deepLink"]
    # The desktop's page learns of the new attempt by its poll, and shows the new link's QR code.
    expect(desktop.locator("#pay img.qr")).to_be_visible(timeout=15_000)
    expect(desktop.locator("#try-again")).to_have_count(0)


def test_try_again_works_without_script(devstack: Any, open_context: Any) -> None:
    psp = Psp(devstack)
    checkout = psp.open_checkout(maxAttempts=2)
    psp.tap(checkout, "Declined")
    psp.wait_for_attempt(checkout["id"], 0, "declined")
    page = open_context(ANDROID, java_script_enabled=False)
    page.goto(pay_url(devstack, checkout))
    page.locator("#try-again").click()  # a plain form post, answered 303 back to the page
    expect(page.locator("#pay-with-halo")).to_be_visible()
    assert page.url == pay_url(devstack, checkout)
    expect(page.locator("#pay-with-halo")).to_have_attribute("href", psp.get(checkout["id"])["deepLink"])
