import json
from decimal import Decimal

import pytest

from halotap.domain.errors import InvalidRequest
from halotap.domain.halo import check_shape, parse_outcome
from halotap.domain.states import Disposition


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"disposition": "Approved"}', "neither merchantReference nor id"),
        ('{"merchantReference": "chk_1"}', "no disposition"),
        ('{"id": "t1", "disposition": ""}', "no disposition"),
        (None, "not valid JSON"),
    ],
)
def test_intake_refuses_payloads_it_could_never_apply(body, message):
    with pytest.raises(InvalidRequest, match=message):
        check_shape(body)


def test_intake_accepts_an_id_without_merchant_reference():
    assert check_shape('{"id": "t1", "disposition": "Approved"}')["id"] == "t1"


def test_parse_tolerates_the_documented_variants():
    payload = check_shape(
        json.dumps(
            {
                "merchantReference": "chk_1",
                "disposition": "approved",
                "authorizationCode": "X1",
                "amount": 100.01,
            }
        )
    )
    outcome = parse_outcome(payload)
    assert outcome.disposition == Disposition.APPROVED
    assert outcome.authorisation_code == "X1"
    assert outcome.amount == Decimal("100.01")  # read from the JSON text, never through a float


def test_parse_refuses_an_undocumented_disposition():
    with pytest.raises(ValueError, match="unknown Halo disposition"):
        parse_outcome({"merchantReference": "chk_1", "disposition": "Pending"})


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        (300, 300),
        ("318", 318),
        (65, 65),
        (None, None),
        (0, None),  # Halo's "no error"
        (-1, None),
        ("NFC", None),
        (True, None),
        (3.5, None),
        ("123456", None),  # out of bounds: no Halo code is that long
        ("9" * 1000, None),
    ],
)
def test_halos_error_code_is_kept_only_as_a_small_positive_number(sent, kept):
    outcome = parse_outcome({"merchantReference": "chk_1", "disposition": "Declined", "errorCode": sent})
    assert outcome.error_code == kept
