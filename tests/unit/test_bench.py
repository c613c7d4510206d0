"""scripts/bench.py: its arithmetic and formatting, and a quick cold-start run in fresh interpreters."""

from __future__ import annotations

import pytest

from scripts import bench


def test_median_of_odd_and_even_counts():
    assert bench.median([3.0, 1.0, 2.0]) == 2.0
    assert bench.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError, match="no samples"):
        bench.median([])


def test_ratio_is_median_over_median():
    assert bench.ratio([3.0, 30.0, 3.0], [1.0, 1.0, 100.0]) == 3.0  # medians, so outliers do not count
    with pytest.raises(ValueError, match="positive"):
        bench.ratio([1.0], [0.0])


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.00123, "1.23 ms"), (0.0456, "45.6 ms"), (0.3719, "372 ms")],
)
def test_format_ms(seconds, text):
    assert bench.format_ms(seconds) == text


def test_format_ratio():
    assert bench.format_ratio(2.0) == "2.00x"
    assert bench.format_ratio(1.064) == "1.06x"


def test_interleave_alternates_and_swaps_who_goes_first():
    order: list[str] = []

    def sample(name: str, seconds: float):
        def run() -> float:
            order.append(name)
            return seconds

        return run

    subject, baseline = bench.interleave(sample("s", 2.0), sample("b", 1.0), 4)
    assert subject == [2.0] * 4
    assert baseline == [1.0] * 4
    assert order == ["b", "s", "s", "b", "b", "s", "s", "b"]


def test_figure_row_and_table():
    figure = bench.Figure("warm GET", [0.006, 0.004, 0.005], [0.002, 0.0025, 0.003], "overhead")
    assert figure.ratio == 2.0
    assert figure.row() == ["warm GET", "5.00 ms", "2.50 ms", "2.00x", "n=3", "overhead"]
    table = bench.figures_table([figure]).splitlines()
    assert table[0].split() == ["figure", "subject", "baseline", "ratio", "samples", "meaning"]
    assert set(table[1]) <= {"-", " "}
    assert "2.00x" in table[2]


def test_calls_table_marks_a_broken_budget():
    checks = [
        bench.CallCheck("GET", ["DynamoDB.GetItem"], "exactly DynamoDB.GetItem", True),
        bench.CallCheck("intake", [], "exactly SQS.SendMessage", False),
    ]
    lines = bench.calls_table(checks).splitlines()
    assert lines[2].endswith("ok")
    assert "(none)" in lines[3]
    assert lines[3].endswith("BROKEN")


def test_only_accepts_known_parts(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--only", "nonsense"])
    assert "invalid choice" in capsys.readouterr().err


def test_quick_cold_start_gives_sane_numbers():
    """Fresh interpreters (subprocesses, no network): two handlers, the --quick sample count."""
    handlers = ("get_checkout", "halo_webhook")
    figures = bench.cold_start(bench.Plan.quick().cold, handlers)
    assert [f.name for f in figures] == [f"cold import {name}" for name in handlers]
    for figure in figures:
        assert len(figure.subject) == len(figure.baseline) == 3
        assert 0.005 < bench.median(figure.baseline) < 10  # importing boto3 takes real, finite time
        assert 0.005 < bench.median(figure.subject) < 10
        assert 0.2 < figure.ratio < 50


def test_a_broken_call_budget_fails_the_run(monkeypatch, capsys):
    broken = bench.CallCheck(
        "GET", ["DynamoDB.GetItem", "DynamoDB.GetItem"], "exactly DynamoDB.GetItem", False
    )
    monkeypatch.setattr(bench, "run", lambda parts, plan: ([], [broken], None))
    assert bench.main(["--only", "calls"]) == 1
    assert "AWS call budget broken for: GET" in capsys.readouterr().out
