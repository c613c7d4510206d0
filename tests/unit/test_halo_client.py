"""The Halo client against httpx's MockTransport: every documented variant and every failure mode."""

import json
import logging
import threading
import time

import httpx
import pytest

from halotap.adapters.breaker import CircuitBreaker
from halotap.adapters.halo import HaloClient
from halotap.domain.errors import HaloAuthFailed, HaloBadResponse, HaloRejected, HaloTimeout, HaloUnavailable
from halotap.domain.money import Money
from halotap.domain.parties import MerchantCredentials
from halotap.domain.states import Disposition

MERCHANT = MerchantCredentials("demo-merchant", "sim-merchant-001", "secret-key")
ZAR = Money.parse("149.99", "ZAR")


def client_for(handler, **kwargs):
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return HaloClient("https://halo.test", http=http, sleep=lambda _s: None, **kwargs)


def create(client, want_qr=False):
    return client.create_deep_link(
        MERCHANT, payment_reference="chk_1", money=ZAR, is_consumer_app=False, want_qr=want_qr
    )


APPLINK_URL = "https://go.merchantportal.dev.haloplus.io/ref-1?env=kernelserver.dev.haloplus.io"


def test_create_sends_the_documented_body_with_the_merchants_key_to_applink_by_default():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"url": APPLINK_URL, "reference": "ref-1"})

    link = create(client_for(handler))
    body = json.loads(seen[0].content)
    assert seen[0].url.path == "/consumer/applink"
    assert seen[0].headers["x-api-key"] == "secret-key"
    assert body["amount"] == "149.99"
    assert body["paymentReference"] == "chk_1"
    assert body["merchantId"] == "sim-merchant-001"
    assert body["image"] == {"required": False}
    assert (link.url, link.reference, link.qr_code) == (APPLINK_URL, "ref-1", None)


def test_the_deprecated_qrcode_endpoint_stays_selectable():
    paths = []

    def handler(request):
        paths.append(request.url.path)
        return httpx.Response(200, json={"url": "https://halompos.page.link/r", "reference": "r"})

    create(client_for(handler, link_path="/consumer/qrCode"))
    assert paths == ["/consumer/qrCode"]


def test_halos_png_qr_code_is_passed_on():
    answer = {"url": "https://x.test/a", "reference": "r", "qrCode": "data:image/png;base64,AAAA"}
    link = create(client_for(lambda _r: httpx.Response(200, json=answer)), want_qr=True)
    assert link.qr_code == "data:image/png;base64,AAAA"


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(401, json={"errorCode": 102, "message": "E102: Invalid API Key"}), HaloAuthFailed),
        (httpx.Response(400, json={"errorCode": 104, "message": "E104: Invalid Request"}), HaloRejected),
        (httpx.Response(500, json={"errorCode": 500}), HaloUnavailable),
        (httpx.Response(200, text="<html>glitch"), HaloBadResponse),
        (httpx.Response(200, json={"url": "http://not-https", "reference": "r"}), HaloBadResponse),
        (httpx.Response(200, json=["a list"]), HaloBadResponse),
    ],
)
def test_each_failure_has_its_own_error(response, error):
    with pytest.raises(error):
        create(client_for(lambda _r: response))


def test_a_create_that_halo_may_have_received_is_never_retried():
    calls = []

    def handler(request):
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(HaloTimeout):
        create(client_for(handler))
    assert len(calls) == 1


def test_a_create_whose_connection_failed_is_retried():
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"url": "https://x.test/a", "reference": "r"})

    assert create(client_for(handler)).reference == "r"
    assert len(calls) == 2


def test_a_500_on_create_is_not_retried():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(500)

    with pytest.raises(HaloUnavailable):
        create(client_for(handler))
    assert len(calls) == 1


def test_a_status_read_is_retried_through_timeouts_and_500s():
    answers = iter([httpx.ReadTimeout("slow"), httpx.Response(503), None])

    def handler(request):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer or httpx.Response(
            200, json={"disposition": "approved", "amount": 149.99, "currency": "ZAR"}
        )

    transaction = client_for(handler).transaction(MERCHANT, "ref-1")
    assert transaction is not None
    assert transaction.disposition == Disposition.APPROVED


def test_a_status_read_tolerates_the_documented_variants():
    answer = {
        "disposition": "DECLINED",
        "amount": "0.01",
        "currency": "ZAR",
        "authorizationCode": "ABC",
        "responseCode": 5,
    }
    transaction = client_for(lambda _r: httpx.Response(200, json=answer)).transaction(MERCHANT, "ref-1")
    assert transaction is not None
    assert (transaction.disposition, str(transaction.amount), transaction.authorisation_code) == (
        Disposition.DECLINED,
        "0.01",
        "ABC",
    )
    assert transaction.response_code == "5"


def test_the_status_read_uses_the_documented_spelling_of_the_path():
    paths = []

    def handler(request):
        paths.append(request.url.path)
        return httpx.Response(200, json={"disposition": None})

    client_for(handler).transaction(MERCHANT, "ref-1")
    assert paths == ["/consumer/QRCode/ref-1"]


def test_a_reference_halo_does_not_know_reads_as_none():
    assert (
        client_for(lambda _r: httpx.Response(404, json={"errorCode": 122})).transaction(MERCHANT, "x") is None
    )


def test_status_read_retries_stop_at_the_budget():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(503)

    with pytest.raises(HaloUnavailable):
        client_for(handler).transaction(MERCHANT, "ref-1")
    assert 1 < len(calls) <= 4


class TestCircuitBreaker:
    def clock(self):
        now = [0.0]
        return now, (lambda: now[0])

    def test_it_opens_after_consecutive_failures_and_fails_fast_without_calling_halo(self):
        _, clock = self.clock()
        calls = []

        def handler(request):
            calls.append(request)
            return httpx.Response(503)

        client = client_for(handler, breaker=CircuitBreaker(threshold=3, cooldown=30, clock=clock))
        for _ in range(3):
            with pytest.raises(HaloUnavailable):
                create(client)
        assert len(calls) == 3
        with pytest.raises(HaloUnavailable, match="circuit open"):
            create(client)
        assert len(calls) == 3  # failed fast: Halo was not called

    def test_after_the_cooldown_one_trial_call_closes_it_again(self):
        now, clock = self.clock()
        answers = [httpx.Response(503)] * 3 + [
            httpx.Response(200, json={"url": "https://x.test/a", "reference": "r"})
        ]
        client = client_for(
            lambda _r: answers.pop(0), breaker=CircuitBreaker(threshold=3, cooldown=30, clock=clock)
        )
        for _ in range(3):
            with pytest.raises(HaloUnavailable):
                create(client)
        now[0] = 31.0
        assert create(client).reference == "r"
        assert not client.breaker.is_open
        assert client.breaker.failures == 0

    def test_a_failed_trial_call_reopens_it(self):
        now, clock = self.clock()
        breaker = CircuitBreaker(threshold=2, cooldown=10, clock=clock)
        breaker.record(ok=False)
        breaker.record(ok=False)
        assert breaker.is_open
        now[0] = 11.0
        assert not breaker.is_open
        breaker.record(ok=False)  # the trial failed
        assert breaker.is_open

    def test_concurrent_failures_are_all_counted_and_open_the_circuit_once(self, caplog):
        threads, each, rounds = 8, 10, 20

        def slow_clock():
            time.sleep(0.0001)  # hand the interpreter to another thread mid-change, as often as possible
            return 0.0

        def fail(breaker, start):
            start.wait(10)
            for _ in range(each):
                breaker.record(ok=False)

        counts = []
        with caplog.at_level(logging.WARNING, logger="halotap.adapters.halo"):
            for _ in range(rounds):
                breaker = CircuitBreaker(threshold=3, cooldown=30, clock=slow_clock)
                start = threading.Barrier(threads)
                workers = [threading.Thread(target=fail, args=(breaker, start)) for _ in range(threads)]
                for worker in workers:
                    worker.start()
                for worker in workers:
                    worker.join()
                counts.append(breaker.failures)
                assert breaker.is_open
        assert counts == [threads * each] * rounds
        opened = [r for r in caplog.records if r.getMessage().startswith("Halo's circuit opened")]
        assert len(opened) == rounds  # the threshold was crossed once a round, so it opened once a round

    def test_after_the_cooldown_only_one_of_many_concurrent_callers_gets_the_trial_call(self):
        now, clock = self.clock()
        breaker = CircuitBreaker(threshold=2, cooldown=10, clock=clock)
        breaker.record(ok=False)
        breaker.record(ok=False)
        now[0] = 11.0
        threads = 8
        start = threading.Barrier(threads)
        let_through, refused = [], []

        def call():
            start.wait(10)
            try:
                breaker.before_call()
            except HaloUnavailable:
                refused.append(1)
            else:
                let_through.append(1)

        workers = [threading.Thread(target=call) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert (len(let_through), len(refused)) == (1, threads - 1)
        assert breaker.is_open  # for everyone else, until the trial reports
        breaker.record(ok=True)
        assert not breaker.is_open

    def test_a_trial_that_never_reports_lets_another_through_after_the_next_cooldown(self):
        now, clock = self.clock()
        breaker = CircuitBreaker(threshold=1, cooldown=10, clock=clock)
        breaker.record(ok=False)
        now[0] = 11.0
        breaker.before_call()  # the trial, which then fails in a way nobody records
        with pytest.raises(HaloUnavailable):
            breaker.before_call()
        now[0] = 22.0
        breaker.before_call()  # never stuck open

    def test_answers_below_500_are_not_failures(self):
        _, clock = self.clock()
        client = client_for(
            lambda _r: httpx.Response(400, json={}), breaker=CircuitBreaker(threshold=1, clock=clock)
        )
        with pytest.raises(HaloRejected):
            create(client)
        assert not client.breaker.is_open


@pytest.mark.parametrize(
    ("environment", "override", "expected"),
    [
        ("dev", None, "https://kernelserver.dev.haloplus.io"),
        ("prod", None, "https://kernelserver.prod.haloplus.io"),
        ("prod", "http://127.0.0.1:4010/", "http://127.0.0.1:4010"),
    ],
)
def test_the_base_url_comes_from_the_environment_name_or_an_override(environment, override, expected):
    from halotap.settings import halo_base_url

    assert halo_base_url(environment, override) == expected


def test_an_unknown_halo_environment_is_a_configuration_error():
    from halotap.settings import ConfigurationError, halo_base_url

    with pytest.raises(ConfigurationError, match="HALO_ENV"):
        halo_base_url("staging")
