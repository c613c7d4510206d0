"""halotap-notifications against moto: list the DLQ without consuming it, redrive, replay."""

from __future__ import annotations

import json

import boto3
import pytest

from halotap.adapters.dynamodb import CheckoutStore
from halotap.domain import notifications as notify
from halotap.domain.errors import ConcurrentUpdate
from halotap.domain.events import event_from_checkout
from halotap.domain.ids import event_id
from halotap.domain.models import Checkout, NotificationState
from halotap.domain.notifications import NotificationMessage, marked
from halotap.domain.states import CheckoutStatus, Disposition
from halotap.domain.views import checkout_view
from halotap.settings import settings
from tests.integration.test_events import call as api_call
from tests.integration.test_notifications import approve, checkout_of, halo_reports
from tools import notifications_cli as operator

CHECKOUT_ID = "chk_operator0001"
APPROVED = event_id(CHECKOUT_ID, 3)
CREATED_AT = "2026-01-05T10:00:00.000Z"


def make_checkout(notifications: dict[str, NotificationState]) -> Checkout:
    return Checkout(
        id=CHECKOUT_ID,
        client_id="demo-psp",
        merchant_id="demo-merchant",
        reference="order-op-1",
        amount="25.00",
        currency="ZAR",
        status=CheckoutStatus.APPROVED,
        expires_at="2026-01-05T10:30:00.000Z",
        created_at=CREATED_AT,
        updated_at="2026-01-05T10:01:00.000Z",
        notifications=notifications,
        version=3,
    )


@pytest.fixture
def store(services) -> CheckoutStore:
    return services.store  # the production wiring's store, on the package's moto


@pytest.fixture
def sqs(moto_env):
    return boto3.client("sqs")


@pytest.fixture
def checkout(store) -> Checkout:
    """An approved checkout whose notification ran out of retries, as the deliverer leaves it."""
    failed = NotificationState(
        type="checkout.approved",
        status="failed",
        attempts=8,
        created_at="2026-01-05T10:01:00.000Z",
        last_error="HTTP 503",
        last_status=503,
    )
    store.insert(make_checkout({APPROVED: failed}))
    stored = store.get(CHECKOUT_ID)
    assert stored is not None
    return stored


def park(sqs, checkout: Checkout, event: str = APPROVED, attempts: int = 8, error: str = "HTTP 503") -> str:
    """Puts a DLQ message shaped as the deliverer writes it; returns its SQS MessageId."""
    body = json.dumps({**queued_message(checkout, event).to_dict(), "attempts": attempts, "lastError": error})
    return str(sqs.send_message(QueueUrl=settings().notifications_dlq_url, MessageBody=body)["MessageId"])


def queued_message(checkout: Checkout, event: str = APPROVED) -> NotificationMessage:
    """The message publish queued for `event`, as the deliverer received it."""
    body = notify.notification_body(checkout, event, notify_time())
    return NotificationMessage.of_event(
        event_from_checkout(checkout.id, checkout.client_id, event, body), replay=False
    )


def notify_time():
    from datetime import UTC, datetime

    return datetime(2026, 1, 5, 10, 1, tzinfo=UTC)


def drain(sqs, queue_url: str) -> list[dict]:
    """Everything in a queue, consumed (these are the test's own reads)."""
    bodies: list[dict] = []
    while True:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        if not answer.get("Messages"):
            return bodies
        bodies.extend(json.loads(received["Body"]) for received in answer["Messages"])


def depth(sqs, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_list_dlq_shows_the_parked_message_and_leaves_it_there(sqs, checkout, capsys):
    message_id = park(sqs, checkout)

    assert operator.main(["list-dlq"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["MESSAGE", "ID", "EVENT"]
    assert [message_id, APPROVED, CHECKOUT_ID, "demo-psp", "checkout.approved", "8"] == table[1].split()[:6]
    assert table[1].endswith("HTTP 503")

    assert operator.main(["list-dlq", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [
        {
            "messageId": message_id,
            "eventId": APPROVED,
            "checkoutId": CHECKOUT_ID,
            "clientId": "demo-psp",
            "type": "checkout.approved",
            "attempts": 8,
            "lastError": "HTTP 503",
        }
    ]
    assert depth(sqs, settings().notifications_dlq_url) == 1  # listed twice, consumed never


def test_list_dlq_lists_each_message_once_and_stops_at_the_limit(sqs, checkout, capsys):
    ids = {park(sqs, checkout, error=f"HTTP 50{n}") for n in range(4)}

    assert operator.main(["list-dlq", "--json"]) == 0
    listed = [json.loads(line)["messageId"] for line in capsys.readouterr().out.splitlines()]
    assert sorted(listed) == sorted(ids)

    assert operator.main(["list-dlq", "--json", "--limit", "2"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2
    assert "--limit" in captured.err


def test_list_dlq_counts_every_message_past_what_one_receive_returns_and_consumes_none(sqs, checkout, capsys):
    ids = {park(sqs, checkout, error=f"HTTP 5{n:02}") for n in range(12)}  # one receive returns at most 10

    assert operator.main(["list-dlq", "--json"]) == 0
    captured = capsys.readouterr()
    listed = [json.loads(line)["messageId"] for line in captured.out.splitlines()]
    assert sorted(listed) == sorted(ids)  # each once
    assert "12 message(s) in the notifications DLQ" in captured.err
    visible = sqs.get_queue_attributes(
        QueueUrl=settings().notifications_dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"]
    assert visible == "12"  # every one visible again, none consumed


def test_redrive_of_an_unknown_message_id_on_an_empty_dlq_says_not_found(moto_env, capsys):
    assert operator.main(["redrive", "--message-id", "bogus"]) == 1
    err = capsys.readouterr().err
    assert "not found bogus: no such message in the DLQ" in err
    assert "moved 0 message(s); 1 not found in the DLQ" in err
    assert "left in the DLQ" not in err


def test_list_dlq_of_an_empty_dlq(moto_env, capsys):
    assert operator.main(["list-dlq"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "0 message(s)" in captured.err


def test_redrive_one_message_moves_it_back_and_marks_the_notification_queued(sqs, store, checkout, capsys):
    moved = park(sqs, checkout)
    other = park(sqs, checkout, error="connection refused")

    assert operator.main(["redrive", "--message-id", moved]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert out[0].startswith(f"moved {moved} event {APPROVED} checkout {CHECKOUT_ID}")
    assert "failed -> queued" in out[0]

    remaining = operator.list_dlq(sqs, settings().notifications_dlq_url)
    assert [parked.message_id for parked in remaining] == [other]  # the other one stays, and visible
    sent = drain(sqs, settings().notifications_queue_url)
    assert sent == [queued_message(checkout).to_dict()]
    assert "attempts" not in sent[0]
    assert "lastError" not in sent[0]
    assert sent[0]["replay"] is False
    after = store.get(CHECKOUT_ID)
    assert after is not None
    assert after.notifications[APPROVED].status == "queued"
    assert checkout_view(after)["notifications"][0]["status"] == "queued"  # what GET shows


def test_redrive_all_empties_the_dlq(sqs, store, checkout, capsys):
    ids = {park(sqs, checkout) for _ in range(3)}

    assert operator.main(["redrive", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert {line.split()[1] for line in lines} == ids
    assert depth(sqs, settings().notifications_dlq_url) == 0
    assert len(drain(sqs, settings().notifications_queue_url)) == 3


def test_dry_run_moves_nothing(sqs, store, checkout, capsys):
    message_id = park(sqs, checkout)

    assert operator.main(["redrive", "--all", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"would move {message_id} event {APPROVED} checkout {CHECKOUT_ID}"
    ]
    assert operator.main(["redrive", "--message-id", message_id, "--dry-run"]) == 0
    assert depth(sqs, settings().notifications_dlq_url) == 1
    assert depth(sqs, settings().notifications_queue_url) == 0
    after = store.get(CHECKOUT_ID)
    assert after is not None
    assert after.notifications[APPROVED].status == "failed"
    assert after.version == checkout.version


def test_redrive_of_an_unknown_message_id_fails_and_touches_nothing(sqs, checkout, capsys):
    park(sqs, checkout)

    assert operator.main(["redrive", "--message-id", "no-such-id"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "not found no-such-id" in captured.err
    assert len(operator.list_dlq(sqs, settings().notifications_dlq_url)) == 1  # released, still visible


def test_redrive_moves_back_an_event_that_belongs_to_no_checkout(sqs, checkout, capsys):
    """ledger.completed is about a merchant-day, not a checkout: redrive sends it back as it was."""
    ledger_event = NotificationMessage(
        event_id="evt_ledger_0123456789abcdefghijklmnop",
        checkout_id="",
        client_id="demo-psp",
        type="ledger.completed",
        body='{"type":"ledger.completed","timestamp":"2026-12-08T03:00:00.000Z","data":{}}',
        replay=False,
    )
    body = json.dumps({**ledger_event.to_dict(), "attempts": 8, "lastError": "HTTP 503"})
    parked = sqs.send_message(QueueUrl=settings().notifications_dlq_url, MessageBody=body)["MessageId"]

    assert operator.main(["redrive", "--all"]) == 0
    assert parked in capsys.readouterr().out
    assert depth(sqs, settings().notifications_dlq_url) == 0
    [moved] = drain(sqs, settings().notifications_queue_url)
    assert NotificationMessage.from_dict(moved) == ledger_event


def test_redrive_leaves_a_message_whose_checkout_is_gone(sqs, checkout, capsys):
    orphan = make_checkout({APPROVED: checkout.notifications[APPROVED]}).but(id="chk_vanished")
    orphan_id = park(sqs, orphan, event=APPROVED)
    garbage = sqs.send_message(QueueUrl=settings().notifications_dlq_url, MessageBody="not json")["MessageId"]

    assert operator.main(["redrive", "--all"]) == 1
    err = capsys.readouterr().err
    assert f"skipped {orphan_id}: checkout chk_vanished no longer exists" in err
    assert f"skipped {garbage}: the body is not a notification message" in err
    assert depth(sqs, settings().notifications_queue_url) == 0
    assert {p.message_id for p in operator.list_dlq(sqs, settings().notifications_dlq_url)} == {
        orphan_id,
        garbage,
    }


def test_marking_queued_rereads_after_a_concurrent_update(store, checkout):
    class RacingStore:
        """Loses the first update to a writer that bumped the version, as a real race would."""

        def __init__(self) -> None:
            self.calls = 0

        def save(self, before, after, history=()):
            self.calls += 1
            if self.calls == 1:
                store.save(before, before.but(checks=1))
                raise ConcurrentUpdate("raced")
            return store.save(before, after, history)

        def get(self, checkout_id):
            return store.get(checkout_id)

    racing = RacingStore()
    assert operator.mark_queued(racing, checkout, APPROVED) == "status failed -> queued"  # type: ignore[arg-type]
    assert racing.calls == 2
    after = store.get(CHECKOUT_ID)
    assert after is not None
    assert after.notifications[APPROVED].status == "queued"


def test_a_delivered_notification_is_not_marked_queued_again(store, checkout):
    delivered = store.save(checkout, checkout.but(notifications=marked(checkout, [APPROVED], "delivered")))
    assert "already delivered" in operator.mark_queued(store, delivered, APPROVED)
    assert operator.mark_queued(store, delivered, APPROVED, replay=True) == "status delivered -> queued"


def approved_then_voided(services, halo) -> tuple[Checkout, str, str]:
    """A checkout approved, then voided, through the use cases: (checkout, approval event, void event)."""
    created = checkout_of(services, "replay-1")
    approved = approve(services, halo, created).checkout
    halo_reports(services, halo, approved, Disposition.VOIDED)
    after = services.store.get(created.id)
    approval, void = sorted(after.notifications, key=lambda event: after.notifications[event].created_at)
    assert (after.status, after.notifications[approval].type) == (CheckoutStatus.VOIDED, "checkout.approved")
    return after, approval, void


def test_replay_sends_the_body_stored_under_that_webhook_id_as_resend_does_after_the_checkout_changed(
    services, halo, sqs, capsys
):
    checkout, approval, _void = approved_then_voided(services, halo)
    drain(sqs, settings().notifications_queue_url)  # what publish queued
    status, shown = api_call(services, "GET", f"/v1/events/{approval}", path_params={"id": approval})
    assert status == 200
    stored = services.event_log.get(approval).body

    assert operator.main(["replay", checkout.id, "--event", approval]) == 0
    assert capsys.readouterr().out.strip() == (
        f"queued a replay of {approval} (checkout.approved) of checkout {checkout.id}"
    )
    status, _ = api_call(services, "POST", f"/v1/events/{approval}/resend", path_params={"id": approval})
    assert status == 202

    by_cli, by_resend = drain(sqs, settings().notifications_queue_url)
    assert by_cli == by_resend  # one replay behaviour
    assert (by_cli["eventId"], by_cli["replay"], by_cli["type"]) == (approval, True, "checkout.approved")
    assert by_cli["body"] == stored  # byte-equal to the feed's body, not rebuilt from the voided checkout
    assert json.loads(by_cli["body"]) == {key: value for key, value in shown.items() if key != "id"}
    assert json.loads(by_cli["body"])["data"]["status"] == "approved"


def test_replay_without_an_event_sends_the_latest_notification_s_stored_body(services, halo, sqs, capsys):
    checkout, _approval, void = approved_then_voided(services, halo)
    drain(sqs, settings().notifications_queue_url)

    assert operator.main(["replay", checkout.id]) == 0  # the latest by createdAt
    assert f"queued a replay of {void} (checkout.voided)" in capsys.readouterr().out

    [sent] = drain(sqs, settings().notifications_queue_url)
    assert (sent["eventId"], sent["replay"], sent["body"]) == (void, True, services.event_log.get(void).body)


def test_replay_of_an_event_no_longer_in_the_feed_says_so_and_sends_nothing(sqs, checkout, capsys):
    # The fixture's checkout has its notification record but no event in the feed: as after the
    # feed's retention, when a body rebuilt now could differ from the one sent under this webhook-id.
    assert operator.main(["replay", CHECKOUT_ID, "--event", APPROVED]) == 1
    assert f"event {APPROVED} of checkout {CHECKOUT_ID} is no longer in the event feed" in (
        capsys.readouterr().err
    )
    assert depth(sqs, settings().notifications_queue_url) == 0


def test_replay_of_an_unknown_checkout_or_event_exits_1(sqs, checkout, capsys):
    assert operator.main(["replay", "chk_nosuchcheckout"]) == 1
    assert "checkout chk_nosuchcheckout does not exist" in capsys.readouterr().err
    assert operator.main(["replay", CHECKOUT_ID, "--event", "evt_nope_1"]) == 1
    err = capsys.readouterr().err
    assert "has no notification evt_nope_1" in err
    assert APPROVED in err  # names the ones it has
    assert depth(sqs, settings().notifications_queue_url) == 0


def test_missing_settings_name_the_flag_and_the_variable(moto_env, monkeypatch, capsys):
    monkeypatch.delenv("NOTIFICATIONS_DLQ_URL")
    assert operator.main(["list-dlq"]) == 2
    err = capsys.readouterr().err
    assert "--dlq-url" in err
    assert "NOTIFICATIONS_DLQ_URL" in err


def test_flags_win_over_the_environment(moto_env, sqs, checkout, monkeypatch, capsys):
    dlq_url = settings().notifications_dlq_url
    message_id = park(sqs, checkout)
    monkeypatch.setenv("NOTIFICATIONS_DLQ_URL", "https://sqs.us-east-1.amazonaws.com/1/not-this-one")
    assert operator.main(["list-dlq", "--json", "--dlq-url", dlq_url]) == 0
    assert json.loads(capsys.readouterr().out)["messageId"] == message_id


def test_redrive_needs_all_or_message_ids(moto_env):
    with pytest.raises(SystemExit) as exit_:
        operator.main(["redrive"])
    assert exit_.value.code == 2


def test_an_aws_error_is_reported_not_raised(moto_env, capsys):
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/halotap-local-nope"
    assert operator.main(["list-dlq", "--dlq-url", missing]) == 1
    assert "halotap-notifications: AWS error:" in capsys.readouterr().err
