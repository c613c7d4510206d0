"""POST /v1/checkouts through the real handler, against moto and a fake Halo."""

from __future__ import annotations

import json
import re
import threading

import httpx
import pytest

from functions.create_checkout import handler as create_handler
from halotap.adapters import aws
from halotap.domain.timing import RACE_RETRIES
from halotap.settings import Settings, settings
from tests.fakes import CallCounter, FaultyClient, api_event
from tests.usecases.test_create_checkout import BODY, FORGED_HOST, CancellingClient, post, stored
from tests.wiring import build_services


def test_a_checkout_is_created_open_with_halos_deep_link(services, halo, lambda_context):
    status, body, headers = post(services, context=lambda_context)
    assert status == 201
    assert re.fullmatch(r"chk_[a-z2-7]{26}", body["id"])  # 128 random bits
    assert body["status"] == "open"
    assert (body["merchantId"], body["reference"], body["amount"], body["currency"]) == (
        "demo-merchant",
        "order-1",
        "149.99",
        "ZAR",
    )
    assert body["deepLink"] == (
        f"https://go.merchantportal.dev.haloplus.io/{body['haloReference']}?env=kernelserver.dev.haloplus.io"
    )
    assert halo.requests[0].url.path == "/consumer/applink"  # Halo's current endpoint is the default
    assert "qrCode" not in body
    assert headers["location"] == f"/v1/checkouts/{body['id']}"
    assert halo.creates[0]["paymentReference"] == body["id"]  # Halo's paymentReference is the checkout id
    assert halo.requests[0].headers["x-api-key"] == "sim-api-key-demo-merchant"
    checkout = stored(services, body["id"])
    assert checkout.status == "open"
    assert checkout.halo_reference == body["haloReference"]
    assert [(e.type, e.to_status) for e in checkout.history] == [
        ("created", "creating"),
        ("status_changed", "open"),
    ]


def test_a_merchant_without_a_currency_list_takes_zar_only(services, halo, lambda_context):
    boto3_secrets = aws.secretsmanager()
    name = "halotap/local/merchants/demo-merchant"
    record = json.loads(boto3_secrets.get_secret_value(SecretId=name)["SecretString"])
    del record["currencies"]
    boto3_secrets.put_secret_value(SecretId=name, SecretString=json.dumps(record))
    status, problem, _ = post(services, {**BODY, "currency": "USD", "amount": "1.00"}, lambda_context)
    assert (status, problem["code"]) == (400, "currency_not_supported")
    status, _, _ = post(services, context=lambda_context)
    assert status == 201


def test_a_forged_host_header_cannot_move_the_configured_pay_url(moto_env, halo, lambda_context):
    configured = build_services(
        halo, config=Settings({**settings().environ, "PAY_BASE_URL": "https://pay.psp.example/"})
    )
    status, body, _ = post(configured, context=lambda_context, headers=FORGED_HOST)
    assert status == 201
    assert body["payUrl"] == f"https://pay.psp.example/pay/{body['id']}"


def test_dynamodb_throttling_on_create_is_503_and_leaves_nothing_open(moto_env, halo, lambda_context):
    faulty = FaultyClient(aws.dynamodb(), {"transact_write_items"})
    status, problem, _ = post(build_services(halo, dynamodb=faulty), context=lambda_context)
    assert (status, problem["code"]) == (503, "dependency_unavailable")
    assert halo.requests == []  # Halo is never asked for a link that could not be recorded
    healthy = build_services(halo)
    assert post(healthy, context=lambda_context)[0] == 201


def test_throttling_after_halo_answered_fails_the_checkout_without_opening_it(moto_env, halo, lambda_context):
    faulty = FaultyClient(aws.dynamodb(), {"update_item"})
    status, _, _ = post(build_services(halo, dynamodb=faulty), context=lambda_context)
    assert status == 503
    checkout = build_services(halo).store.get(halo.creates[0]["paymentReference"])
    assert checkout.status != "open"


@pytest.mark.parametrize(
    ("reasons", "times", "status", "code"),
    [
        (["None", "ConditionalCheckFailed"], 1, 409, "reference_already_used"),  # the guard was taken
        (["ConditionalCheckFailed", "None"], 1, 409, "reference_already_used"),
        (["TransactionConflict", "None"], 2, 201, None),  # retried within the request, then stored
        (["None", "TransactionConflict"], 99, 409, "reference_already_used"),  # held by another request
        (["ThrottlingError", "None"], 1, 503, "dependency_unavailable"),
        (["None", "ProvisionedThroughputExceeded"], 1, 503, "dependency_unavailable"),
    ],
)
def test_finding_3_each_cancellation_reason_of_a_create_has_its_own_answer(
    moto_env, halo, lambda_context, reasons, times, status, code
):
    cancelling = CancellingClient(aws.dynamodb(), reasons, times)
    answer_status, answer, headers = post(
        build_services(halo, dynamodb=cancelling), context=lambda_context, headers={"Idempotency-Key": "k-1"}
    )
    assert (answer_status, answer.get("code")) == (status, code)
    assert cancelling.attempts <= RACE_RETRIES  # conflicts are retried, with a bound
    if status == 503:
        assert headers["retry-after"] == "1"
    if status != 201:
        assert halo.requests == []  # nothing reached Halo for a checkout that was not stored


class TestIdempotency:
    KEY = {"Idempotency-Key": "key-123"}

    def test_a_replay_returns_the_first_response_without_calling_halo_again(
        self, services, halo, lambda_context
    ):
        first = post(services, context=lambda_context, headers=self.KEY)
        again = post(services, context=lambda_context, headers=self.KEY)
        assert first[0] == again[0] == 201
        assert again[1] == first[1]
        assert again[2]["idempotent-replayed"] == "true"
        assert len(halo.creates) == 1

    def test_the_same_key_with_another_body_is_422(self, services, lambda_context):
        post(services, context=lambda_context, headers=self.KEY)
        status, problem, _ = post(services, {**BODY, "amount": "150.00"}, lambda_context, headers=self.KEY)
        assert (status, problem["code"]) == (422, "idempotency_key_reused")

    def test_keys_are_scoped_to_the_client(self, services, halo, lambda_context):
        post(services, context=lambda_context, headers=self.KEY)
        event = api_event(
            "POST",
            "/v1/checkouts",
            body={**BODY, "reference": "order-2"},
            headers=self.KEY,
            client_id="another-psp",
        )
        answer = create_handler.handler(event, lambda_context, services=services)
        assert answer["statusCode"] == 201
        assert len(halo.creates) == 2

    def test_a_request_while_the_first_is_in_flight_is_409(self, services, halo, lambda_context):
        halo.gate = threading.Event()
        results = []
        first = threading.Thread(
            target=lambda: results.append(post(services, context=lambda_context, headers=self.KEY))
        )
        first.start()
        for _ in range(200):
            if halo.requests:
                break
            threading.Event().wait(0.01)
        status, problem, _ = post(services, context=lambda_context, headers=self.KEY)
        halo.gate.set()
        first.join()
        assert (status, problem["code"]) == (409, "idempotency_in_progress")
        assert results[0][0] == 201

    def test_a_failed_first_attempt_is_not_replayed(self, services, halo, lambda_context):
        halo.faults.append(httpx.Response(500))
        assert post(services, context=lambda_context, headers=self.KEY)[0] == 502
        assert post(services, context=lambda_context, headers=self.KEY)[0] == 201

    def test_a_malformed_key_is_400(self, services, lambda_context):
        status, problem, _ = post(services, context=lambda_context, headers={"Idempotency-Key": "x" * 256})
        assert (status, problem["code"]) == (400, "invalid_request")


def test_secrets_manager_down_is_503_and_stores_nothing(moto_env, halo, lambda_context, monkeypatch):
    # Secrets Manager throttles past all retries: the SDK client the wiring reads secrets through fails.
    failing = FaultyClient(aws.secretsmanager(), {"get_secret_value"}, code="ThrottlingException")
    monkeypatch.setattr(aws, "secretsmanager", lambda: failing)
    broken = build_services(halo)
    status, problem, _ = post(broken, context=lambda_context)
    assert (status, problem["code"]) == (503, "dependency_unavailable")
    assert halo.requests == []
    assert broken.store.checkout_id_for_reference(BODY["merchantId"], BODY["reference"]) is None


def test_a_warm_create_makes_no_secrets_manager_call(moto_env, halo, lambda_context, monkeypatch):
    # The deployed cache lifetime; the package's settings turn it off so a test's secret change shows at once.
    monkeypatch.setenv("HALOTAP_SECRETS_TTL_SECONDS", "120")
    settings.cache_clear()
    warm = build_services(halo)
    post(warm, {**BODY, "reference": "cold"}, lambda_context)
    counter = CallCounter(aws.secretsmanager())
    assert post(warm, {**BODY, "reference": "warm"}, lambda_context)[0] == 201
    assert "GetSecretValue" not in counter.calls
