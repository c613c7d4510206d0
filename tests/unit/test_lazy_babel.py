"""Babel (CLDR data) is loaded by the hosted page's render path only, never when a handler is imported."""

from __future__ import annotations

import subprocess
import sys

from devstack.launcher import REPO_ROOT
from infra import manifest


def test_no_handler_imports_babel_at_cold_start():
    handlers = [f"functions.{spec.name}.handler" for spec in manifest.FUNCTIONS]
    probe = "import importlib, sys\n" + "".join(f"importlib.import_module({name!r})\n" for name in handlers)
    probe += "print(sorted(m for m in sys.modules if m == 'babel' or m.startswith('babel.')))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT, check=True, timeout=120
    )
    assert loaded.stdout.strip() == "[]", loaded.stderr


def test_the_page_path_does_load_it():
    from halotap.adapters import page

    locale = page.shopper_locale(None, "en-ZA")
    assert page.format_amount("1499.99", "ZAR", locale) == "R1\xa0499,99"
    assert "babel.numbers" in sys.modules
