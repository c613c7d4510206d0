"""Babel (CLDR data) and the page's catalogs are loaded by the hosted page's render path only, never when a
handler is imported, and a catalog only for the language a request needs."""

from __future__ import annotations

import subprocess
import sys

from devstack.launcher import REPO_ROOT
from infra import manifest


def loaded_after(probe: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT, check=True, timeout=120
    )
    return done.stdout.strip()


def test_no_handler_imports_babel_at_cold_start():
    handlers = [f"functions.{spec.name}.handler" for spec in manifest.FUNCTIONS]
    probe = "import importlib, sys\n" + "".join(f"importlib.import_module({name!r})\n" for name in handlers)
    probe += "print(sorted(m for m in sys.modules if m == 'babel' or m.startswith('babel.')))"
    assert loaded_after(probe) == "[]"


def test_only_the_checkout_page_imports_the_page_package():
    for spec in manifest.FUNCTIONS:
        probe = f"import sys\nimport functions.{spec.name}.handler\nprint('halotap.page' in sys.modules)"
        assert loaded_after(probe) == str(spec.name == "checkout_page"), spec.name


def test_a_catalog_loads_on_its_languages_first_request_and_no_other():
    probe = (
        "import sys\nfrom functions.checkout_page import handler\nfrom halotap.adapters import page\n"
        "from halotap.page import language\n"
        "before = language.translations.cache_info().currsize\n"
        "page.not_found_page('n', {'accept-language': 'zu'})\n"
        "page.not_found_page('n', {'accept-language': 'zu-ZA'})\n"
        "page.not_found_page('n', {'accept-language': 'en'})\n"
        "print(before, language.translations.cache_info().currsize, 'babel.numbers' in sys.modules)"
    )
    # Two entries: Zulu's catalog, read once for zu and zu-ZA, and English's, which is empty (no file read).
    # A 404 formats no amount, so CLDR's number data stays out.
    assert loaded_after(probe) == "0 2 False"


def test_the_page_path_does_load_it():
    from halotap.page.language import choose, format_amount

    assert format_amount("1499.99", "ZAR", choose(None, None, "en-ZA").locale) == "R1\xa0499,99"
    assert "babel.numbers" in sys.modules
