"""Metric names live in halotap/metrics.py only: every alarm watches a metric a function emits, and every emitted
metric has a row in docs/operations.md's metrics table.

Read from the sources (ast), not by importing the handlers or the CDK app: what counts is the code as written.
"""

from __future__ import annotations

import ast
import re
from dataclasses import fields
from pathlib import Path

import pytest

from halotap import metrics
from halotap.domain.models import RefundStatus
from halotap.domain.states import Verdict

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted((ROOT / "functions").glob("*/handler.py"))
MONITORING = ROOT / "infra" / "monitoring.py"
OPERATIONS = ROOT / "docs" / "operations.md"
CONSTANTS = {name: value for name, value in vars(metrics).items() if name.isupper()}


def names_used(tree: ast.AST) -> set[str]:
    """The metrics.py constants a module refers to, as `NAME` (imported) or `metrics.NAME`; a family (a dict
    such as HALO_EVENT_BY_VERDICT) stands for every metric in it."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in CONSTANTS:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in CONSTANTS:
            found.add(node.attr)
    emitted: set[str] = set()
    for name in found:
        value = CONSTANTS[name]
        emitted.update(value.values() if isinstance(value, dict) else [value])
    return emitted


def emitted() -> set[str]:
    return set().union(*(names_used(ast.parse(path.read_text())) for path in HANDLERS))


def metric_name_literals(tree: ast.AST) -> list[str]:
    """String literals handed to add_metric(name=...) or halotap_metric(...): a name not declared once."""
    literals = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        arguments = [k.value for k in node.keywords if k.arg == "name"] if called == "add_metric" else []
        if called == "halotap_metric" and node.args:
            arguments.append(node.args[0])
        literals += [ast.unparse(a) for a in arguments if isinstance(a, ast.Constant | ast.JoinedStr)]
    return literals


@pytest.mark.parametrize("path", [*HANDLERS, MONITORING], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_emitter_or_alarm_spells_a_metric_name_itself(path):
    assert metric_name_literals(ast.parse(path.read_text())) == []


def test_every_metric_monitoring_alarms_or_graphs_on_is_emitted_by_a_function():
    watched = names_used(ast.parse(MONITORING.read_text()))
    assert watched  # the monitoring names its metrics through halotap.metrics
    assert watched - emitted() == set()


def test_every_declared_metric_is_emitted():
    declared = set().union(*(v.values() if isinstance(v, dict) else [v] for v in CONSTANTS.values()))
    assert declared - emitted() == set()


def test_every_emitted_metric_has_a_row_in_the_operations_metrics_table():
    table = OPERATIONS.read_text().split("| Metric | Function |", 1)[1].split("\n\n", 1)[0]
    first_cells = [row.split("|")[1] for row in table.splitlines() if row.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`(\w+)`", cell)}
    assert emitted() - documented == set()


@pytest.mark.parametrize(
    ("family", "values"),
    [
        (metrics.HALO_EVENT_BY_VERDICT, {v.value for v in Verdict}),
        (metrics.REFUND_BY_STATUS, {s.value for s in RefundStatus}),
    ],
    ids=["verdicts", "refund statuses"],
)
def test_every_value_a_family_is_looked_up_by_has_a_metric(family, values):
    assert set(family) == values


def test_every_count_reconcile_publishes_is_a_field_of_its_run_report():
    from halotap.app.reconcile import RunReport

    assert set(metrics.RECONCILE_BY_COUNT) <= {field.name for field in fields(RunReport)}
