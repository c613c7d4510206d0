"""`python -m devstack.demo` (make demo): one checkout from creation to approval and a refund, then everything stops.

Starts the devstack as a child process (log in .devstack/devstack.log), creates a checkout as the
demo PSP, shows its deep link as a QR code, taps "Approved" on the simulated phone, waits until the
checkout says so, then refunds part of it through Halo and waits for the PSP's refund.succeeded.
Exits 0 when all of that happened, 1 with the reason when it did not.
"""

from __future__ import annotations

import signal
import sys
import time
import uuid
from typing import Any, NoReturn

import httpx
import segno

from devstack.config import DEMO_MERCHANT_ID
from devstack.launcher import REPO_ROOT, DevstackFailed, DevstackProcess, launch, log_tail

LOG_PATH = REPO_ROOT / ".devstack" / "devstack.log"
READY_TIMEOUT_SECONDS = 90.0
APPROVAL_TIMEOUT_SECONDS = 30.0


class DemoFailed(Exception):
    pass


def step(text: str) -> None:
    print(f"  ✓ {text}", flush=True)


def _expect(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise DemoFailed(f"{what}: expected HTTP {status}, got {response.status_code}: {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


def _received(sink: httpx.Client) -> list[dict[str, Any]]:
    """What the PSP webhook sink has received (a JSON list, oldest first)."""
    response = sink.get("/_sink/received")
    if response.status_code != 200:
        raise DemoFailed(f"reading the PSP webhook sink: HTTP {response.status_code}: {response.text[:500]}")
    received: list[dict[str, Any]] = response.json()
    return received


def create_checkout(api: httpx.Client) -> dict[str, Any]:
    reference = f"demo-{time.strftime('%Y%m%d-%H%M%S')}"
    body = {"merchantId": DEMO_MERCHANT_ID, "reference": reference, "amount": "149.99", "currency": "ZAR"}
    response = api.post("/v1/checkouts", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    checkout = _expect(response, 201, "POST /v1/checkouts")
    step(f"created checkout {checkout['id']} for {body['amount']} {body['currency']} (reference {reference})")
    return checkout


def show_deep_link(checkout: dict[str, Any]) -> None:
    link = checkout.get("deepLink")
    if not link:
        raise DemoFailed(f"the checkout has no deepLink: {checkout}")
    step(f"Halo deep link {link}; scan it with the Halo app:")
    segno.make(link).terminal(compact=True)


def tap_approved(halo: httpx.Client, checkout: dict[str, Any]) -> None:
    reference = checkout.get("haloReference")
    if not reference:
        raise DemoFailed(f"the checkout has no haloReference: {checkout}")
    tap = {"disposition": "Approved", "webhook": True}
    _expect(halo.post(f"/_sim/transactions/{reference}/tap", json=tap), 200, "tapping on the simulated phone")
    step(f"tapped a card on the simulated phone: Approved (Halo reference {reference})")


def wait_for_approval(api: httpx.Client, checkout_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + APPROVAL_TIMEOUT_SECONDS
    status = "?"
    while time.monotonic() < deadline:
        checkout = _expect(api.get(f"/v1/checkouts/{checkout_id}"), 200, f"GET /v1/checkouts/{checkout_id}")
        status = checkout.get("status", "?")
        if status == "approved":
            step("Halo's webhook arrived and was applied: the checkout is approved")
            return checkout
        time.sleep(0.25)
    raise DemoFailed(f"checkout {checkout_id} is still {status!r} after {APPROVAL_TIMEOUT_SECONDS:.0f} s")


def wait_for_notification(stack: DevstackProcess, api: httpx.Client, checkout_id: str) -> dict[str, Any]:
    """The PSP's side: the signed checkout.approved webhook reaches the sink and verifies."""
    deadline = time.monotonic() + APPROVAL_TIMEOUT_SECONDS
    with httpx.Client(base_url=stack.sink_url, timeout=10) as sink:
        while time.monotonic() < deadline:
            received = _received(sink)
            mine = [r for r in received if r.get("checkoutId") == checkout_id]
            if mine:
                entry = mine[-1]
                if not entry.get("verified"):
                    raise DemoFailed(f"the PSP received {entry['type']} but its signature did not verify")
                step(
                    f"the PSP received {entry['type']} (webhook-id {entry['webhookId']}); "
                    "Standard Webhooks signature verified"
                )
                return _expect(api.get(f"/v1/checkouts/{checkout_id}"), 200, "reading the checkout")
            time.sleep(0.25)
    raise DemoFailed(
        f"no notification for {checkout_id} reached the PSP sink in {APPROVAL_TIMEOUT_SECONDS:.0f} s"
    )


def print_transcript(checkout: dict[str, Any]) -> None:
    outcome = checkout.get("outcome") or {}
    print(f"\n  checkout           {checkout['id']}")
    print(f"  status             {checkout['status']}")
    print(
        f"  authorisationCode  {outcome.get('authorisationCode') or checkout.get('authorisationCode') or '-'}"
    )
    print("  history")
    for entry in checkout.get("history") or []:
        moved = f"{entry.get('from') or '-'} → {entry.get('to')}" if entry.get("to") else ""
        print(f"    {entry.get('at', '')}  {entry.get('type', ''):<15} {moved:<20} {entry.get('source', '')}")
    for notification in checkout.get("notifications") or []:
        print(
            f"  notification       {notification['type']} {notification['status']}"
            f" after {notification.get('attempts', 0)} attempt(s)"
        )


REFUND_AMOUNT = "49.99"


def refund(stack: DevstackProcess, api: httpx.Client, checkout_id: str) -> None:
    """Give part of the payment back through Halo, and see the PSP told of it."""
    body = {"reference": "demo-refund-1", "amount": REFUND_AMOUNT, "reason": "the demo gives some back"}
    created = _expect(api.post(f"/v1/checkouts/{checkout_id}/refunds", json=body), 201, "POST .../refunds")
    if created["status"] != "succeeded":
        raise DemoFailed(f"the refund is {created['status']}: {created}")
    step(f"refunded {created['amount']} {created['currency']} through Halo: refund {created['id']} succeeded")
    deadline = time.monotonic() + APPROVAL_TIMEOUT_SECONDS
    with httpx.Client(base_url=stack.sink_url, timeout=10) as sink:
        while time.monotonic() < deadline:
            received = _received(sink)
            told = [
                r
                for r in received
                if r.get("checkoutId") == checkout_id and r.get("type") == "refund.succeeded"
            ]
            if told and told[-1].get("verified"):
                step(
                    f"the PSP received refund.succeeded (webhook-id {told[-1]['webhookId']}); signature verified"
                )
                break
            time.sleep(0.25)
        else:
            raise DemoFailed(f"no refund.succeeded for {checkout_id} reached the PSP sink")
    checkout = _expect(api.get(f"/v1/checkouts/{checkout_id}"), 200, "reading the checkout")
    print(f"\n  amount             {checkout['amount']} {checkout['currency']}")
    print(f"  amountRefunded     {checkout['amountRefunded']}")
    for made in checkout["refunds"]:
        print(
            f"  refund             {made['id']} {made['amount']} {made['status']} (reference {made['reference']})"
        )


def run(stack: DevstackProcess) -> None:
    auth = {"Authorization": f"Bearer {stack.api_key}"}
    with (
        httpx.Client(base_url=stack.api_url, headers=auth, timeout=30) as api,
        httpx.Client(base_url=stack.halo_url, timeout=10) as halo,
    ):
        checkout = create_checkout(api)
        show_deep_link(checkout)
        tap_approved(halo, checkout)
        wait_for_approval(api, checkout["id"])
        print_transcript(wait_for_notification(stack, api, checkout["id"]))
        refund(stack, api, checkout["id"])


def _exit_on_sigterm(signum: int, frame: object) -> NoReturn:
    raise SystemExit(1)  # unwinds through `finally`, so the devstack is stopped too


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    print(f"halotap demo: starting the devstack (log: {LOG_PATH.relative_to(REPO_ROOT)})", flush=True)
    try:
        stack = launch(LOG_PATH, timeout=READY_TIMEOUT_SECONDS)
    except DevstackFailed as exc:
        print(f"  ✗ {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # launch() has already stopped it
        print("  ✗ interrupted", file=sys.stderr)
        return 1
    step(f"devstack ready: API {stack.api_url}, Halo simulator {stack.halo_url}")
    try:
        run(stack)
    except (DemoFailed, httpx.HTTPError, KeyError, ValueError) as exc:
        print(f"  ✗ demo failed: {exc}", file=sys.stderr)
        print(f"\nthe end of {LOG_PATH}:\n{log_tail(LOG_PATH)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("  ✗ interrupted", file=sys.stderr)
        return 1
    finally:
        stack.stop()
    print("\nhalotap demo: done; the devstack is stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
