"""The hosted checkout page in headless Chromium, against the running devstack: what a shopper sees.

Debian's Chromium is driven through Playwright's `executable_path` (Playwright's own browser download
cannot run here). `make test` and `make e2e` install it; without it these tests fail, never skip.
The accessibility check runs axe-core, the npm package (package.json at the repository root, installed
by `make test` and `make e2e` with `npm ci`), inside the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from devstack.launcher import REPO_ROOT
from tests.e2e.client import Psp

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = REPO_ROOT / ".devstack"
SHOP = "https://shop.example/orders/1001/done"
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
PHONE = {  # an Android phone, which gets the "Pay with Halo" button first (halotap/page/device.py)
    "viewport": {"width": 390, "height": 844},
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36"
    ),
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make e2e` (it installs Debian's chromium) or "
            "`apt-get install --no-install-recommends chromium`",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 860}, locale="en-ZA")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


class Watch:
    """Everything the page says to the console, its navigations and the URLs it polls."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        self.navigations: list[str] = []
        self.polls: list[str] = []
        page.on("console", lambda message: self._console(message.type, message.text))
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on(
            "framenavigated",
            lambda frame: self.navigations.append(frame.url) if not frame.parent_frame else None,
        )
        page.on(
            "request",
            lambda request: self.polls.append(request.url) if request.url.endswith("/status") else None,
        )

    def _console(self, kind: str, text: str) -> None:
        if kind in ("error", "warning"):
            self.problems.append(f"{kind}: {text}")


def test_the_shopper_scans_the_code_and_sees_the_approval_without_a_reload(devstack: Any, page: Page) -> None:
    psp = Psp(devstack)
    checkout = psp.open_checkout(amount="1249.50")  # the browser asks for en-ZA
    watch = Watch(page)
    url = f"{devstack.api_url}/pay/{checkout['id']}"

    answer = page.goto(url)
    assert answer is not None
    assert answer.status == 200
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert answer.request.headers["accept-language"].startswith("en-ZA")
    expect(page).to_have_title("Pay R1\xa0249,50 to Demo Merchant")
    expect(page.locator(".amount")).to_have_text("R1\xa0249,50")  # CLDR's en-ZA, through Babel
    expect(page.locator(".merchant")).to_have_text("Payment to Demo Merchant")
    expect(page.locator("#status-title")).to_have_text("Waiting for your payment")
    qr = page.locator("img.qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0"), "the QR code did not decode"
    expect(page.get_by_role("link", name="Pay with Halo")).to_have_attribute("href", checkout["deepLink"])
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^(29|30):\d\d$"))
    page.wait_for_timeout(2500)  # at least one poll, so a blocked fetch would have shown by now
    page.screenshot(path=str(SCREENSHOTS / "checkout-page.png"), full_page=True)

    page.evaluate("window.stillTheSamePage = true")
    psp.tap(checkout, "Approved")
    expect(page.locator("#status-title")).to_have_text("Payment approved", timeout=10_000)
    expect(page.locator("img.qr")).to_have_count(0)
    expect(page.get_by_role("link", name="Pay with Halo")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Payment approved")
    assert page.evaluate("window.stillTheSamePage") is True, "the page reloaded instead of updating"
    assert watch.navigations == [url]
    assert watch.polls, "the page never polled its status"
    assert all(poll == f"{url}/status" for poll in watch.polls), watch.polls
    assert watch.problems == [], watch.problems  # a CSP violation is reported on the console
    page.screenshot(path=str(SCREENSHOTS / "checkout-page-approved.png"), full_page=True)


def test_under_a_stage_path_it_polls_beside_itself_and_returns_to_the_shop(devstack: Any, page: Page) -> None:
    """API Gateway serves at /<stage>/...; the page must find its status there and then go back to the shop."""
    psp = Psp(devstack)
    checkout = psp.open_checkout(returnUrl=SHOP)
    watch = Watch(page)
    staged = f"{devstack.api_url}/dev"

    def strip_stage(route: Route) -> None:
        route.fulfill(response=route.fetch(url=route.request.url.replace(staged, devstack.api_url)))

    page.route(f"{staged}/**", strip_stage)
    page.route(
        f"{SHOP}?*",
        lambda route: route.fulfill(content_type="text/html", body="<title>Back at the shop</title>"),
    )
    page.goto(f"{staged}/pay/{checkout['id']}")
    expect(page.locator("#status-title")).to_have_text("Waiting for your payment")

    psp.tap(checkout, "Approved")
    expect(page.locator("#status-title")).to_have_text("Payment approved", timeout=10_000)
    expect(page.locator("#status-detail")).to_contain_text("Taking you back to the shop")
    back = f"{SHOP}?checkoutId={checkout['id']}&status=approved"
    expect(page.get_by_role("link", name="Back to the shop")).to_have_attribute("href", back)
    page.wait_for_url(back, timeout=10_000)
    expect(page).to_have_title("Back at the shop")
    assert watch.polls
    assert all(poll == f"{staged}/pay/{checkout['id']}/status" for poll in watch.polls), watch.polls
    assert watch.problems == [], watch.problems


def test_an_unknown_link_is_a_readable_page(devstack: Any, page: Page) -> None:
    answer = page.goto(f"{devstack.api_url}/pay/chk_{'a' * 26}")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This payment link is not valid")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make e2e` (it runs `npm ci` for axe-core)", pytrace=False)
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    assert results["testEngine"]["name"] == "axe-core"
    assert any(rule["id"] == "color-contrast" for rule in results["passes"]), "axe checked no contrast"
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_open_checkout_passes_axe_core_in_light_and_dark_mode(
    devstack: Any, browser: Browser, scheme: str
) -> None:
    psp = Psp(devstack)
    checkout = psp.open_checkout(amount="1499.99")
    # bypass_csp: axe is injected as a script the page's nonce-locked CSP would (rightly) refuse.
    for name, device in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(
            **device, locale="en-ZA", color_scheme=scheme, bypass_csp=True, device_scale_factor=1
        )
        try:
            page = context.new_page()
            page.goto(f"{devstack.api_url}/pay/{checkout['id']}")
            expect(page.locator("#status-title")).to_have_text("Waiting for your payment")
            assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
            assert axe_violations(page) == [], f"{name} {scheme}"
            page.screenshot(path=str(SCREENSHOTS / f"page-{name}-{scheme}.png"), full_page=True)
        finally:
            context.close()
