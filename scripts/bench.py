"""`make bench`: halotap's performance figures, each a ratio against a baseline measured in the same run.

The machine this runs on is small and noisy, so no figure is an absolute time on its own. Each one
pairs a subject (halotap doing something) with a baseline (the least any implementation would have
to do for the same thing), samples them alternately (baseline first on even rounds, subject first
on odd ones) and reports the ratio of their medians. Drift in the machine's speed during a run
moves both sides together and cancels out of the ratio.

Figures (docs/performance.md explains each, with one run's results):

- cold: importing each handler in a fresh interpreter, against `import boto3`.
- first: each handler's import and its first request (its sample event from events/, answered for real
  against the local stack) in a fresh interpreter, as Lambda runs it, against its own floor: the same AWS
  and HTTP calls made raw with boto3 and httpx in a fresh interpreter (scripts/first_request.py).
- page: the hosted page's import and first render (English, and German from its catalog) in a fresh
  interpreter, against the same page just before issue 19 gave it languages (scripts/bench_page.py).
- get: a warm GET /v1/checkouts/{id}, against one raw `get_item` on the same item.
- create: a warm POST /v1/checkouts, against a raw two-put `transact_write_items`, one POST to the
  Halo simulator and the `update_item` that opens the checkout: the floor of the create's own design.
- intake: a warm Halo webhook, against one raw `send_message`.
- calls: the AWS calls each operation makes, counted exactly; any difference from the budget in
  DESIGN.md's "Performance budget" makes the run exit 1.
- ledger: the daily ledger over a merchant-day of 100,000 Halo records, against paging the same records raw
  with httpx, each in a fresh interpreter for its own peak memory (scripts/bench_ledger.py).
- lifecycle: every AWS call of one checkout's life (create, Halo webhook, confirm and apply, notify the
  PSP, one GET, one reconcile pass), the requests Halo and the PSP received, and the checkout item's size
  in bytes; docs/performance.md prices them.

The warm figures run the handlers in this process against moto's server and the Halo simulator,
both over HTTP on loopback, with the settings the devstack gives every function. The first-request
figures run each handler in a fresh Python 3.13 interpreter against the same two, as tests/lambda does
(scripts/lambda_shaped.py).

Where each part lives: scripts/bench_figures.py (the arithmetic and tables), scripts/local_stack.py (moto,
the simulator and the sink, shared with tests/lambda), scripts/bench_cold.py, scripts/first_request.py,
scripts/bench_warm.py, scripts/bench_lifecycle.py, scripts/bench_page.py and scripts/bench_ledger.py.

    .venv/bin/python scripts/bench.py [--quick] [--only cold|first|page|get|create|intake|calls|lifecycle|ledger ...]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # devstack, functions and tests are top-level packages here

# Once REPO_ROOT is on sys.path:
from scripts import bench_ledger  # noqa: E402
from scripts.bench_cold import cold_start  # noqa: E402
from scripts.bench_figures import (  # noqa: E402
    CallCheck,
    Figure,
    Plan,
    calls_table,
    figures_table,
    progress,
)
from scripts.bench_lifecycle import Lifecycle, lifecycle  # noqa: E402
from scripts.bench_warm import Operations, aws_calls, warm_create, warm_get, webhook_intake  # noqa: E402
from scripts.first_request import cold_first_request  # noqa: E402
from scripts.local_stack import Stack, local_stack  # noqa: E402

PARTS = ("cold", "first", "page", "get", "create", "intake", "calls", "lifecycle", "ledger")


def ledger_figure(stack: Stack, *, quick: bool) -> Figure:
    """One merchant-day (a tenth of it with --quick), run once: the figure's table is printed too."""
    figures = bench_ledger.ledger_day(
        stack.halo_url, bench_ledger.SMALL_RECORDS if quick else bench_ledger.RECORDS
    )
    sys.stderr.write(figures.table() + "\n")
    return Figure(
        f"ledger day, {figures.records:,} records",
        [figures.subject.seconds],
        [figures.baseline.seconds],
        f"peak RSS {figures.subject.peak_mb:.0f} MB (raw paging {figures.baseline.peak_mb:.0f} MB; "
        f"{figures.small.peak_mb:.0f} MB at {bench_ledger.SMALL_RECORDS:,} records)",
    )


def run(parts: Sequence[str], plan: Plan) -> tuple[list[Figure], list[CallCheck], Lifecycle | None]:
    cold: list[Figure] = []
    first: list[Figure] = []  # printed right after the cold imports they extend
    figures: list[Figure] = []
    checks: list[CallCheck] = []
    life: Lifecycle | None = None
    if "cold" in parts:
        cold = cold_start(plan.cold)
    if "page" in parts:
        from scripts.bench_page import page_render  # it imports this module

        cold += page_render(plan.cold)
    warm = [part for part in parts if part not in ("cold", "page")]
    if warm:
        progress("starting moto and the Halo simulator")
        with (
            local_stack() as stack,
            open(os.devnull, "w") as devnull,
            contextlib.redirect_stdout(devnull),  # Powertools prints metrics even when disabled
            warnings.catch_warnings(),
        ):
            warnings.filterwarnings("ignore", message="No application metrics to publish")
            ops = Operations(stack)
            if "lifecycle" in warm:
                life = lifecycle(stack, ops)
            if "get" in warm:
                figures.append(warm_get(stack, ops, plan))
            if "create" in warm:
                figures.append(warm_create(stack, ops, plan))
            if "intake" in warm:
                figures.append(webhook_intake(stack, ops, plan))
            if "calls" in warm:
                checks = aws_calls(ops)
            if "ledger" in warm:
                figures.append(ledger_figure(stack, quick=plan == Plan.quick()))
            if "first" in warm:  # last: it empties moto before each of its rounds
                with tempfile.TemporaryDirectory(prefix="halotap-bench-") as folder:
                    first = cold_first_request(stack, plan.first, Path(folder))
    return [*cold, *first, *figures], checks, life


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer samples (for tests and a quick look)")
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeat for several)"
    )
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan()
    parts = [part for part in PARTS if part in (args.only or PARTS)]
    started = time.perf_counter()
    figures, checks, life = run(parts, plan)
    elapsed = time.perf_counter() - started
    print(
        f"halotap bench: Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{'quick' if args.quick else 'full'} run in {elapsed:.0f} s. "
        "Each ratio is median(subject) / median(baseline), sampled alternately in this run."
    )
    if figures:
        print()
        print(figures_table(figures))
    if life is not None:
        print()
        print(life.table())
    if checks:
        print()
        print(calls_table(checks))
        broken = [check.name for check in checks if not check.ok]
        if broken:
            print(f"\nAWS call budget broken for: {', '.join(broken)} (see DESIGN.md, Performance budget)")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
