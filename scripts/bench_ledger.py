"""The daily ledger's figure for `make bench` (scripts/bench.py, part `ledger`): a merchant-day of 100,000
Halo records, against paging through the same records raw.

Both sides run in a fresh interpreter of their own, so each one's peak memory (ru_maxrss) is its own, not
moto's or the simulator's (which run in the bench's process):
- subject: `LedgerService.run` for the day, as the ledger function runs it (halotap's wiring, moto's S3 and
  DynamoDB over HTTP, the Halo simulator's GET /transactions), report and CSV written;
- baseline: the same GET /transactions pages with httpx, each page parsed, nothing else.

The subject also runs a tenth of the day (10,000 records on another day), so the two peaks show whether
memory grows with the day. The planted records are payments halotap never made (`missing_in_halotap`), so
each one costs its page, its share of a BatchGetItem, a CSV line and the tally: the whole path.

    python -m scripts.bench_ledger subject|baseline YYYY-MM-DD   (what the bench runs in each child)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

RECORDS = 100_000
SMALL_RECORDS = 10_000
DAY = date(2026, 1, 15)
SMALL_DAY = date(2026, 1, 16)
PAGE = 1000


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_mb: float


@dataclass(frozen=True)
class LedgerFigures:
    records: int
    subject: Sample
    baseline: Sample
    small: Sample  # the subject on a tenth of the day

    def table(self) -> str:
        rows = [
            (f"ledger run, {self.records:,} records", self.subject),
            ("raw paging of the same records", self.baseline),
            (f"ledger run, {SMALL_RECORDS:,} records", self.small),
        ]
        lines = [f"{'ledger day':34}  {'time':>9}  {'peak RSS':>9}"]
        lines += [f"{name:34}  {s.seconds:8.1f}s  {s.peak_mb:7.0f}MB" for name, s in rows]
        lines.append(
            f"ratio (run / raw paging): time {self.subject.seconds / self.baseline.seconds:.2f}x, "
            f"peak memory {self.subject.peak_mb / self.baseline.peak_mb:.2f}x; peak at {self.records:,} / at "
            f"{SMALL_RECORDS:,}: {self.subject.peak_mb / self.small.peak_mb:.2f}x"
        )
        return "\n".join(lines)


def plant(halo_url: str, count: int, day: date) -> None:
    import httpx

    body = {
        "count": count,
        "merchantReference": f"bench-{day.isoformat()}",
        "amount": "10.00",
        "currency": "ZAR",
        "disposition": "Approved",
        "transactionType": "Purchase",
        "createdAt": f"{day.isoformat()}T12:00:00Z",
    }
    httpx.post(f"{halo_url}/_sim/ledger/transactions", json=body, timeout=120).raise_for_status()


def child(kind: str, day: date) -> Sample:
    """Runs one side in a fresh interpreter with this process's environment (pointing at moto and Halo)."""
    answer = subprocess.run(  # noqa: S603 - this interpreter, our own module and a date
        [sys.executable, "-m", "scripts.bench_ledger", kind, day.isoformat()],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=True,
        timeout=1800,
    )
    values = json.loads(answer.stdout.strip().splitlines()[-1])
    return Sample(values["seconds"], values["peak_mb"])


def ledger_day(halo_url: str, records: int = RECORDS) -> LedgerFigures:
    plant(halo_url, records, DAY)
    plant(halo_url, SMALL_RECORDS, SMALL_DAY)
    baseline = child("baseline", DAY)
    subject = child("subject", DAY)
    return LedgerFigures(records, subject, baseline, child("subject", SMALL_DAY))


def _run_subject(day: date, merchant_id: str) -> None:
    from halotap.wiring import Services

    result = Services().ledger.run(merchant_id, day)
    if result.report["status"] != "complete":
        raise RuntimeError(f"the ledger run did not complete: {result.report}")


def _run_baseline(day: date, merchant_id: str) -> None:
    import httpx

    from halotap.wiring import Services

    merchant = Services().secrets.merchant(merchant_id)
    url = os.environ["HALO_BASE_URL"] + "/transactions"
    with httpx.Client(headers={"x-api-key": merchant.api_key}, timeout=30) as http:
        offset = 0
        while True:
            params: dict[str, Any] = {
                "merchant": merchant.halo_merchant_id,
                "startDate": day.isoformat(),
                "endDate": day.isoformat(),
                "limit": PAGE,
                "offset": offset,
            }
            page = http.get(url, params=params).json()
            offset += len(page)
            if len(page) < PAGE:
                return


def main(argv: list[str]) -> int:
    import logging

    logging.disable(logging.WARNING)
    kind, day = argv[0], date.fromisoformat(argv[1])
    from devstack.config import DEMO_MERCHANT_ID

    started = time.perf_counter()
    (_run_subject if kind == "subject" else _run_baseline)(day, DEMO_MERCHANT_ID)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
