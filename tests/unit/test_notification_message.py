"""The notifications-queue message: one type, whose JSON keys are the wire format queues already hold."""

from __future__ import annotations

import json

import pytest

from halotap.domain.notifications import MalformedMessage, NotificationMessage

BODY = '{"type":"checkout.approved","timestamp":"2026-01-05T10:01:00.000Z","data":{"id":"chk_1"}}'
WIRE = {
    "eventId": "evt_chk_1_3",
    "checkoutId": "chk_1",
    "clientId": "demo-psp",
    "type": "checkout.approved",
    "body": BODY,
    "replay": False,
}


def test_the_json_keys_are_those_queued_by_earlier_releases():
    message = NotificationMessage("evt_chk_1_3", "chk_1", "demo-psp", "checkout.approved", BODY)
    assert message.to_json() == json.dumps(WIRE)  # byte for byte, in the same key order
    assert NotificationMessage.from_json(message.to_json()) == message


def test_a_message_queued_without_replay_reads_as_no_replay():
    older = {key: value for key, value in WIRE.items() if key != "replay"}
    assert NotificationMessage.from_json(json.dumps(older)).replay is False
    assert NotificationMessage.from_json(json.dumps({**WIRE, "replay": True})).replay is True


def test_the_dlq_bookkeeping_is_not_part_of_the_message():
    parked = {**WIRE, "attempts": 8, "lastError": "HTTP 503"}
    assert NotificationMessage.from_dict(parked).to_dict() == WIRE


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "the body is not a notification message"),
        ("[1, 2]", "the body is not a notification message"),
        (json.dumps({**WIRE, "body": None, "clientId": 7}), "the body has no clientId, body"),
    ],
)
def test_anything_else_is_malformed_and_says_why(text, reason):
    with pytest.raises(MalformedMessage, match=reason):
        NotificationMessage.from_json(text)
