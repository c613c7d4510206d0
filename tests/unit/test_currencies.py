"""The layer's ISO 4217 table (domain/currencies.py) is the pinned `iso4217` package's, code for code."""

from __future__ import annotations

from scripts import currencies


def test_the_generated_table_matches_the_pinned_iso4217_package():
    from halotap.domain.currencies import MINOR_UNITS

    assert currencies.minor_units() == MINOR_UNITS, "run: .venv/bin/python scripts/currencies.py"


def test_the_generated_module_is_what_the_generator_writes():
    assert currencies.TARGET.read_text() == currencies.source(), "run: .venv/bin/python scripts/currencies.py"
