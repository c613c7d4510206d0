"""`make bench`'s first-request part, run as `scripts/bench.py --quick --only first` runs it: every handler
in fresh 3.13 interpreters against moto's server and the Halo simulator, each answer checked.

Slow (three walks of every handler, and a baseline interpreter per handler per round), so it is marked
`bench`: `-m "not bench"` leaves it out. Only the table's shape is checked, never a timing.
"""

from __future__ import annotations

import re

import pytest

from infra import manifest
from scripts import bench

pytestmark = pytest.mark.bench


def test_quick_first_request_run_gives_one_row_per_handler(capsys):
    assert bench.main(["--quick", "--only", "first"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith("cold first request ")]
    names = [row[3] for row in rows]
    assert names == sorted(spec.name for spec in manifest.FUNCTIONS)
    samples = f"n={bench.Plan.quick().first}"
    for row in rows:
        # name (4 words), subject and floor ("<number> ms" each), ratio, spread, samples, meaning
        assert re.fullmatch(r"\d+(\.\d+)? ms \d+(\.\d+)? ms", " ".join(row[4:8])), row
        assert re.fullmatch(r"\d+\.\d\dx", row[8]), row
        assert re.fullmatch(r"\d+\.\d\d-\d+\.\d\dx", row[9]), row
        assert row[10] == samples, row
    assert not [line for line in out.splitlines() if line.startswith("cold import ")]  # --only first


def test_quick_page_run_compares_the_page_with_itself_before_issue_19(capsys):
    assert bench.main(["--quick", "--only", "page"]) == 0
    rows = [
        line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("cold page render ")
    ]
    assert [row[3] for row in rows] == ["en", "de"]
    for row in rows:
        assert re.fullmatch(r"\d+(\.\d+)? ms \d+(\.\d+)? ms \d+\.\d\dx", " ".join(row[4:9])), row
