"""The refund rules: what Halo's answer makes of a refund, what is left to refund, the ids and the settings."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from halotap.adapters.halo import HaloClient
from halotap.domain.errors import HaloBadResponse, HaloTimeout, HaloUnavailable
from halotap.domain.halo import RefundAnswer, parse_outcome, parse_refund_answer
from halotap.domain.ids import is_refund_id, new_refund_id, refund_event_id
from halotap.domain.models import Checkout, Refund, RefundStatus
from halotap.domain.money import Money, from_minor
from halotap.domain.parties import Client, MerchantCredentials
from halotap.domain.refunds import judge, refund_amount, refundable
from halotap.domain.states import CheckoutStatus
from halotap.domain.views import checkout_view
from halotap.domain.watch import next_due

MERCHANT = MerchantCredentials("demo-merchant", "sim-merchant-001", "secret-key")


@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        (RefundAnswer("Approved"), RefundStatus.SUCCEEDED, None),
        (RefundAnswer("approved"), RefundStatus.SUCCEEDED, None),
        (RefundAnswer("Declined", 212, "Refund Too Late"), RefundStatus.FAILED, "refund_too_late"),
        (RefundAnswer(None, 212), RefundStatus.FAILED, "refund_too_late"),
        # Halo has this refund: halotap alone sends its reference, so an earlier call made it.
        (RefundAnswer(None, 213, "Refund Already Processed"), RefundStatus.SUCCEEDED, None),
        (RefundAnswer("Declined", 209, "Declined by provider"), RefundStatus.FAILED, "halo_209"),
        (RefundAnswer("Declined"), RefundStatus.FAILED, "halo_declined"),
        (RefundAnswer(None), RefundStatus.PENDING, None),  # neither approval nor refusal
        (None, RefundStatus.PENDING, None),  # a timeout, a 5xx, a garbled body
    ],
)
def test_halos_answer_maps_to_the_refund_status(answer, status, code):
    judgement = judge(answer)
    assert judgement.status == status
    assert (judgement.failure.code if judgement.failure else None) == code


def test_a_213_is_never_a_refusal_even_to_what_halotap_thinks_is_its_first_call():
    judgement = judge(RefundAnswer(None, 213, "Refund Already Processed"))
    assert (judgement.status, judgement.failure) == (RefundStatus.SUCCEEDED, None)


def test_a_refusal_keeps_halos_message():
    judgement = judge(RefundAnswer("Declined", 209, "Declined by provider"))
    assert judgement.failure is not None
    assert judgement.failure.message == "Declined by provider"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"type": "Approved", "haloReference": "h-1", "errorCode": None},
            RefundAnswer("Approved", None, None, "h-1"),
        ),
        (
            {"errorCode": "212", "message": "E212: Refund Too Late"},
            RefundAnswer(None, 212, "E212: Refund Too Late"),
        ),
        ({"type": "Declined", "errorCode": 213, "errorMessage": "x"}, RefundAnswer("Declined", 213, "x")),
        ({"errorCode": "not a number"}, RefundAnswer(None)),
    ],
)
def test_halos_refund_answer_is_read_tolerantly(raw, expected):
    assert parse_refund_answer(raw) == expected


def checkout(amount="100.00", reserved=0, refunds=None):
    return Checkout(
        id="chk_" + "a" * 26,
        client_id="demo-psp",
        merchant_id="demo-merchant",
        reference="r",
        amount=amount,
        currency="ZAR",
        status=CheckoutStatus.APPROVED,
        expires_at="2026-11-27T12:30:00.000Z",
        created_at="2026-11-27T12:00:00.000Z",
        updated_at="2026-11-27T12:00:00.000Z",
        reserved_minor=reserved,
        refunds=refunds or {},
    )


def test_the_default_refund_is_what_is_left_and_an_amount_is_read_in_minor_units():
    partly = checkout(reserved=3000)
    assert refundable(partly) == 7000
    assert refund_amount(partly, None) == 7000
    assert refund_amount(partly, "12.34") == 1234


@pytest.mark.parametrize(
    ("units", "currency", "text"),
    [
        (0, "ZAR", "0.00"),
        (5, "ZAR", "0.05"),
        (1050, "ZAR", "10.50"),
        (100, "JPY", "100"),
        (1, "BHD", "0.001"),
    ],
)
def test_minor_units_render_with_exactly_the_currencys_digits(units, currency, text):
    assert from_minor(units, currency) == text
    assert units == 0 or Money.parse(text, currency).minor_units == units


def refund(refund_id, status, next_attempt_at):
    return Refund(
        id=refund_id,
        checkout_id="chk_" + "a" * 26,
        amount="1.00",
        currency="ZAR",
        reference=refund_id,
        status=status,
        created_at="2026-11-27T12:00:00.000Z",
        updated_at="2026-11-27T12:00:00.000Z",
        next_attempt_at=next_attempt_at,
    )


def test_a_checkout_is_next_due_at_its_earliest_pending_refund_retry():
    refunds = {
        "a": refund("a", RefundStatus.PENDING, "2026-11-27T12:05:00.000Z"),
        "b": refund("b", RefundStatus.PENDING, "2026-11-27T12:01:00.000Z"),
        "c": refund("c", RefundStatus.SUCCEEDED, None),
    }
    assert next_due(checkout(refunds=refunds)) == "2026-11-27T12:01:00.000Z"
    assert next_due(checkout()) is None


def test_the_api_view_hides_the_refund_and_checkout_bookkeeping():
    view = checkout_view(checkout(reserved=100, refunds={"a": refund("a", RefundStatus.PENDING, "x")}))
    assert view["amountRefunded"] == "0.00"
    assert view["refunds"][0].keys() == {
        "id",
        "checkoutId",
        "amount",
        "currency",
        "reference",
        "status",
        "metadata",
        "createdAt",
        "updatedAt",
    }
    assert not {"reservedMinor", "refundedMinor", "refundReferences", "refundCount"} & view.keys()


def test_refund_ids_are_128_random_bits_and_their_event_ids_are_per_outcome():
    ids = {new_refund_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(is_refund_id(i) and len(i) == 30 for i in ids)
    assert not is_refund_id("rfd_../../x")
    assert refund_event_id("rfd_abc", "refund.succeeded") == "evt_abc_succeeded"


@pytest.mark.parametrize(
    ("record", "refunds"),
    [
        ({}, False),
        ({"lateApprovals": "keep"}, False),
        ({"lateApprovals": "refund"}, True),
        ({"lateApprovals": "yes"}, False),
    ],
)
def test_late_approvals_default_to_keep(record, refunds):
    assert Client.parse("psp", {"keyHashes": [], **record}).refunds_late_approvals is refunds


def test_the_webhooks_halo_reference_is_halos_transaction_id():
    reported = parse_outcome({"id": "consumer-1", "haloReference": "backend-1", "disposition": "Approved"})
    assert (reported.halo_transaction_id, reported.consumer_transaction_id) == ("backend-1", "consumer-1")


def client_for(handler):
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return HaloClient("https://halo.test", http=http, sleep=lambda _s: None)


def test_the_refund_call_sends_the_amount_as_a_json_number_written_from_the_decimal():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"type": "Approved", "haloReference": "h-1"})

    answer = client_for(handler).refund(
        MERCHANT, "tx/1", money=Money.parse("0.10", "ZAR"), refund_reference="rfd_x"
    )
    assert answer == RefundAnswer("Approved", halo_reference="h-1")
    assert seen[0].method == "POST"
    assert seen[0].url.raw_path == b"/transactions/tx%2F1/refund"
    assert seen[0].headers["x-api-key"] == "secret-key"
    assert json.loads(seen[0].content, parse_float=Decimal) == {
        "amount": Decimal("0.10"),
        "refundReference": "rfd_x",
    }
    assert b'"amount": 0.10,' in seen[0].content


def test_a_refusal_in_halos_error_shape_is_an_answer_not_an_error():
    answer = client_for(
        lambda _r: httpx.Response(400, json={"errorCode": 212, "message": "E212: Refund Too Late"})
    ).refund(MERCHANT, "tx", money=Money.parse("1.00", "ZAR"), refund_reference="rfd_x")
    assert answer.error_code == 212


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (httpx.ReadTimeout("slow"), HaloTimeout),
        (httpx.Response(500), HaloUnavailable),
        (httpx.Response(200, text="<html>"), HaloBadResponse),
        (httpx.Response(200, json=[1]), HaloBadResponse),
    ],
)
def test_a_refund_is_sent_once_whatever_goes_wrong_after_it_left(reply, error):
    calls = []

    def handler(request):
        calls.append(request)
        if isinstance(reply, Exception):
            raise reply
        return reply

    with pytest.raises(error):
        client_for(handler).refund(MERCHANT, "tx", money=Money.parse("1.00", "ZAR"), refund_reference="rfd_x")
    assert len(calls) == 1
