"""`halotap-admin ledger run`: which days it runs, and what it refuses before calling anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from tools.ledger_cli import MAX_DAYS, days, run_days
from tools.operator_common import OperatorError

TODAY = date(2026, 12, 8)


def test_a_range_is_every_day_from_the_first_to_the_last():
    assert days("2026-11-30", "2026-12-02", TODAY) == [
        date(2026, 11, 30),
        date(2026, 12, 1),
        date(2026, 12, 2),
    ]


@pytest.mark.parametrize(
    ("first", "last", "says"),
    [
        ("2026-12-1", "2026-12-02", "YYYY-MM-DD"),
        ("2026-12-03", "2026-12-02", "before"),
        ("2026-12-08", "2026-12-09", "future"),
        ("2026-10-01", "2026-12-01", f"at most {MAX_DAYS}"),
    ],
)
def test_a_bad_range_is_refused_saying_why(first, last, says):
    with pytest.raises(OperatorError, match=says):
        days(first, last, TODAY)


@dataclass
class Result:
    report: dict


class Ledger:
    def __init__(self) -> None:
        self.ran: list[tuple[str, date]] = []

    def run(self, merchant_id: str, day: date) -> Result:
        self.ran.append((merchant_id, day))
        return Result({"status": "complete", "counts": {"matched": 1}, "differences": ["not printed"]})


def test_each_day_is_one_run_of_the_use_case_and_one_line_of_counts():
    ledger, lines = Ledger(), []
    assert run_days(ledger, "m-1", [date(2026, 12, 6), date(2026, 12, 7)], lines.append) == 0
    assert ledger.ran == [("m-1", date(2026, 12, 6)), ("m-1", date(2026, 12, 7))]
    assert (
        lines[0]
        == '{"merchantId": "m-1", "date": "2026-12-06", "status": "complete", "counts": {"matched": 1}}'
    )
