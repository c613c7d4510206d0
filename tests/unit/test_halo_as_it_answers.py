"""Halo read as it answers in practice (reference/halo-api-facts.md, "Corrections and additions")."""

import json

import httpx
import pytest

from halotap.adapters.breaker import CircuitBreaker
from halotap.adapters.halo import HaloClient
from halotap.domain.errors import HaloBadResponse, HaloUnavailable
from halotap.domain.halo import parse_outcome
from halotap.domain.money import Money
from halotap.domain.parties import MerchantCredentials
from halotap.settings import ConfigurationError, Settings, halo_base_url

UUID_MERCHANT = "5f0c2a1e-8d7b-4c3a-9e21-0b6f4d2c7a90"
MERCHANT = MerchantCredentials("demo-merchant", UUID_MERCHANT, "secret-key")
LINK = "https://go.merchantportal.dev.haloplus.io/ref-1?env=kernelserver.dev.haloplus.io"


def client_for(handler, **kwargs):
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return HaloClient("https://halo.test", http=http, sleep=lambda _s: None, **kwargs)


def create(client):
    return client.create_deep_link(
        MERCHANT,
        payment_reference="chk_1",
        money=Money.parse("10.00", "ZAR"),
        is_consumer_app=False,
        want_qr=False,
    )


@pytest.mark.parametrize("status", [200, 201, 202])
def test_any_2xx_from_a_link_endpoint_is_a_success(status):
    client = client_for(lambda _r: httpx.Response(status, json={"url": LINK, "reference": "ref-1"}))
    assert create(client).reference == "ref-1"


@pytest.mark.parametrize("status", [301, 304])
def test_an_answer_that_is_not_2xx_is_not_read_as_a_link(status):
    client = client_for(lambda _r: httpx.Response(status, json={"url": LINK, "reference": "ref-1"}))
    with pytest.raises(HaloBadResponse, match=str(status)):
        create(client)


def test_a_status_read_answered_500_with_halos_error_201_is_unknown_not_a_failure():
    calls = []

    def halo(request):
        calls.append(request)
        return httpx.Response(
            500, json={"errorCode": 201, "errorMessage": "Error finding requested transaction"}
        )

    client = client_for(halo, breaker=CircuitBreaker(threshold=1))
    assert client.transaction(MERCHANT, "ref-1") is None
    assert client.transaction(MERCHANT, "ref-1") is None
    # Asked again later, not hammered now, and never counted as an outage.
    assert len(calls) == 2
    assert not client.breaker.is_open


def test_any_other_500_on_a_status_read_still_counts_as_halo_failing():
    client = client_for(
        lambda _r: httpx.Response(500, json={"errorCode": 999}), breaker=CircuitBreaker(threshold=1)
    )
    with pytest.raises(HaloUnavailable):
        client.transaction(MERCHANT, "ref-1")
    assert client.breaker.is_open


def test_a_uuid_merchant_id_is_sent_as_the_same_string():
    sent = []

    def halo(request):
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"url": LINK, "reference": "ref-1"})

    create(client_for(halo))
    assert sent[0]["merchantId"] == UUID_MERCHANT


@pytest.mark.parametrize(
    ("acquirer", "expected"),
    [
        (None, "https://kernelserver.dev.haloplus.io"),
        ("za", "https://kernelserver.za.dev.haloplus.io"),
    ],
)
def test_the_base_url_carries_an_acquirer_segment_when_one_is_set(acquirer, expected):
    assert halo_base_url("dev", None, acquirer) == expected
    environ = {"HALO_ENV": "dev", **({"HALO_ACQUIRER": acquirer} if acquirer else {})}
    assert Settings(environ).halo_base_url == expected


def test_a_full_base_url_override_wins_over_the_acquirer():
    assert halo_base_url("dev", "http://127.0.0.1:4010", "za") == "http://127.0.0.1:4010"


@pytest.mark.parametrize("acquirer", ["ZA", "za.evil.example", "-za", "z a"])
def test_an_acquirer_that_is_not_one_dns_label_is_refused_by_name(acquirer):
    with pytest.raises(ConfigurationError, match="HALO_ACQUIRER"):
        halo_base_url("dev", None, acquirer)


def test_a_webhooks_settlement_keys_are_read_and_nothing_else_of_the_provider_fields():
    outcome = parse_outcome(
        {
            "merchantReference": "chk_1",
            "disposition": "Approved",
            "transactionFee": "0.29",
            "paymentProviderFields": {
                "reconReference": "RR-1",
                "acquirerDate": "20261207",
                "acquirerTime": "101500",
                "panEntry": "07",
                "cardType": "VISA",
            },
        }
    )
    assert outcome.settlement is not None
    assert (outcome.settlement.recon_reference, outcome.settlement.acquirer_date) == ("RR-1", "20261207")
    assert (outcome.settlement.acquirer_time, str(outcome.settlement.transaction_fee)) == ("101500", "0.29")
    assert not hasattr(outcome.settlement, "card_type")


def test_a_webhook_without_provider_fields_has_no_settlement():
    assert parse_outcome({"merchantReference": "chk_1", "disposition": "Approved"}).settlement is None
