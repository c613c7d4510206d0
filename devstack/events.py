"""Writes the sample events in events/ with the emulator's own builders, so they cannot drift.

    python -m devstack.events           # rewrite events/*.json
    python -m devstack.events --check   # exit 1 if a committed sample differs from what is built now

The values are fixed (ids, times), so the output only changes when an event shape does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import UTC, datetime
from typing import Any

from devstack.config import (
    ACCOUNT_ID,
    DEFAULT_API_KEY,
    DEFAULT_WEBHOOK_TOKEN,
    DEMO_CLIENT_ID,
    DEMO_MERCHANT_ID,
    REGION,
    resource_name,
)
from devstack.lambda_events import (
    HttpRequest,
    authorizer_event,
    method_arn,
    proxy_event,
    queue_arn,
    sqs_event,
)
from devstack.launcher import REPO_ROOT
from devstack.policy import request_authorizer
from devstack.routing import RouteTable
from halotap.domain.notifications import NotificationMessage
from infra import manifest

EVENTS_DIR = REPO_ROOT / "events"
NOW_MS = 1_768_469_400_000  # 2026-01-15T09:30:00Z
REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
CHECKOUT_ID = "chk_gql6lc5jtzpfmal2simiurikty"
HALO_REFERENCE = "5f0d8a7e-3c1b-4e2a-9d6f-8b7c6a5e4d3c"
HOST = "127.0.0.1:3000"


def _at(offset_ms: int = 0) -> str:
    return (
        datetime.fromtimestamp((NOW_MS + offset_ms) / 1000, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
    )


def _request(
    method: str, path: str, body: Any = None, *, authorized: bool = True, **headers: str
) -> HttpRequest:
    sent = [("Host", HOST), ("User-Agent", "python-httpx/0.28.1"), ("Accept", "*/*")]
    if authorized:
        sent.append(("Authorization", f"Bearer {DEFAULT_API_KEY}"))
    sent += [(name.replace("_", "-"), value) for name, value in headers.items()]
    raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
    if raw:
        sent += [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))]
    return HttpRequest(method, path, headers=tuple(sent), body=raw, source_ip="127.0.0.1", domain_name=HOST)


def _api_event(request: HttpRequest) -> dict[str, Any]:
    """The proxy event the emulator would build, with the demo client's authorizer context if needed."""
    match = RouteTable().match(request.method, request.path)
    if match is None:
        raise LookupError(f"no manifest route for {request.method} {request.path}")
    authorizer = None
    if match.route.authorized:
        allow = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": method_arn("*", "/*")}
        answer = {
            "principalId": DEMO_CLIENT_ID,
            "policyDocument": {"Version": "2012-10-17", "Statement": [allow]},
            "context": {"clientId": DEMO_CLIENT_ID, "merchants": DEMO_MERCHANT_ID},
        }
        authorizer = request_authorizer(answer, method_arn(request.method, request.path))
    return proxy_event(
        request,
        match.route.path,
        match.path_parameters,
        request_id=REQUEST_ID,
        now_ms=NOW_MS,
        authorizer=authorizer,
    )


def halo_webhook_payload() -> dict[str, Any]:
    """Halo's documented webhook body (halo-api-facts.md), for an approved tap on the sample checkout."""
    return {
        "id": "8eb2a7af-9cd4-400e-bb98-58c7b986dca8",
        "merchantReference": CHECKOUT_ID,
        "disposition": "Approved",
        "paymentProviderReference": "6b32ba411ff60d9f",
        "authorisationCode": "3CA40B2A",
        "amount": 149.99,
        "currency": "ZAR",
        "haloReference": HALO_REFERENCE,
        "deviceInstallationId": "0b7c2f4e-6a1d-4c3b-8e5f-9a2d1c0b7e6f",
    }


def render() -> dict[str, Any]:
    """file name -> sample event."""
    create_body = {
        "merchantId": DEMO_MERCHANT_ID,
        "reference": "order-1001",
        "amount": "149.99",
        "currency": "ZAR",
    }
    create = _request(
        "POST", "/v1/checkouts", create_body, Idempotency_Key="6f1c2d3e-4b5a-4968-8776-655443322110"
    )
    create_match = RouteTable().match("POST", "/v1/checkouts")
    assert create_match is not None
    webhook_path = f"/v1/halo/webhooks/{DEFAULT_WEBHOOK_TOKEN}"
    webhook = _request("POST", webhook_path, halo_webhook_payload(), authorized=False)
    queued_body = json.dumps(
        {"receivedAt": _at(5), "requestId": REQUEST_ID, "payload": webhook.body.decode()},
        separators=(",", ":"),
    )
    message = {
        "MessageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "ReceiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        "Body": queued_body,
        "MD5OfBody": hashlib.md5(queued_body.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(NOW_MS + 5),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(NOW_MS + 9),
        },
    }
    sqs_source = queue_arn(resource_name(manifest.function("apply_halo_event").queue or ""))
    notification = _notification_message()
    return {
        "authorizer.json": authorizer_event(
            create,
            create_match.route.path,
            create_match.path_parameters,
            request_id=REQUEST_ID,
            now_ms=NOW_MS,
        ),
        "create_checkout.json": _api_event(create),
        "get_checkout.json": _api_event(_request("GET", f"/v1/checkouts/{CHECKOUT_ID}")),
        "halo_webhook_payload.json": halo_webhook_payload(),
        "halo_webhook.json": _api_event(webhook),
        "apply_halo_event.json": sqs_event([message], sqs_source),
        "cancel_checkout.json": _api_event(_request("POST", f"/v1/checkouts/{CHECKOUT_ID}/cancel")),
        "new_attempt.json": _api_event(_request("POST", f"/v1/checkouts/{CHECKOUT_ID}/attempts")),
        "checkout_page.json": _api_event(_request("GET", f"/pay/{CHECKOUT_ID}", authorized=False)),
        "deliver_notification.json": sqs_event(
            [notification], queue_arn(resource_name(manifest.function("deliver_notification").queue or ""))
        ),
        "reconcile.json": _scheduled_event("reconcile"),
        "create_refund.json": _api_event(
            _request(
                "POST",
                f"/v1/checkouts/{CHECKOUT_ID}/refunds",
                {"reference": "refund-1001", "amount": "49.99", "reason": "customer returned one item"},
            )
        ),
        "events.json": _api_event(_request("GET", "/v1/events")),
        "api_keys.json": _api_event(_request("GET", "/v1/api-keys")),
        "webhook_endpoints.json": _api_event(_request("GET", "/v1/webhook-endpoints")),
        "ledger.json": sqs_event(
            [_ledger_run()], queue_arn(resource_name(manifest.function("ledger").queue or ""))
        ),
        "ledger_report.json": _api_event(
            _request("GET", f"/v1/merchants/{DEMO_MERCHANT_ID}/ledger/{LEDGER_DAY}")
        ),
    }


LEDGER_DAY = "2026-01-14"  # the day before the samples' "now"


def _ledger_run() -> dict[str, Any]:
    """A queued run of one merchant-day (halotap.app.ledger: the schedule's, the API's or the operator's)."""
    queued = json.dumps({"merchantId": DEMO_MERCHANT_ID, "date": LEDGER_DAY})
    return {
        "MessageId": "5d2c7b1a-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
        "ReceiptHandle": "AQEBk3Jd8sLq0ZxVbNm4pT+/9q2rHhOpjdIr...",
        "Body": queued,
        "MD5OfBody": hashlib.md5(queued.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(NOW_MS),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(NOW_MS + 4),
        },
    }


def _notification_message() -> dict[str, Any]:
    """A queued PSP notification for the sample checkout's approval (a NotificationMessage)."""
    event_id = "evt_approved_gql6lc5jtzpfmal2simiurikty"
    body = json.dumps(
        {
            "type": "checkout.approved",
            "timestamp": _at(900),
            "data": {"id": CHECKOUT_ID, "status": "approved", "merchantId": DEMO_MERCHANT_ID},
        },
        separators=(",", ":"),
    )
    queued = NotificationMessage(event_id, CHECKOUT_ID, DEMO_CLIENT_ID, "checkout.approved", body).to_json()
    return {
        "MessageId": "3b1e4a2c-9d8f-4e6a-b5c7-1a2b3c4d5e6f",
        "ReceiptHandle": "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...",
        "Body": queued,
        "MD5OfBody": hashlib.md5(queued.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(NOW_MS + 905),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(NOW_MS + 910),
        },
    }


def _scheduled_event(function: str) -> dict[str, Any]:
    """The EventBridge "Scheduled Event" the function's rule sends (devstack.ticker builds the same)."""
    return {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": _at()[:-5] + "Z",
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/halotap-local-{function}"],
        "detail": {},
    }


def _text(event: Any) -> str:
    return json.dumps(event, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for name, event in render().items():
        path = EVENTS_DIR / name
        if args.check:
            if not path.exists() or path.read_text() != _text(event):
                stale.append(name)
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(_text(event))
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    if stale:
        print(f"stale samples (run python -m devstack.events): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
