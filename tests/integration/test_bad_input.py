"""Findings 6 and 7: bad input is a 4xx problem that says what is wrong, never a 5xx or a poison message.

One table holds every case, for the three doors input comes in by: the PSP's API (create), Halo's
webhook, and the authorizer. Each row goes through the deployed handler; a webhook row that is refused
must also have queued nothing.
"""

from __future__ import annotations

import json

import pytest

from functions.authorizer import handler as authorizer
from functions.create_checkout import handler as create_handler
from functions.halo_webhook import handler as webhook_handler
from halotap.adapters import aws
from halotap.settings import settings
from tests.fakes import FakeLambdaContext, api_event

API_KEY = "dev-psp-key-0123456789abcdef"  # the seeded PSP client's key
DEEP = "[" * 1000 + "]" * 1000  # about 2 KB
CREATE = '{"merchantId": "demo-merchant", "reference": "bad-1", "amount": "10.00", "currency": "ZAR"%s}'
WEBHOOK = '{"merchantReference": "chk_x", "disposition": "Approved"%s}'


def create(services, body):
    event = api_event("POST", "/v1/checkouts", body=body)
    answer = create_handler.handler(event, FakeLambdaContext(), services=services)
    return answer["statusCode"], json.loads(answer["body"]).get("code")


def webhook(services, body):
    token = "dev-webhook-token"
    event = api_event(
        "POST",
        f"/v1/halo/webhooks/{token}",
        resource="/v1/halo/webhooks/{token}",
        body=body,
        path_params={"token": token},
    )
    event["requestContext"].pop("authorizer")
    answer = webhook_handler.handler(event, FakeLambdaContext(), services=services)
    return answer["statusCode"], json.loads(answer["body"]).get("code")


def authorize(services, authorization):
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc/dev/POST/v1/checkouts",
        "headers": {"Authorization": authorization},
    }
    try:
        answer = authorizer.handler(event, FakeLambdaContext(), services=services)
    except Exception as error:
        # "Unauthorized" is how an authorizer tells API Gateway to answer 401; anything else is a 500.
        return (401, "unauthorized") if str(error) == "Unauthorized" else (500, repr(error))
    return 200, answer["principalId"]


BAD_INPUT = [
    # (door, what, input, status, code)
    ("create", "JSON nested 1,000 deep", DEEP, 400, "invalid_request"),
    (
        "create",
        "JSON nested 40 deep",
        CREATE % (', "metadata": ' + "[" * 40 + "]" * 40),
        400,
        "invalid_request",
    ),
    ("create", "a NaN number", CREATE % ', "expiresInSeconds": NaN', 400, "invalid_request"),
    ("create", "an Infinity number", CREATE % ', "expiresInSeconds": -Infinity', 400, "invalid_request"),
    (
        "create",
        "a lone surrogate in metadata",
        CREATE % ', "metadata": {"note": "\\ud800"}',
        400,
        "invalid_request",
    ),
    (
        "create",
        "a lone surrogate in a key",
        CREATE % ', "metadata": {"\\udfff": "x"}',
        400,
        "invalid_request",
    ),
    ("create", "amount sNaN", CREATE.replace('"10.00"', '"sNaN"') % "", 400, "invalid_request"),
    ("create", "amount Infinity", CREATE.replace('"10.00"', '"Infinity"') % "", 400, "invalid_request"),
    (
        "create",
        "a 5 MB body",
        CREATE % (', "metadata": {"note": "' + "x" * 5_000_000 + '"}'),
        413,
        "payload_too_large",
    ),
    ("webhook", "JSON nested 1,000 deep", DEEP, 400, "invalid_request"),
    ("webhook", "amount sNaN", WEBHOOK % ', "amount": "sNaN"', 400, "invalid_request"),
    ("webhook", "amount NaN as a number", WEBHOOK % ', "amount": NaN', 400, "invalid_request"),
    ("webhook", "amount Infinity", WEBHOOK % ', "amount": "-Infinity"', 400, "invalid_request"),
    ("webhook", "amount as an object", WEBHOOK % ', "amount": {"value": 1}', 400, "invalid_request"),
    ("webhook", "a lone surrogate", WEBHOOK % ', "haloReference": "\\ud800"', 400, "invalid_request"),
    (
        "webhook",
        "a disposition that is an object",
        '{"merchantReference": "chk_x", "disposition": {}}',
        400,
        "invalid_request",
    ),
    (
        "webhook",
        "a reference that is a list",
        '{"merchantReference": ["chk_x"], "disposition": "Approved"}',
        400,
        "invalid_request",
    ),
    (
        "webhook",
        "a 1,000-character code",
        WEBHOOK % (', "authorisationCode": "' + "A" * 1000 + '"'),
        400,
        "invalid_request",
    ),
    (
        "webhook",
        "a 190 KB field",
        WEBHOOK % (', "responseCode": "' + "9" * 190_000 + '"'),
        413,
        "payload_too_large",
    ),
    ("webhook", "a 5 MB body", WEBHOOK % (', "pad": "' + "x" * 5_000_000 + '"'), 413, "payload_too_large"),
    ("authorizer", "a tab after the key", f"Bearer {API_KEY}\t", 401, "unauthorized"),
    ("authorizer", "a no-break space after the key", f"Bearer {API_KEY}\u00a0", 401, "unauthorized"),
    ("authorizer", "a vertical tab after the key", f"Bearer {API_KEY}\x0b", 401, "unauthorized"),
    ("authorizer", "a space after the key", f"Bearer {API_KEY} ", 401, "unauthorized"),
    ("authorizer", "two spaces before the key", f"Bearer  {API_KEY}", 401, "unauthorized"),
    ("authorizer", "a tab for the space", f"Bearer\t{API_KEY}", 401, "unauthorized"),
    ("authorizer", "a lower-case scheme", f"bearer {API_KEY}", 401, "unauthorized"),
    ("authorizer", "an upper-case scheme", f"BEARER {API_KEY}", 401, "unauthorized"),
    ("authorizer", "a space before the scheme", f" Bearer {API_KEY}", 401, "unauthorized"),
    ("authorizer", "the key alone", API_KEY, 401, "unauthorized"),
]
DOORS = {"create": create, "webhook": webhook, "authorizer": authorize}


@pytest.mark.parametrize(
    ("door", "what", "given", "status", "code"), BAD_INPUT, ids=[f"{r[0]}: {r[1]}" for r in BAD_INPUT]
)
def test_findings_6_and_7_bad_input_is_a_4xx_problem(services, door, what, given, status, code):
    assert DOORS[door](services, given) == (status, code)
    if door == "webhook":
        queued = aws.sqs().receive_message(QueueUrl=settings().halo_events_queue_url, MaxNumberOfMessages=1)
        assert (
            queued.get("Messages", []) == []
        )  # refused before queueing: nothing for the consumer to choke on


@pytest.mark.parametrize(
    ("door", "given", "status"),
    [
        ("create", CREATE % "", 201),
        ("webhook", WEBHOOK % ', "amount": 10.5, "authorisationCode": "A1B2C3D4"', 200),
        ("webhook", WEBHOOK % ', "amount": "10.50"', 200),
        ("authorizer", f"Bearer {API_KEY}", 200),
    ],
)
def test_the_same_doors_take_good_input(services, door, given, status):
    assert DOORS[door](services, given)[0] == status
