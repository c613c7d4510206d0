from decimal import Decimal

import pytest

from devstack import redact
from halotap.domain import json_input
from halotap.domain.errors import InvalidRequest


def test_nesting_up_to_the_limit_parses_and_one_more_level_is_refused():
    depth = json_input.MAX_DEPTH
    assert json_input.load("[" * depth + "]" * depth) is not None
    with pytest.raises(InvalidRequest, match="nests deeper than"):
        json_input.load("[" * (depth + 1) + "]" * (depth + 1))


def test_nesting_deep_enough_to_exhaust_the_parser_is_a_400_not_a_recursion_error():
    with pytest.raises(InvalidRequest, match="nests deeper than"):
        json_input.load("[" * 100_000 + "]" * 100_000)


def test_numbers_are_exact_and_finite():
    assert json_input.load('{"amount": 10.10}') == {"amount": Decimal("10.10")}
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(InvalidRequest, match=constant.lstrip("-")):
            json_input.load(f'{{"amount": {constant}}}')


def test_a_lone_surrogate_is_refused_and_a_real_pair_is_kept():
    with pytest.raises(InvalidRequest, match="not valid Unicode"):
        json_input.load('{"note": "\\ud800"}')
    assert json_input.load('{"note": "\\ud83d\\ude00"}') == {"note": "\U0001f600"}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("POST /v1/halo/webhooks/dev-webhook-token HTTP/1.1", "POST /v1/halo/webhooks/*** HTTP/1.1"),
        ("http://127.0.0.1:3000/v1/halo/webhooks/abc?x=1", "http://127.0.0.1:3000/v1/halo/webhooks/***?x=1"),
        ("/v1/checkouts/chk_1", "/v1/checkouts/chk_1"),
    ],
)
def test_the_devstack_shows_a_webhook_path_without_its_token(text, shown):
    assert redact.webhook_token(text) == shown


def test_the_devstack_shows_a_key_by_its_first_characters_only():
    assert redact.headers({"x-api-key": "sim-api-key-demo-merchant", "accept": "*/*"}) == {
        "x-api-key": "sim-…",
        "accept": "*/*",
    }
