"""The hosted checkout page: public, read with one GetItem, and showing the shopper nothing but what they need."""

from __future__ import annotations

import html
import json
import re

import pytest

from functions.checkout_page import handler as page_handler
from halotap.adapters import aws
from halotap.domain.halo import ReportedOutcome
from halotap.domain.parties import Caller
from halotap.domain.requests import CreateCheckoutRequest, CreateRefundRequest
from halotap.domain.states import Disposition
from tests.fakes import CallCounter, FakeClock, FakeLambdaContext, FaultyClient, api_event
from tests.wiring import build_services

CALLER = Caller(client_id="demo-psp", merchants=frozenset({"demo-merchant"}))
RETURN_URL = "https://shop.example/return?order=7&note=\"caf\u00e9\"&x='<b>'"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(moto_env, halo, clock):
    """The production wiring on a FakeClock: the page's countdown and expiry never read the real clock."""
    return build_services(halo, clock=clock)


def create(services, **fields):
    request = CreateCheckoutRequest.validate(
        {
            "merchantId": "demo-merchant",
            "reference": "order-7",
            "amount": "1249.50",
            "currency": "ZAR",
            **fields,
        }
    )
    created = services.checkouts.create(CALLER, request)
    checkout = services.store.get(created.id)
    assert checkout is not None
    return checkout


def call(services, checkout_id, *, status=False, accept_language=None):
    resource = "/pay/{id}/status" if status else "/pay/{id}"
    path = f"/pay/{checkout_id}/status" if status else f"/pay/{checkout_id}"
    event = api_event("GET", path, resource=resource, path_params={"id": checkout_id})
    event["requestContext"].pop("authorizer")  # a public route: API Gateway passes no authorizer context
    event["headers"] = {"accept": "text/html"}
    if accept_language:
        event["headers"]["accept-language"] = accept_language
    return page_handler.handler(event, FakeLambdaContext(), services=services)


def settle(services, halo, checkout, disposition):
    """A webhook reports `disposition`, and Halo's status endpoint confirms it, as in production."""
    halo.tap(checkout.halo_reference, disposition.value)
    outcome = ReportedOutcome(disposition, authorisation_code="AUTH42", response_code="00")
    return services.outcomes.apply(checkout, outcome, "halo_webhook")


def approve(services, halo, checkout):
    return settle(services, halo, checkout, Disposition.APPROVED)


def test_an_open_checkout_shows_amount_qr_code_pay_button_and_time_left(services, clock):
    checkout = create(services, metadata={"basket": "secret-basket"})
    answer = call(services, checkout.id)
    assert answer["statusCode"] == 200
    body = answer["body"]
    assert "Payment to <strong>Demo Merchant</strong>" in body  # the display name, not the id
    assert '<span class="amount">ZAR1,249.50</span>' in body  # CLDR's en, without Accept-Language
    assert 'src="data:image/svg+xml' in body  # the deep link as a QR code, made here with segno
    assert f'href="{html.escape(checkout.deep_link or "")}"' in body
    assert "Pay with Halo" in body
    assert '<time id="countdown">30:00</time>' in body  # expiresInSeconds defaults to 1800
    assert 'aria-live="polite"' in body
    assert '<html lang="en">' in body
    assert "<title>Pay ZAR1,249.50 to Demo Merchant</title>" in body
    clock.advance(61)
    assert '<time id="countdown">28:59</time>' in call(services, checkout.id)["body"]


@pytest.mark.parametrize(
    ("accept_language", "amount", "currency", "shown"),
    [
        ("en-ZA,en;q=0.8", "1499.99", "ZAR", "R1\xa0499,99"),
        ("de-DE,de;q=0.9", "1499.99", "ZAR", "1.499,99\xa0ZAR"),
        ("xx-QQ, fr-FR;q=0.5", "100", "JPY", "100\xa0JPY"),  # the first locale CLDR knows
        ("en-US", "1.005", "BHD", "BHD1.005"),
        (None, "1499.99", "ZAR", "ZAR1,499.99"),  # no header: en
    ],
)
def test_the_amount_is_written_as_the_shoppers_locale_writes_it(
    services, accept_language, amount, currency, shown
):
    checkout = create(services, amount=amount, currency=currency)
    body = call(services, checkout.id, accept_language=accept_language)["body"]
    assert f'<span class="amount">{shown}</span>' in body


def test_the_merchants_own_locale_wins_over_the_browsers(services, moto_env):
    from halotap.adapters import aws

    name = "halotap/local/merchants/demo-merchant"
    record = json.loads(aws.secretsmanager().get_secret_value(SecretId=name)["SecretString"])
    aws.secretsmanager().put_secret_value(
        SecretId=name, SecretString=json.dumps({**record, "locale": "en-ZA"})
    )
    checkout = create(services, amount="1499.99")
    body = call(services, checkout.id, accept_language="de-DE")["body"]
    assert '<span class="amount">R1\xa0499,99</span>' in body


def test_the_page_reads_no_secret_the_merchant_is_on_the_checkout(services, monkeypatch):
    checkout = create(services)
    monkeypatch.setattr(services, "secrets", None)  # any secret read would now fail
    assert "Demo Merchant" in call(services, checkout.id)["body"]


def test_the_page_shows_nothing_the_psp_keeps_to_itself(services, halo):
    checkout = create(services, metadata={"basket": "secret-basket"})
    approve(services, halo, checkout)
    body = call(services, checkout.id)["body"]
    stored = services.store.get(checkout.id)
    assert stored is not None
    assert stored.outcome is not None
    for private in (
        "secret-basket",
        "demo-psp",
        "order-7",
        stored.halo_reference,
        "AUTH42",
        stored.outcome.authorisation_code,  # Halo's, as confirmed
        stored.outcome.halo_transaction_id,
        "notification",
        "history",
    ):
        assert private not in body, private


def test_security_headers_and_a_fresh_csp_nonce_that_the_inline_code_carries(services):
    checkout = create(services)
    first, second = call(services, checkout.id), call(services, checkout.id)
    headers = first["headers"]
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    csp = headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{16,})'", csp)
    assert nonce is not None
    assert csp == (
        f"default-src 'none'; img-src data:; style-src 'nonce-{nonce[1]}'; script-src 'nonce-{nonce[1]}'; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    assert f'<script nonce="{nonce[1]}">' in first["body"]
    assert f'<style nonce="{nonce[1]}">' in first["body"]
    assert first["body"].count("<script") == 1
    assert "style=" not in first["body"]  # inline style attributes would be refused by the CSP
    assert second["headers"]["content-security-policy"] != csp


def test_the_page_polls_its_status_relative_to_its_own_path(services):
    body = call(services, create(services).id)["body"]
    assert 'location.pathname.replace(/\\/$/, "") + "/status"' in body
    assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_after_approval_the_page_says_approved_and_shows_no_qr_code(services, halo):
    checkout = create(services)
    result = approve(services, halo, checkout)
    assert result is not None
    assert result.checkout.status == "approved"
    body = call(services, checkout.id)["body"]
    assert "Payment approved" in body
    assert 'class="status is-approved"' in body
    assert "data:image/svg+xml" not in body
    assert "<img" not in body
    assert "Pay with Halo" not in body
    assert "Back to the shop" in body
    assert '<p class="back" id="back" hidden>' in body  # no returnUrl, so no link to follow
    assert "<noscript>" not in body  # a final page does not reload itself


def test_a_checkout_refunded_in_full_says_refunded(services, halo):
    checkout = create(services)
    approve(services, halo, checkout)
    services.refunds.create(CALLER, checkout.id, CreateRefundRequest(reference="part", amount="249.50"))
    assert "Payment approved" in call(services, checkout.id)["body"]  # partly refunded: still approved
    services.refunds.create(CALLER, checkout.id, CreateRefundRequest(reference="rest"))
    body = call(services, checkout.id)["body"]
    assert '<h2 id="status-title">Refunded</h2>' in body
    assert 'class="status is-refunded"' in body


@pytest.mark.parametrize(
    ("disposition", "heading"),
    [(Disposition.DECLINED, "Payment declined"), (Disposition.INDETERMINATE, "Payment failed")],
)
def test_other_outcomes_say_so(services, halo, disposition, heading):
    checkout = create(services)
    assert settle(services, halo, checkout, disposition) is not None
    body = call(services, checkout.id)["body"]
    assert heading in body
    assert "<img" not in body


def returned_to(checkout_id: str, status: str) -> str:
    """RETURN_URL with its own query kept (percent-encoded) and the checkout id and status added."""
    return (
        "https://shop.example/return?order=7&note=%22caf%C3%A9%22&x=%27%3Cb%3E%27"
        f"&checkoutId={checkout_id}&status={status}"
    )


def test_a_cancelled_checkout_links_back_to_the_shop_with_its_id_and_status_added(services):
    checkout = create(services, returnUrl=RETURN_URL)
    services.checkouts.cancel(CALLER, checkout.id)
    body = call(services, checkout.id)["body"]
    assert "Payment cancelled" in body
    back = html.escape(returned_to(checkout.id, "cancelled"))
    assert f'<a class="button secondary" href="{back}">Back to the shop</a>' in body
    assert "<b>" not in body
    assert RETURN_URL not in body


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://shop.example/r", "https://shop.example/r?checkoutId={id}&status=approved"),
        ("https://shop.example/r?a=1&a=2", "https://shop.example/r?a=1&a=2&checkoutId={id}&status=approved"),
        (  # a stale status or id in the URL is replaced, never doubled
            "https://shop.example/r?status=open&checkoutId=chk_old&b=",
            "https://shop.example/r?b=&checkoutId={id}&status=approved",
        ),
        (
            "https://shop.example/r?x=1#done",
            "https://shop.example/r?x=1&checkoutId={id}&status=approved#done",
        ),
    ],
)
def test_the_return_url_gets_the_checkout_id_and_status_merged_into_its_query(
    services, halo, given, expected
):
    checkout = create(services, returnUrl=given)
    approve(services, halo, checkout)
    answer = json.loads(call(services, checkout.id, status=True)["body"])
    assert answer == {
        "status": "approved",
        "returnUrl": expected.format(id=checkout.id),
        "reason": None,
        "attemptsLeft": 0,
    }


def test_status_json_is_the_status_and_the_return_url(services, halo):
    checkout = create(services, returnUrl=RETURN_URL)
    answer = call(services, checkout.id, status=True)
    assert answer["statusCode"] == 200
    assert answer["headers"]["content-type"] == "application/json"
    assert answer["headers"]["cache-control"] == "no-store"
    assert json.loads(answer["body"]) == {
        "status": "open",
        "returnUrl": returned_to(checkout.id, "open"),
        "reason": None,
        "attemptsLeft": 0,
    }
    approve(services, halo, checkout)
    assert json.loads(call(services, checkout.id, status=True)["body"])["status"] == "approved"


def test_status_without_a_return_url_is_null(services):
    checkout = create(services)
    assert json.loads(call(services, checkout.id, status=True)["body"]) == {
        "status": "open",
        "returnUrl": None,
        "reason": None,
        "attemptsLeft": 0,
    }


@pytest.mark.parametrize("checkout_id", ["chk_aaaaaaaaaaaaaaaaaaaaaaaaaa", "chk_nope", "<script>", "order-7"])
def test_an_unknown_or_malformed_id_is_a_404_html_page(services, checkout_id):
    create(services)
    answer = call(services, checkout_id)
    assert answer["statusCode"] == 404
    assert answer["headers"]["content-type"] == "text/html; charset=utf-8"
    assert "content-security-policy" in answer["headers"]
    assert "This payment link is not valid" in answer["body"]
    assert "<script>" not in answer["body"].replace("<script nonce=", "")


def test_an_unknown_id_on_the_status_route_is_404_problem_json(services):
    answer = call(services, "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa", status=True)
    assert answer["statusCode"] == 404
    assert answer["headers"]["content-type"] == "application/problem+json"
    assert json.loads(answer["body"])["code"] == "checkout_not_found"


def test_reading_the_page_or_its_status_is_one_get_item_and_a_malformed_id_none(services):
    checkout = create(services)
    counter = CallCounter(aws.dynamodb())
    call(services, checkout.id)
    assert counter.calls == ["GetItem"]
    counter.reset()
    call(services, checkout.id, status=True)
    assert counter.calls == ["GetItem"]
    counter.reset()
    call(services, "not-a-checkout")
    assert counter.calls == []


def test_a_dynamodb_outage_is_an_html_page_the_shopper_can_retry(services, halo, clock):
    checkout = create(services)
    throttled = build_services(halo, clock=clock, dynamodb=FaultyClient(aws.dynamodb(), {"get_item"}))
    answer = call(throttled, checkout.id)
    assert answer["statusCode"] == 503
    assert answer["headers"]["content-type"] == "text/html; charset=utf-8"
    assert "We could not load this payment" in answer["body"]
