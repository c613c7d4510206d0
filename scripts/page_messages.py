"""The hosted page's message catalogs: writes `messages.pot` from halotap/page/messages.py and merges it
into every language's `messages.po`, as `pybabel extract` and `pybabel update` would.

Run it after changing a message, then translate what it marked new or fuzzy in each `.po`:

    .venv/bin/python scripts/page_messages.py

`scripts/page_messages.py compile <locales>` is the layer build's step: it compiles each `.po` under
`<locales>` (a copy in the build folder) to `.mo` beside it and removes the `.po` files and the template,
so the layer carries the compiled catalogs only.

tests/unit/test_page_catalogs.py fails while the template is stale or a catalog lacks a message or a
placeholder. The layer build compiles the catalogs (scripts/build-layer.sh); the page compiles them in
memory when it runs from source (halotap/page/language.py).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "layers/common/python/halotap/page"
SOURCE = PAGE / "messages.py"
LOCALES = PAGE / "locales"
TEMPLATE = LOCALES / "messages.pot"
COMMENT_TAGS = ["TRANSLATORS:"]
# A fixed date, so that running this again without a new message changes no file.
CREATED = datetime(2026, 12, 7, tzinfo=UTC)


def template() -> Catalog:
    """The messages of halotap/page/messages.py, with their translator comments."""
    catalog = Catalog(
        project="halotap hosted page",
        version="1",
        creation_date=CREATED,
        revision_date=CREATED,
        fuzzy=False,
        header_comment="# The hosted page's words (halotap/page/messages.py). Made by scripts/page_messages.py.",
    )
    for line, message, comments, context in extract_from_file(
        "python", str(SOURCE), comment_tags=COMMENT_TAGS, strip_comment_tags=True
    ):
        catalog.add(
            message,
            locations=[(SOURCE.relative_to(ROOT).as_posix(), line)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def _write(catalog: Catalog, path: Path) -> None:
    with path.open("wb") as out:
        write_po(out, catalog, width=110, omit_header=False, sort_output=False, include_lineno=False)


def compile_all(locales: Path) -> int:
    """Compile every `<locales>/*/LC_MESSAGES/messages.po` in place, leaving `.mo` files only."""
    sys.path.insert(0, str(ROOT / "layers/common/python"))
    from halotap.page.language import compile_catalog

    for po in sorted(locales.glob("*/LC_MESSAGES/messages.po")):
        po.with_suffix(".mo").write_bytes(compile_catalog(po).getvalue())
        po.unlink()
    (locales / TEMPLATE.name).unlink(missing_ok=True)
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["compile"] and len(argv) == 2:
        return compile_all(Path(argv[1]))
    if argv:
        print("usage: scripts/page_messages.py [compile <locales-dir>]", file=sys.stderr)
        return 2
    pot = template()
    _write(pot, TEMPLATE)
    for po in sorted(LOCALES.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as text:
            catalog = read_po(text)
        catalog.update(pot, update_header_comment=False)
        _write(catalog, po)
        print(f"updated {po.relative_to(ROOT)}")
    print(f"wrote {TEMPLATE.relative_to(ROOT)}: {len(pot)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
