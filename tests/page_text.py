"""What a shopper reads on the hosted page, and the English left in it: shared by the page's integration
and browser tests.

"English words" are the words of the page's English messages (the template's msgids) that the language's
own catalog never uses: "Halo", "NFC" or "iPhone" are in both and so are no sign of a missed translation,
while "payment" or "shop" in a German page are.
"""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser

from babel.messages.pofile import read_po

from halotap.page import language

WORD = re.compile(r"[^\W\d_]+")
# Attributes a shopper hears or sees as text; data-messages holds every status line the script may show.
READ_ATTRIBUTES = ("alt", "aria-label", "title", "data-messages")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name == "data-messages":  # the script's words: its keys are code, its values text
                self.parts.extend(_strings(json.loads(value or "{}")))
            elif name in READ_ATTRIBUTES:
                self.parts.append(value or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    return []


def readable_text(html: str) -> str:
    """The page's text, its <title> and its read-out attributes, without its script and style."""
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def words(text: str) -> set[str]:
    return {word.casefold() for word in WORD.findall(text)}


@cache
def _catalog(lang: str) -> dict[str, str]:
    path = language.catalog_path(lang, "po") if lang != "en" else language.LOCALES / "messages.pot"
    with path.open("rb") as text:
        return {str(m.id): str(m.string) for m in read_po(text) if m.id}


def english_messages() -> list[str]:
    return list(_catalog("en"))


def english_words_left(text: str, lang: str) -> set[str]:
    """The English words in `text` that `lang`'s catalog never uses."""
    english = set().union(*(words(msgid) for msgid in english_messages()))
    translated = set().union(*(words(msgstr) for msgstr in _catalog(lang).values()))
    return words(text) & (english - translated)
