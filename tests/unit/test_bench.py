"""scripts/bench.py and its parts: the arithmetic and formatting (bench_figures), a quick cold-start run in
fresh interpreters (bench_cold), and the pure parts of the first-request figures (first_request).

The first-request part needs the local stack (the network): tests/lambda/test_bench_first_request.py
runs it.
"""

from __future__ import annotations

import pytest

from scripts import bench, bench_cold, bench_figures, first_request, lambda_shaped


def test_median_of_odd_and_even_counts():
    assert bench_figures.median([3.0, 1.0, 2.0]) == 2.0
    assert bench_figures.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError, match="no samples"):
        bench_figures.median([])


def test_ratio_is_median_over_median():
    assert (
        bench_figures.ratio([3.0, 30.0, 3.0], [1.0, 1.0, 100.0]) == 3.0
    )  # medians, so outliers do not count
    with pytest.raises(ValueError, match="positive"):
        bench_figures.ratio([1.0], [0.0])


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.00123, "1.23 ms"), (0.0456, "45.6 ms"), (0.3719, "372 ms")],
)
def test_format_ms(seconds, text):
    assert bench_figures.format_ms(seconds) == text


def test_format_ratio():
    assert bench_figures.format_ratio(2.0) == "2.00x"
    assert bench_figures.format_ratio(1.064) == "1.06x"


def test_interleave_alternates_and_swaps_who_goes_first():
    order: list[str] = []

    def sample(name: str, seconds: float):
        def run() -> float:
            order.append(name)
            return seconds

        return run

    subject, baseline = bench_figures.interleave(sample("s", 2.0), sample("b", 1.0), 4)
    assert subject == [2.0] * 4
    assert baseline == [1.0] * 4
    assert order == ["b", "s", "s", "b", "b", "s", "s", "b"]


def test_pair_puts_the_baseline_first_on_even_rounds():
    order: list[str] = []

    def side(name: str, seconds: float):
        def run() -> float:
            order.append(name)
            return seconds

        return run

    assert bench_figures.pair(0, side("s", 2.0), side("b", 1.0)) == (2.0, 1.0)
    assert bench_figures.pair(1, side("s", 2.0), side("b", 1.0)) == (2.0, 1.0)
    assert order == ["b", "s", "s", "b"]


def test_first_request_figures_are_one_row_per_handler():
    rounds = [dict.fromkeys(lambda_shaped.ORDER, (0.3, 0.15)) for _ in range(2)]
    figures = first_request.first_request_figures(rounds)
    assert [f.name for f in figures] == [f"cold first request {name}" for name in sorted(lambda_shaped.ORDER)]
    for figure in figures:
        row = figure.row()
        assert row[3:6] == ["2.00x", "2.00-2.00x", "n=2"]
        assert row[6] == first_request.FIRST_REQUEST_MEANING
    with pytest.raises(ValueError, match="no rounds"):
        first_request.first_request_figures([])


def test_every_handler_has_an_expected_first_answer():
    for name in lambda_shaped.ORDER:
        with pytest.raises(lambda_shaped.UnexpectedAnswer) as refused:
            lambda_shaped.expect_success(name, {"answer": {}})
        assert "does not know" not in str(refused.value)


def test_a_first_request_that_failed_is_refused_with_the_reason():
    expect = lambda_shaped.expect_success
    expect("get_checkout", {"answer": {"statusCode": 200, "body": "{}"}})
    expect("cancel_checkout", {"answer": {"statusCode": 409, "body": "{}"}})  # refused: it comes last
    expect("deliver_notification", {"answer": {"batchItemFailures": []}})
    expect("reconcile", {"answer": {"errors": 0, "examined": 0}})
    allow = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}
    expect("authorizer", {"answer": {"policyDocument": {"Statement": [allow]}, "context": {"clientId": "c"}}})
    with pytest.raises(lambda_shaped.UnexpectedAnswer, match=r"get_checkout answered 500, not 200: .*boom"):
        expect("get_checkout", {"answer": {"statusCode": 500, "body": "boom"}})
    with pytest.raises(lambda_shaped.UnexpectedAnswer, match="create_checkout raised ConfigurationError"):
        expect("create_checkout", {"raised": "ConfigurationError: CHECKOUTS_TABLE is not set"})
    with pytest.raises(lambda_shaped.UnexpectedAnswer, match="handed back for a retry"):
        expect("deliver_notification", {"answer": {"batchItemFailures": [{"itemIdentifier": "m1"}]}})
    with pytest.raises(lambda_shaped.UnexpectedAnswer, match="no Allow policy"):
        expect("authorizer", {"answer": {"principalId": "x", "policyDocument": {"Statement": []}}})


def test_the_first_request_part_runs_by_default_and_alone(monkeypatch, capsys):
    seen: list[tuple[list[str], bench.Plan]] = []

    def run(parts, plan):
        seen.append((list(parts), plan))
        return [], [], None

    monkeypatch.setattr(bench, "run", run)
    assert bench.main([]) == 0
    assert bench.main(["--quick", "--only", "cold", "--only", "first"]) == 0
    assert seen[0][0] == list(bench.PARTS)
    assert "first" in bench.PARTS
    assert seen[1] == (["cold", "first"], bench.Plan.quick())
    assert bench.Plan.quick().first <= bench.Plan.quick().cold  # each round is 22 fresh interpreters


def test_figure_row_and_table():
    figure = bench_figures.Figure("warm GET", [0.006, 0.004, 0.005], [0.002, 0.0025, 0.003], "overhead")
    assert figure.ratio == 2.0
    assert figure.row() == ["warm GET", "5.00 ms", "2.50 ms", "2.00x", "1.60-3.00x", "n=3", "overhead"]
    table = bench_figures.figures_table([figure]).splitlines()
    assert table[0].split() == ["figure", "subject", "baseline", "ratio", "spread", "samples", "meaning"]
    assert set(table[1]) <= {"-", " "}
    assert "2.00x" in table[2]


def test_calls_table_marks_a_broken_budget():
    checks = [
        bench_figures.CallCheck("GET", ["DynamoDB.GetItem"], "exactly DynamoDB.GetItem", True),
        bench_figures.CallCheck("intake", [], "exactly SQS.SendMessage", False),
    ]
    lines = bench_figures.calls_table(checks).splitlines()
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
    figures = bench_cold.cold_start(bench.Plan.quick().cold, handlers)
    assert [f.name for f in figures] == [f"cold import {name}" for name in handlers]
    for figure in figures:
        assert len(figure.subject) == len(figure.baseline) == 3
        assert 0.005 < bench_figures.median(figure.baseline) < 10  # importing boto3 takes real, finite time
        assert 0.005 < bench_figures.median(figure.subject) < 10
        assert 0.2 < figure.ratio < 50


def test_a_broken_call_budget_fails_the_run(monkeypatch, capsys):
    broken = bench_figures.CallCheck(
        "GET", ["DynamoDB.GetItem", "DynamoDB.GetItem"], "exactly DynamoDB.GetItem", False
    )
    monkeypatch.setattr(bench, "run", lambda parts, plan: ([], [broken], None))
    assert bench.main(["--only", "calls"]) == 1
    assert "AWS call budget broken for: GET" in capsys.readouterr().out
