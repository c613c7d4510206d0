"""GET /v1/checkouts?merchantId=..: every checkout, newest first, in pages a sealed cursor strings together."""

from __future__ import annotations

import json

import httpx
import pytest

from functions.get_checkout import handler as get_handler
from halotap.adapters import aws
from halotap.domain.parties import Caller
from halotap.domain.requests import CreateCheckoutRequest
from halotap.settings import settings
from tests.fakes import CallCounter, FakeClock, FakeLambdaContext, api_event
from tests.wiring import build_services

MERCHANTS = ("demo-merchant", "second-merchant")
SCOPE = ",".join(MERCHANTS)
CALLER = Caller("demo-psp", frozenset(MERCHANTS))


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def services(moto_env, halo, clock):
    aws.secretsmanager().create_secret(
        Name=f"{settings().secrets_prefix}/merchants/second-merchant",
        SecretString=json.dumps({"haloMerchantId": "sim-merchant-002", "apiKey": "second-key"}),
    )
    return build_services(halo, clock=clock)


def create(services, halo, clock, merchant, reference, status):
    clock.advance(1)
    request = CreateCheckoutRequest.validate(
        {"merchantId": merchant, "reference": reference, "amount": "10.00", "currency": "ZAR"}
    )
    if status == "failed":
        halo.faults.append(httpx.Response(400, json={"message": "rejected"}))
        with pytest.raises(Exception):  # noqa: B017 (the create's error is not what this test is about)
            services.checkouts.create(CALLER, request)
        return
    created = services.checkouts.create(CALLER, request)
    if status == "cancelled":
        services.checkouts.cancel(CALLER, created.id)


@pytest.fixture
def fleet(services, halo, clock):
    """45 checkouts: merchants and statuses interleaved, one second apart. Returns {(merchant): [refs newest first]}."""
    made: dict[str, list[tuple[str, str]]] = {merchant: [] for merchant in MERCHANTS}
    for number in range(45):
        merchant = MERCHANTS[number % 2]
        status = ("open", "cancelled", "failed")[number % 3]
        create(services, halo, clock, merchant, f"order-{number}", status)
        made[merchant].append((f"order-{number}", status))
    return {merchant: list(reversed(rows)) for merchant, rows in made.items()}


def list_page(services, query, *, client_id="demo-psp", merchants=SCOPE, multi=None):
    event = api_event("GET", "/v1/checkouts", query=query, client_id=client_id, merchants=merchants)
    if multi:
        event["multiValueQueryStringParameters"] = {**{k: [v] for k, v in query.items()}, **multi}
    answer = get_handler.handler(event, FakeLambdaContext(), services=services)
    return answer["statusCode"], json.loads(answer["body"])


def list_all(services, query, multi=None):
    seen, cursor, pages = [], None, 0
    while True:
        status, body = list_page(services, {**query, **({"cursor": cursor} if cursor else {})}, multi=multi)
        assert status == 200, body
        seen += body["data"]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            return seen, pages


def test_45_checkouts_of_2_merchants_list_completely_in_pages_of_10_newest_first(services, fleet):
    total = 0
    for merchant, expected in fleet.items():
        seen, pages = list_all(services, {"merchantId": merchant, "limit": "10"})
        assert [(c["reference"], c["status"]) for c in seen] == expected  # no gap, no duplicate, newest first
        assert all(c["merchantId"] == merchant for c in seen)
        assert pages == -(-len(expected) // 10)
        total += len(seen)
    assert total == 45


def test_the_status_filter_is_repeatable_and_the_page_still_fills(services, fleet):
    for merchant, expected in fleet.items():
        wanted = [ref for ref, status in expected if status in ("open", "failed")]
        seen, _ = list_all(
            services, {"merchantId": merchant, "limit": "4"}, multi={"status": ["open", "failed"]}
        )
        assert [c["reference"] for c in seen] == wanted


def test_the_creation_window_is_inclusive(services, fleet, clock):
    merchant = MERCHANTS[0]
    status, body = list_page(services, {"merchantId": merchant, "limit": "100"})
    stamps = [c["createdAt"] for c in body["data"]]
    window = {"merchantId": merchant, "createdFrom": stamps[7], "createdTo": stamps[2], "limit": "100"}
    status, body = list_page(services, window)
    assert status == 200
    assert [c["createdAt"] for c in body["data"]] == stamps[2:8]


def test_listing_is_query_only_never_a_scan(services, fleet):
    counter = CallCounter(services.store.client)
    list_all(services, {"merchantId": MERCHANTS[0], "limit": "10"}, multi={"status": ["open"]})
    assert counter.calls, "the listing made no DynamoDB call at all"
    assert set(counter.calls) == {"Query"}


def test_a_tampered_or_foreign_cursor_is_400_invalid_cursor(services, fleet):
    query = {"merchantId": MERCHANTS[0], "limit": "5"}
    _, first = list_page(services, query)
    cursor = first["nextCursor"]
    tampered = cursor[:-3] + ("AAA" if cursor[-3:] != "AAA" else "BBB")
    for case in (
        list_page(services, {**query, "cursor": tampered}),  # altered
        list_page(services, {**query, "cursor": cursor}, client_id="other-psp"),  # another client's
        list_page(services, {"merchantId": MERCHANTS[1], "limit": "5", "cursor": cursor}),  # another query
        list_page(services, {**query, "cursor": cursor}, multi={"status": ["open"]}),  # other filters
        list_page(services, {**query, "cursor": "not a cursor"}),
    ):
        status, body = case
        assert (status, body["code"]) == (400, "invalid_cursor"), body
    assert list_page(services, {**query, "cursor": cursor})[0] == 200


def test_a_merchant_outside_the_keys_scope_is_404(services, fleet):
    status, body = list_page(services, {"merchantId": MERCHANTS[1]}, merchants=MERCHANTS[0])
    assert (status, body["code"]) == (404, "merchant_not_found")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"createdFrom": "yesterday"},
        {"createdFrom": "2026-11-27T12:00:00"},  # no offset: RFC 3339 requires one
        {"status": "paid"},
        {"createdFrom": "2026-11-27T12:00:00Z", "createdTo": "2026-11-27T11:00:00Z"},
    ],
)
def test_bad_filters_are_400_naming_what_is_wrong(services, query):
    status, body = list_page(services, {"merchantId": MERCHANTS[0], **query})
    assert (status, body["code"]) == (400, "invalid_request")
    assert any(name in body["detail"] for name in query)


def test_an_unknown_status_names_the_statuses_there_are(services):
    status, body = list_page(services, {"merchantId": MERCHANTS[0], "status": "paid"})
    assert status == 400
    [error] = body["errors"]
    assert error["field"].startswith("status")
    assert "'approved'" in error["message"]


def test_an_open_checkout_read_by_id_shows_how_to_pay(services, halo, clock):
    request = CreateCheckoutRequest.validate(
        {
            "merchantId": MERCHANTS[0],
            "reference": "pay-1",
            "amount": "5.00",
            "currency": "ZAR",
            "qrCode": True,
        }
    )
    created = services.checkouts.create(CALLER, request)
    event = api_event("GET", f"/v1/checkouts/{created.id}", path_params={"id": created.id}, merchants=SCOPE)
    # The page's address is where API Gateway serves the API (requestContext), never the Host header.
    event["requestContext"]["domainName"] = "api.example"
    event["headers"]["Host"] = "pay.evil.example"
    body = json.loads(get_handler.handler(event, FakeLambdaContext(), services=services)["body"])
    assert body["deepLink"] == created.deep_link
    assert body["payUrl"] == f"https://api.example/pay/{created.id}"
    assert body["qrCode"].startswith("data:image/svg+xml")
    services.checkouts.cancel(CALLER, created.id)
    body = json.loads(get_handler.handler(event, FakeLambdaContext(), services=services)["body"])
    assert "payUrl" not in body
    assert "qrCode" not in body
