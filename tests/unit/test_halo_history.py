"""Reading Halo's transaction history (GET /transactions) through HaloClient, against httpx's MockTransport."""

import logging
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from halotap.adapters.halo import HaloClient
from halotap.domain.errors import HaloAuthFailed, HaloBadResponse, HaloTimeout, HaloUnavailable
from halotap.domain.halo import Settlement, parse_ledger_entry
from halotap.domain.parties import MerchantCredentials

# Halo's merchant ids from integrator onboarding are UUID strings: the id must travel untouched.
MERCHANT = MerchantCredentials("demo-merchant", "7f1c2a40-0d4e-4c8e-9c55-5f7e1b2c3d4e", "secret-key")


def record(n: int, **fields):
    return {
        "id": f"tx-{n}",
        "merchantReference": f"chk_{n}",
        "disposition": "Approved",
        "amount": "10.00",
        "currency": "ZAR",
        "createdAt": "2026-12-07T10:00:00.000Z",
        "transactionType": "Purchase",
        **fields,
    }


class Ledger:
    """Halo's /transactions over a list of records, paged by limit/offset; remembers every request."""

    def __init__(self, records, wrap=None):
        self.records, self.wrap, self.requests = records, wrap, []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        limit, offset = int(request.url.params["limit"]), int(request.url.params["offset"])
        page = self.records[offset : offset + limit]
        return httpx.Response(200, json={self.wrap: page, "total": len(self.records)} if self.wrap else page)


def client_for(handler):
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return HaloClient("https://halo.test", http=http, sleep=lambda _s: None)


def test_pages_are_read_by_offset_until_one_is_shorter_than_the_limit():
    ledger = Ledger([record(n) for n in range(5)])
    entries = list(client_for(ledger).history(MERCHANT, page_size=2))
    assert [e.id for e in entries] == [f"tx-{n}" for n in range(5)]
    assert [(r.url.params["limit"], r.url.params["offset"]) for r in ledger.requests] == [
        ("2", "0"),
        ("2", "2"),
        ("2", "4"),
    ]


def test_a_full_last_page_costs_one_more_read_that_comes_back_empty():
    ledger = Ledger([record(n) for n in range(4)])
    assert len(list(client_for(ledger).history(MERCHANT, page_size=2))) == 4
    assert [r.url.params["offset"] for r in ledger.requests] == ["0", "2", "4"]


def test_a_page_is_asked_for_only_when_the_previous_one_has_been_consumed():
    ledger = Ledger([record(n) for n in range(6)])
    entries = client_for(ledger).history(MERCHANT, page_size=2)
    assert ledger.requests == []
    assert [next(entries).id, next(entries).id] == ["tx-0", "tx-1"]
    assert len(ledger.requests) == 1
    next(entries)
    assert len(ledger.requests) == 2


def test_the_filters_go_as_halos_query_parameters_with_the_merchants_key():
    ledger = Ledger([])
    johannesburg = timezone(timedelta(hours=2))
    list(
        client_for(ledger).history(
            MERCHANT,
            start=datetime(2026, 12, 7, 2, 0, tzinfo=johannesburg),
            end=datetime(2026, 12, 7, 23, 59, 59, 999000, tzinfo=UTC),
            merchant_reference="chk_42",
            page_size=250,
        )
    )
    (request,) = ledger.requests
    assert (request.method, request.url.path) == ("GET", "/transactions")
    assert request.headers["x-api-key"] == "secret-key"
    assert dict(request.url.params) == {
        "merchant": "7f1c2a40-0d4e-4c8e-9c55-5f7e1b2c3d4e",
        "startDate": "2026-12-07T00:00:00.000Z",
        "endDate": "2026-12-07T23:59:59.999Z",
        "merchantReference": "chk_42",
        "limit": "250",
        "offset": "0",
    }


def test_filters_left_out_are_not_sent():
    ledger = Ledger([])
    list(client_for(ledger).history(MERCHANT))
    assert set(ledger.requests[0].url.params) == {"merchant", "limit", "offset"}


@pytest.mark.parametrize("wrap", ["data", "transactions", "items"])
def test_records_wrapped_in_an_object_are_read_like_halos_documented_bare_array(wrap):
    ledger = Ledger([record(n) for n in range(3)], wrap=wrap)
    assert [e.id for e in client_for(ledger).history(MERCHANT, page_size=2)] == ["tx-0", "tx-1", "tx-2"]


def test_an_answer_that_holds_no_list_of_records_is_a_bad_response():
    answer = httpx.Response(200, json={"message": "ok"})
    with pytest.raises(HaloBadResponse):
        list(client_for(lambda _r: answer).history(MERCHANT))


def test_a_record_without_an_id_is_logged_and_skipped_and_the_rest_are_read(caplog):
    records = [record(0), {"merchantReference": "chk_x", "amount": "1.00"}, "not an object", record(3)]
    ledger = Ledger(records)
    with caplog.at_level(logging.WARNING, logger="halotap.adapters.halo_history"):
        entries = list(client_for(ledger).history(MERCHANT, page_size=4))
    assert [e.id for e in entries] == ["tx-0", "tx-3"]
    assert len([r for r in caplog.records if "skipped" in r.getMessage()]) == 2
    # The skipped records still count towards the page: a full page means there may be another.
    assert [r.url.params["offset"] for r in ledger.requests] == ["0", "4"]


def test_a_refused_api_key_is_an_auth_failure():
    answer = httpx.Response(401, json={"errorCode": 102, "message": "E102: Invalid API Key"})
    with pytest.raises(HaloAuthFailed):
        list(client_for(lambda _r: answer).history(MERCHANT))


def test_a_page_answered_with_5xx_is_retried_like_a_status_read_then_is_unavailable():
    history_calls, status_calls = [], []

    def history(request):
        history_calls.append(request)
        return httpx.Response(503)

    def status(request):
        status_calls.append(request)
        return httpx.Response(503)

    with pytest.raises(HaloUnavailable):
        list(client_for(history).history(MERCHANT))
    with pytest.raises(HaloUnavailable):
        client_for(status).transaction(MERCHANT, "ref-1")
    assert len(history_calls) == len(status_calls) > 1


def test_a_page_that_failed_once_is_read_again():
    answers = iter([httpx.Response(502), httpx.Response(200, json=[record(1)])])
    entries = list(client_for(lambda _r: next(answers)).history(MERCHANT))
    assert [e.id for e in entries] == ["tx-1"]


def test_a_page_that_never_answers_is_a_timeout():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(HaloTimeout, match="GET transactions"):
        list(client_for(handler).history(MERCHANT))


@pytest.mark.parametrize(
    "arguments",
    [
        {"start": datetime(2026, 12, 7)},  # zoneless: which day's midnight?
        {"end": datetime(2026, 12, 7)},
        {"page_size": 0},
        {"page_size": 1001},
    ],
)
def test_an_ambiguous_bound_or_an_impossible_page_size_is_refused_before_calling_halo(arguments):
    ledger = Ledger([])
    with pytest.raises(ValueError, match=r"start|end|page_size"):
        client_for(ledger).history(MERCHANT, **arguments)
    assert ledger.requests == []


class TestParseLedgerEntry:
    def test_a_refund_record_with_its_settlement_keys(self):
        entry = parse_ledger_entry(
            record(
                7,
                transactionType="Refund",
                originalTransactionId="tx-1",
                amount=Decimal("4.50"),
                transactionFee="0.13",
                createdAt="2026-12-07T12:00:00.250+02:00",
                paymentProviderFields={
                    "reconReference": "R123",
                    "acquirerDate": 20261207,
                    "acquirerTime": "100000",
                    "cardType": "VISA",
                },
            )
        )
        assert entry.is_refund
        assert (entry.original_transaction_id, entry.amount) == ("tx-1", Decimal("4.50"))
        assert entry.created_at == datetime(2026, 12, 7, 10, 0, 0, 250000, tzinfo=UTC)
        assert entry.settlement == Settlement("R123", "20261207", "100000", Decimal("0.13"))

    def test_halos_documented_record_reads_its_reference_and_infers_a_purchase(self):
        # Halo's example: merchantTransactionReference, numeric ids for type and disposition, no fee.
        entry = parse_ledger_entry(
            {
                "id": "1d87e52a",
                "merchantTransactionReference": "17a42d8a",
                "transactionDispositionId": 0,
                "transactionTypeId": 1,
                "originalTransactionId": None,
                "amount": "100",
                "currency": "ZAR",
                "transactionFee": None,
                "createdAt": "2023-06-06T12:04:14.247Z",
            }
        )
        assert (entry.merchant_reference, entry.transaction_type, entry.disposition) == (
            "17a42d8a",
            "Purchase",
            None,
        )
        assert entry.amount == Decimal(100)
        assert entry.settlement.is_empty

    def test_a_record_naming_an_original_transaction_but_no_type_is_a_refund(self):
        entry = parse_ledger_entry({"id": "r1", "originalTransactionId": "tx-1", "amount": 3})
        assert entry.is_refund

    @pytest.mark.parametrize("created_at", ["yesterday", "2026-12-07T10:00:00", 1733565600])
    def test_an_unreadable_or_zoneless_created_at_reads_as_none(self, created_at):
        assert parse_ledger_entry(record(1, createdAt=created_at)).created_at is None

    def test_an_unreadable_amount_reads_as_none(self):
        assert parse_ledger_entry(record(1, amount="ten")).amount is None

    @pytest.mark.parametrize("bad", [{"amount": "1.00"}, {"id": ""}, ["tx-1"]])
    def test_a_record_without_an_id_is_refused(self, bad):
        with pytest.raises(ValueError, match=r"id|object"):
            parse_ledger_entry(bad)


def test_the_shared_fake_halo_serves_its_ledger_as_the_history():
    from tests.fakes import FakeHalo

    halo = FakeHalo()
    halo.ledger = [record(n) for n in range(3)]
    client = client_for(halo)
    assert [e.id for e in client.history(MERCHANT, page_size=2)] == ["tx-0", "tx-1", "tx-2"]
    assert [e.id for e in client.history(MERCHANT, merchant_reference="chk_1")] == ["tx-1"]
    assert (len(halo.history_reads), halo.status_reads) == (3, 0)
