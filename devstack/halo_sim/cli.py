"""The simulator's command line: `python -m devstack.halo_sim --port 4010 --merchant KEY=MID`."""

from __future__ import annotations

import argparse
import logging

from devstack.halo_sim.server import HaloSimulator


def _parse_merchant(text: str) -> tuple[str, str]:
    key, sep, merchant_id = text.partition("=")
    if not sep or not key or not merchant_id:
        raise argparse.ArgumentTypeError(f"expected KEY=MERCHANT_ID, got {text!r}")
    return key, merchant_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.halo_sim", description="Halo Dot backend simulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument(
        "--merchant",
        action="append",
        type=_parse_merchant,
        required=True,
        help="KEY=MERCHANT_ID (repeatable)",
    )
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--timeout-fault-seconds", type=float, default=30.0)
    parser.add_argument("--slow-fault-seconds", type=float, default=1.5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sim = HaloSimulator(
        args.host,
        args.port,
        merchants=dict(args.merchant),
        webhook_url=args.webhook_url,
        timeout_fault_seconds=args.timeout_fault_seconds,
        slow_fault_seconds=args.slow_fault_seconds,
    )
    sim.serve_until_interrupted()
    return 0
