"""The arithmetic and the tables of `make bench` (scripts/bench.py): every figure is a ratio of medians,
a subject against a baseline sampled alternately in the same run. Pure: no AWS, no network, no halotap.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """Sample counts for one run."""

    cold: int = 7
    first: int = 7  # rounds: each walks every handler once, a checkout's whole life
    get: int = 200
    create: int = 50
    intake: int = 200
    warmups: int = 5

    @classmethod
    def quick(cls) -> Plan:
        return cls(cold=3, first=2, get=30, create=10, intake=30, warmups=2)


# -- pure helpers ---------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no samples")
    return float(statistics.median(values))


def ratio(subject: Sequence[float], baseline: Sequence[float]) -> float:
    """median(subject) / median(baseline): how many baselines the subject costs."""
    below = median(baseline)
    if below <= 0:
        raise ValueError("the baseline median must be positive")
    return median(subject) / below


def format_ms(seconds: float) -> str:
    ms = seconds * 1000
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def format_ratio(value: float) -> str:
    return f"{value:.2f}x"


@dataclass(frozen=True)
class Figure:
    name: str
    subject: list[float]  # seconds
    baseline: list[float]  # seconds
    meaning: str

    @property
    def ratio(self) -> float:
        return ratio(self.subject, self.baseline)

    @property
    def spread(self) -> tuple[float, float]:
        """The lowest and highest ratio of one sample pair (subject i / baseline i): how far one run's
        ratio could be from another's."""
        pairs = [above / below for above, below in zip(self.subject, self.baseline, strict=True) if below > 0]
        if not pairs:
            raise ValueError("no sample pairs with a positive baseline")
        return min(pairs), max(pairs)

    def row(self) -> list[str]:
        low, high = self.spread
        return [
            self.name,
            format_ms(median(self.subject)),
            format_ms(median(self.baseline)),
            format_ratio(self.ratio),
            f"{low:.2f}-{high:.2f}x",
            f"n={len(self.subject)}",
            self.meaning,
        ]


@dataclass(frozen=True)
class CallCheck:
    """The AWS calls one operation made, against the budget."""

    name: str
    observed: list[str]  # "Service.Operation"
    expected: str
    ok: bool

    def row(self) -> list[str]:
        return [self.name, ", ".join(self.observed) or "(none)", self.expected, "ok" if self.ok else "BROKEN"]


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * width for width in widths]), *(line(row) for row in rows)])


def figures_table(figures: Sequence[Figure]) -> str:
    return format_table(
        ["figure", "subject", "baseline", "ratio", "spread", "samples", "meaning"], [f.row() for f in figures]
    )


def calls_table(checks: Sequence[CallCheck]) -> str:
    return format_table(["operation", "AWS calls observed", "budget", "verdict"], [c.row() for c in checks])


def clock(action: Callable[[], object]) -> float:
    """Seconds `action` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def pair(round_: int, subject: Callable[[], float], baseline: Callable[[], float]) -> tuple[float, float]:
    """One sample of each, as (subject, baseline): the baseline goes first on even rounds, the subject
    on odd ones."""
    if round_ % 2 == 0:
        below = baseline()
        return subject(), below
    above = subject()
    return above, baseline()


def interleave(
    subject: Callable[[], float], baseline: Callable[[], float], n: int
) -> tuple[list[float], list[float]]:
    """n samples of each, alternating; the side that goes first alternates too. Each callable
    returns its own sample in seconds (so set-up outside the measured part stays unmeasured)."""
    subjects: list[float] = []
    baselines: list[float] = []
    for round_ in range(n):
        above, below = pair(round_, subject, baseline)
        subjects.append(above)
        baselines.append(below)
    return subjects, baselines


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
