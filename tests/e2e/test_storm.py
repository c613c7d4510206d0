"""Finding 5: a devstack of its own lives through a storm of 2,000 Halo webhooks, then stops on SIGTERM.

Its own, so the storm's load and the SIGTERM touch no other test's devstack. Loopback only, and bounded:
100 checkouts, 20 webhooks each (duplicates, concurrency, and an approval voided at once, finding 1's
case), then one more burst that is still in flight when SIGTERM arrives, while the storm's duplicates
are still being applied behind the queue.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devstack.launcher import REPO_ROOT, free_ports, launch
from tests.e2e.client import Psp

pytestmark = pytest.mark.e2e

CHECKOUTS = 100
WEBHOOKS_EACH = 20  # 2,000 in all
RSS_BOUND_MB = 600  # after the storm; the finding saw 3.4 GB
SIGTERM_EXIT_SECONDS = 5.0
# Each checkout's taps, and the status it must end in.
PLANS = [
    ([("Approved", WEBHOOKS_EACH)], "approved"),
    ([("Declined", WEBHOOKS_EACH)], "declined"),
    ([("Approved", WEBHOOKS_EACH // 2), ("Voided", WEBHOOKS_EACH // 2)], "voided"),
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def stormed():
    api_port, halo_port, moto_port, sink_port = free_ports(4)
    overrides = {
        "HALOTAP_SINK_PORT": str(sink_port),
        "HALOTAP_API_PORT": str(api_port),
        "HALOTAP_HALO_PORT": str(halo_port),
        "HALOTAP_MOTO_PORT": str(moto_port),
        "HALOTAP_LOG_LEVEL": "WARNING",
    }
    stack = launch(REPO_ROOT / ".devstack" / "storm.log", overrides, timeout=120)
    yield stack
    stack.stop()


def test_finding_5_the_devstack_lives_through_a_storm_of_2000_webhooks_and_stops_on_sigterm(stormed):
    psp = Psp(stormed)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        checkouts = list(
            pool.map(
                lambda _: psp.open_checkout(reference=f"storm-{uuid.uuid4().hex[:12]}"), range(CHECKOUTS)
            )
        )

    def storm(indexed):
        index, checkout = indexed
        taps, _expected = PLANS[index % len(PLANS)]
        for disposition, times in taps:
            psp.tap(checkout, disposition, times=times)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(storm, enumerate(checkouts)))
    expected = {c["id"]: PLANS[i % len(PLANS)][1] for i, c in enumerate(checkouts)}
    final = {c["id"]: psp.wait_for(c["id"], expected[c["id"]], timeout=180)["status"] for c in checkouts}
    elapsed = time.monotonic() - started
    # Every webhook was answered by halotap's intake (200: queued); the duplicates behind the first of
    # each checkout are still being applied, and they cannot move a final status (docs/architecture.md).
    answers = Counter(
        delivery["status"]
        for c in checkouts
        for delivery in psp.sim.get(f"/_sim/transactions/{c['haloReference']}").json()["webhookDeliveries"]
    )
    wrong = {cid: status for cid, status in final.items() if status != expected[cid]}
    rss = rss_mb(stormed.process.pid)
    print(
        f"storm: {sum(answers.values())} webhooks over {CHECKOUTS} checkouts in {elapsed:.0f} s, "
        f"answered {dict(answers)}; final {dict(Counter(final.values()))}; wrong {len(wrong)}; RSS after {rss:.0f} MB"
    )
    assert answers == {200: CHECKOUTS * WEBHOOKS_EACH}
    assert wrong == {}
    assert rss < RSS_BOUND_MB

    # SIGTERM in the middle of another burst: the devstack exits promptly anyway.
    burst = [threading.Thread(target=_quietly, args=(psp, c), daemon=True) for c in checkouts[:16]]
    for thread in burst:
        thread.start()
    _wait_until_busy(psp, checkouts[:16])
    signalled = time.monotonic()
    os.killpg(stormed.process.pid, signal.SIGTERM)
    try:
        stormed.process.wait(SIGTERM_EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the devstack ignored SIGTERM for {SIGTERM_EXIT_SECONDS} s:\n{stormed.log_tail()}")
    print(f"storm: SIGTERM to exit {time.monotonic() - signalled:.1f} s")


def _quietly(psp, checkout):
    with contextlib.suppress(Exception):  # the devstack is being stopped under it: that is the point
        psp.sim.post(f"/_sim/transactions/{checkout['haloReference']}/webhook", json={"times": 100})


def _wait_until_busy(psp, checkouts):
    """Until the burst has started reaching halotap (some webhook of it is pending or delivered)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        views = [psp.sim.get(f"/_sim/transactions/{c['haloReference']}").json() for c in checkouts]
        if any(v["webhooksPending"] for v in views):
            return
        time.sleep(0.05)
    raise AssertionError("the burst never started")
