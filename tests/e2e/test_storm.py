"""A devstack of its own lives through a storm of 2,000 Halo webhooks, stays small, and stops on SIGTERM.

Its own, so the storm's load and the SIGTERM touch no other test's devstack. Loopback only: 100
checkouts, 20 webhooks each (duplicates, 16 checkouts at a time, and an approval voided at once),
then one more burst that is still being sent when SIGTERM arrives.

Nothing here waits on the devstack with a read timeout that fails the test. Webhooks are sent by the
simulator in the background (`delaySeconds`), and the test polls for states: a transaction with no
send pending, every checkout final, no work left on the queues (tests/e2e/settle.py). A poll that times
out on a saturated machine is just a look that saw nothing yet; only the overall deadline fails.

The stop is measured by the devstack itself, from its signal handler to its exit (its last log line,
devstack/__main__.py), and must be under SIGTERM_EXIT_SECONDS. The time from os.killpg() until this
process sees the exit is printed and bounded only loosely (GONE_WITHIN_SECONDS): with every core busy
(CI beside other jobs, or `stress-ng --cpu 2`), when the kernel delivers the signal and when a waiting
process is scheduled to reap the exit are the machine's, not the devstack's.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from devstack.launcher import REPO_ROOT, DevstackProcess, free_ports, launch
from tests.e2e.client import PoliteTransport
from tests.e2e.settle import Settle

pytestmark = pytest.mark.e2e

CHECKOUTS = 100
WEBHOOKS_EACH = 20  # 2,000 in all
SENDERS = 16  # checkouts whose webhooks are being sent at once
RSS_BOUND_MB = 600  # after the storm; issue 22 saw 1.16 and 2.81 GB
SIGTERM_EXIT_SECONDS = 5.0  # devstack/README.md: SIGTERM ends it within 5 s, even mid-storm
GONE_WITHIN_SECONDS = 60.0  # only a hang fails this; see the module docstring
STORM_DEADLINE_SECONDS = (
    900.0  # generous: a saturated 2-core machine is slow, and waiting costs a pass only time
)
POLL_SECONDS = 0.25
# Each checkout's taps, and the status it must end in.
PLANS = [
    ([("Approved", WEBHOOKS_EACH)], "approved"),
    ([("Declined", WEBHOOKS_EACH)], "declined"),
    ([("Approved", WEBHOOKS_EACH // 2), ("Voided", WEBHOOKS_EACH // 2)], "voided"),
]
STOPPED = re.compile(r"devstack: (?:.*; )?stopped (\d+\.\d+) s after the signal")
RECONCILE_RUN = re.compile(r"reconcile: ran (\d+\.\d+) s \(budget (\d+) s\)")

T = TypeVar("T")


def rss_mb(pid: int) -> float:
    """The resident memory of the process and its children (the devstack starts none, today)."""
    pids = [pid, *(int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total_kb = 0
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


class Storm:
    """The PSP and the simulator's control API, as seen by a test that polls instead of trusting timeouts."""

    def __init__(self, stack: DevstackProcess) -> None:
        self.stack = stack
        self.deadline = time.monotonic() + STORM_DEADLINE_SECONDS
        self.api = httpx.Client(
            base_url=stack.api_url,
            headers={"Authorization": f"Bearer {stack.api_key}"},
            timeout=30,
            transport=PoliteTransport(),
        )
        self.sim = httpx.Client(base_url=stack.halo_url, timeout=30)
        self.settle = Settle(stack)

    def remaining(self) -> float:
        """What is left of the overall deadline: the only bound on a call that waits on the devstack."""
        return max(1.0, self.deadline - time.monotonic())

    def until(self, what: str, look: Callable[[], T | None]) -> T:
        """`look()` until it returns something other than None; a look that times out saw nothing yet."""
        while True:
            try:
                seen = look()
            except httpx.TimeoutException:
                seen = None
            if seen is not None:
                return seen
            if time.monotonic() > self.deadline:
                raise AssertionError(f"{what}: not by the deadline\n{self.stack.log_tail()}")
            time.sleep(POLL_SECONDS)

    def open_checkout(self) -> dict[str, Any]:
        body = {
            "merchantId": "demo-merchant",
            "reference": f"storm-{uuid.uuid4().hex[:12]}",
            "amount": "149.99",
            "currency": "ZAR",
        }
        # One create, retried only by its Idempotency-Key: a create that timed out may still have happened.
        key = str(uuid.uuid4())

        def created() -> dict[str, Any] | None:
            answer = self.api.post("/v1/checkouts", json=body, headers={"Idempotency-Key": key})
            assert answer.status_code in (200, 201), answer.text
            return dict(answer.json())

        return self.until("a checkout is created", created)

    def transaction(self, checkout: dict[str, Any]) -> dict[str, Any]:
        return dict(self.sim.get(f"/_sim/transactions/{checkout['haloReference']}").json())

    def send(self, checkout: dict[str, Any], path: str, body: dict[str, Any]) -> None:
        """Asks the simulator to send webhooks in the background; returns once they are all answered."""
        # A background send is counted in webhooksPending before the control call answers, so the call
        # itself is short; it is not repeated, since a repeat would send the webhooks twice.
        answer = self.sim.post(
            f"/_sim/transactions/{checkout['haloReference']}/{path}",
            json={**body, "delaySeconds": 0.001},
            timeout=self.remaining(),
        )
        assert answer.status_code == 200, answer.text
        self.until(
            "the simulator sends every webhook",
            lambda: True if self.transaction(checkout)["webhooksPending"] == 0 else None,
        )

    def status(self, checkout_id: str) -> str:
        answer = self.api.get(f"/v1/checkouts/{checkout_id}")
        assert answer.status_code == 200, answer.text
        return str(answer.json()["status"])

    def all_applied(self) -> bool | None:
        """True once no webhook, Halo event or notification is on its way (two clean looks, settle.py)."""
        for _look in range(2):
            if any(self.settle.outstanding().values()):
                return None
        return True


@pytest.fixture
def stormed() -> Iterator[DevstackProcess]:
    api_port, halo_port, moto_port, sink_port = free_ports(4)
    overrides = {
        "HALOTAP_SINK_PORT": str(sink_port),
        "HALOTAP_API_PORT": str(api_port),
        "HALOTAP_HALO_PORT": str(halo_port),
        "HALOTAP_MOTO_PORT": str(moto_port),
        "HALOTAP_LOG_LEVEL": "WARNING",
    }
    stack = launch(REPO_ROOT / ".devstack" / "storm.log", overrides, timeout=180)
    yield stack
    stack.stop()


def test_the_devstack_lives_through_a_storm_of_2000_webhooks_in_600_mb_and_stops_within_5_s_of_sigterm(
    stormed: DevstackProcess,
) -> None:
    storm = Storm(stormed)
    rss_ready = rss_mb(stormed.process.pid)
    with ThreadPoolExecutor(8) as pool:
        checkouts = list(pool.map(lambda _: storm.open_checkout(), range(CHECKOUTS)))
    expected = {c["id"]: PLANS[i % len(PLANS)][1] for i, c in enumerate(checkouts)}

    def tap_all(indexed: tuple[int, dict[str, Any]]) -> None:
        index, checkout = indexed
        for disposition, times in PLANS[index % len(PLANS)][0]:
            storm.send(checkout, "tap", {"disposition": disposition, "times": times})

    started = time.monotonic()
    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(tap_all, enumerate(checkouts)))
    storm.until("every webhook is applied and every notification sent", storm.all_applied)
    applied_in = time.monotonic() - started

    final = {c["id"]: storm.status(c["id"]) for c in checkouts}
    answers = Counter(d["status"] for c in checkouts for d in storm.transaction(c)["webhookDeliveries"])
    wrong = {cid: status for cid, status in final.items() if status != expected[cid]}
    rss = rss_mb(stormed.process.pid)
    runs = [float(m[1]) for m in RECONCILE_RUN.finditer(stormed.log_path.read_text(errors="replace"))]
    print(
        f"\nstorm: {sum(answers.values())} webhooks over {CHECKOUTS} checkouts applied in {applied_in:.0f} s "
        f"({sum(answers.values()) / applied_in:.1f}/s); answered {dict(answers)}; final {dict(Counter(final.values()))}; "
        f"RSS {rss_ready:.0f} MB ready, {rss:.0f} MB after; reconcile runs {len(runs)}, longest {max(runs, default=0):.1f} s"
    )
    # Every webhook was answered by halotap's intake (200: queued); the duplicates cannot move a final status.
    assert answers == {200: CHECKOUTS * WEBHOOKS_EACH}
    assert wrong == {}
    assert rss < RSS_BOUND_MB

    # SIGTERM in the middle of another burst: the devstack exits promptly anyway.
    burst = checkouts[:SENDERS]
    sent_before = sum(len(storm.transaction(c)["webhookDeliveries"]) for c in burst)
    for checkout in burst:
        storm.sim.post(
            f"/_sim/transactions/{checkout['haloReference']}/webhook",
            json={"times": 100, "delaySeconds": 0.001},
            timeout=storm.remaining(),
        )
    storm.until(
        "the burst reaches halotap",
        lambda: (
            True if sum(len(storm.transaction(c)["webhookDeliveries"]) for c in burst) > sent_before else None
        ),
    )
    signalled = time.monotonic()
    os.killpg(stormed.process.pid, signal.SIGTERM)
    try:
        stormed.process.wait(GONE_WITHIN_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"the devstack was still running {GONE_WITHIN_SECONDS:.0f} s after SIGTERM:\n{stormed.log_tail()}"
        )
    gone_after = time.monotonic() - signalled
    reports = STOPPED.findall(stormed.log_path.read_text(errors="replace"))
    assert reports, f"the devstack did not report its stop:\n{stormed.log_tail()}"
    stop_seconds = float(reports[0])
    print(
        f"storm: SIGTERM -> stopped {stop_seconds:.2f} s by its own report; gone after {gone_after:.2f} s here"
    )
    assert stop_seconds < SIGTERM_EXIT_SECONDS
