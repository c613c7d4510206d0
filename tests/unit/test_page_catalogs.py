"""The hosted page's message catalogs: the template is the code's, and every language translates all of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from halotap.page import language
from halotap.page.messages import REASONS, Words, reasons, statuses
from scripts import page_messages

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TRANSLATED = [lang for lang in language.LANGUAGES if lang != language.SOURCE_LANGUAGE]


def messages_of(path: Path) -> dict[str, str]:
    with path.open("rb") as text:
        catalog = read_po(text)
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.fuzzy}


def test_the_committed_template_is_the_codes_messages():
    """A message added to halotap/page/messages.py and not extracted would stay English in every language."""
    committed = messages_of(page_messages.TEMPLATE)
    assert sorted(committed) == sorted(str(m.id) for m in page_messages.template() if m.id), (
        "run scripts/page_messages.py"
    )


def test_the_page_speaks_the_languages_halos_own_sdk_ships():
    assert set(language.LANGUAGES) >= {"en", "af", "zu", "fr", "de", "es", "pt"}
    assert sorted(p.parent.parent.name for p in language.LOCALES.glob("*/LC_MESSAGES/messages.po")) == sorted(
        TRANSLATED
    )


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalog_translates_every_message_with_the_same_placeholders(lang):
    template = messages_of(page_messages.TEMPLATE)
    catalog = messages_of(language.catalog_path(lang, "po"))
    missing = [msgid for msgid in template if not catalog.get(msgid)]
    assert missing == [], f"{lang} lacks (or has fuzzy) translations of {missing}"
    for msgid, msgstr in catalog.items():
        assert msgid in template, f"{lang} translates {msgid!r}, which the page no longer says"
        assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid)), (lang, msgid)
        assert msgstr.replace("%%", "").count("%") == len(PLACEHOLDER.findall(msgstr)), (lang, msgstr)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_language_has_every_state_and_every_piece_of_advice_translated(lang):
    _ = language.translations(lang)
    english = language.translations("en")
    for state, (heading, line) in statuses(_).items():
        assert (heading, line) != statuses(english)[state], (lang, state)
    assert set(reasons(_)) == set(REASONS.values())
    for key, advice in reasons(_).items():
        assert advice != reasons(english)[key], (lang, key)
    same = [name for name, text in vars(Words(_)).items() if text == getattr(Words(english), name)]
    assert same == [], f"{lang} leaves these words as in English: {same}"


def test_the_source_tree_compiles_catalogs_in_memory_and_the_layer_reads_them_compiled(tmp_path, monkeypatch):
    """From source a .po is compiled on first use; in the built layer (no .po) the .mo is read."""
    compiled = language.compile_catalog(language.catalog_path("de", "po")).getvalue()
    layer = tmp_path / "locales" / "de" / "LC_MESSAGES"
    layer.mkdir(parents=True)
    (layer / "messages.mo").write_bytes(compiled)
    monkeypatch.setattr(language, "LOCALES", tmp_path / "locales")
    language.translations.cache_clear()
    try:
        assert language.translations("de")("Payment declined") == "Zahlung abgelehnt"
    finally:
        language.translations.cache_clear()
