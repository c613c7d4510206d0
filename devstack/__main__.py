"""`python -m devstack` (make local): every part in one process; Ctrl-C or SIGTERM stops it all.

Prints a banner to stderr, then exactly `ready` on stdout once moto, provisioning, the API and the
Halo simulator all answer. Settings: see devstack/README.md.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import NoReturn

from devstack.config import DevConfig
from devstack.memory import limit_malloc_arenas
from devstack.stack import Devstack, PortInUse, build_parts, ensure_ports_free

log = logging.getLogger("devstack")


STOP_DEADLINE_SECONDS = 2.5  # SIGTERM to exit within 5 s (devstack/README.md), with room for a loaded machine


def _configure_logging(config: DevConfig) -> None:
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger().setLevel(config.log_level)
    logging.getLogger("devstack").setLevel(min(logging.INFO, logging.getLevelName(config.log_level)))
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3", "httpx", "httpcore"):  # one line per AWS call
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _banner(stack: Devstack, config: DevConfig) -> str:
    api, halo, moto = (getattr(stack.part(name), "url", "?") for name in ("api", "halo-sim", "moto"))
    return "\n".join(
        [
            "halotap devstack",
            # The banner goes to the devstack's log: secrets are named by where to find them, never shown.
            f"  API         {api}   (Authorization: Bearer <HALOTAP_DEV_API_KEY, see README.md>)",
            f"  Halo sim    {halo}   (control API under /_sim)",
            f"  moto (AWS)  {moto}",
            f"  PSP sink    http://127.0.0.1:{config.sink_port}   (received: /_sink/received)",
            f"  Halo webhook {api}/v1/halo/webhooks/<HALOTAP_DEV_WEBHOOK_TOKEN>",
            "  Ctrl-C stops everything.",
        ]
    )


def main() -> int:
    limit_malloc_arenas()  # before any thread starts: only arenas made afterwards obey (memory.py)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    try:
        config = DevConfig.from_env()
    except ValueError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 2
    _configure_logging(config)
    stopping = threading.Event()
    signalled_at = [0.0]

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stopping.is_set():  # a second Ctrl-C: do not wait for a stuck part
            print("devstack: forced exit", file=sys.stderr)
            os._exit(1)
        signalled_at[0] = time.monotonic()
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        ensure_ports_free(config.ports())
        stack = Devstack(build_parts(config))
    except (PortInUse, OSError) as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    try:
        stack.start(stopping)
        if not stopping.is_set():
            stack.wait_until_ready()
            print(_banner(stack, config), file=sys.stderr, flush=True)
            print("ready", flush=True)
        while not stopping.wait(0.5):
            pass
    except Exception:
        log.exception("devstack failed to start")
        stack.stop()
        return 1
    print("devstack: stopping", file=sys.stderr, flush=True)
    # Parts stop in order and each may wait on work in flight (a handler mid-call, a long poll); under a
    # storm that adds up. The devstack keeps nothing worth waiting for, so a stop has a hard deadline.
    left = STOP_DEADLINE_SECONDS - (time.monotonic() - signalled_at[0])
    watchdog = threading.Timer(max(0.0, left), _exit_now, args=(signalled_at[0], "parts still busy; "))
    watchdog.daemon = True
    watchdog.start()
    stack.stop()
    _exit_now(signalled_at[0])


def _exit_now(since: float, why: str = "") -> NoReturn:
    """Reports how long the stop took and exits at once.

    Without os._exit, the interpreter's shutdown would join every worker thread of a handler's executor
    (reconcile's, mid-run) and free what moto holds object by object: 27 to 47 s after a storm, by issue
    22's measure. The devstack keeps nothing that needs either. The line is the stop time the storm test
    reads: measured in here, it is not stretched by how long a busy machine takes to deliver the signal or
    to reap the process.
    """
    print(
        f"devstack: {why}stopped {time.monotonic() - since:.2f} s after the signal",
        file=sys.stderr,
        flush=True,
    )
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
