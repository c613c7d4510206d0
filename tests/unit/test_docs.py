"""The docs stand alone: every relative link in a README or docs/ page resolves inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", REPO / "devstack" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE_PATH = re.compile(r"`((?:\.\./)+[\w./-]+)`")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        if not path.exists() or REPO not in path.parents:
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_page_points_outside_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert CODE_PATH.findall(text) == []
    assert "shared/" not in text


REPO_PATH = re.compile(r"`((?:tests|devstack|infra|tools|functions|scripts|layers|docs|events)/[\w./-]*\w)`")
PACKAGE_PATH = re.compile(r"`(halotap/[\w./-]*\.(?:py|html))`")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_file_a_page_names_exists(page: Path) -> None:
    """A doc that points at a module or a test must point at one that is there."""
    text = page.read_text(encoding="utf-8")
    missing = [path for path in REPO_PATH.findall(text) if "<" not in path and not (REPO / path).exists()]
    missing += [
        path
        for path in PACKAGE_PATH.findall(text)
        if not (REPO / "layers" / "common" / "python" / path).exists()
    ]
    assert missing == []
