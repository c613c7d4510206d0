"""The shopper's language and number format, and the message catalogs, loaded lazily, one per language.

The language is the checkout's `locale` (given at create) if the page speaks it, else the first language
of the browser's Accept-Language (by q-value) that it speaks, else English. The page speaks the languages
Halo's own UI SDK ships: LANGUAGES.

The catalogs are gettext files under `locales/`: `messages.pot`, the template made from messages.py, and
one `<language>/LC_MESSAGES/messages.po` each. The built layer carries them compiled (`messages.mo`,
scripts/build-layer.sh) and no `.po`; run from source (tests, the devstack), a `.po` is compiled in
memory the first time its language is asked for. So a catalog can never be stale in either place.
English is the template's own text and needs no catalog.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "af", "de", "es", "fr", "pt", "zu")
LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
_LANGUAGE_RANGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def accepted(accept_language: str | None) -> list[str]:
    """Accept-Language's tags, most preferred first (RFC 9110 q-values; malformed parts are skipped)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if _LANGUAGE_RANGE.match(tag.strip()) and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def _language_of(tag: str | None) -> str | None:
    """The page's language for a tag ("de-CH" -> "de"), or None if the page does not speak it."""
    primary = (tag or "").split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else None


class Choice(NamedTuple):
    language: str  # one of LANGUAGES: the page's words and its <html lang>
    locale: Any  # babel.Locale: how the amount is written


def choose(checkout_locale: str | None, merchant_locale: str | None, accept_language: str | None) -> Choice:
    """The page's language, and the locale its amount is written in.

    The amount follows the checkout's locale, else the merchant's (set by the operator to fix a country's
    number format), else the browser tag that chose the language, else the first browser tag CLDR knows.
    """
    browser = accepted(accept_language)
    language, chosen_by = SOURCE_LANGUAGE, None
    for tag in (checkout_locale, *browser):
        found = _language_of(tag)
        if found is not None:
            language, chosen_by = found, tag
            break
    return Choice(language, number_locale([checkout_locale, merchant_locale, chosen_by, *browser, language]))


def number_locale(tags: list[str | None]) -> Any:
    """The first of `tags` CLDR knows, as a babel.Locale; English if none."""
    from babel import Locale, UnknownLocaleError  # CLDR data: only the page path pays for this import

    for tag in tags:
        if not tag:
            continue
        try:
            return Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse(SOURCE_LANGUAGE)


def format_amount(amount: str, currency: str, locale: Any) -> str:
    """The amount as the locale writes it (CLDR): en-ZA "R1 499,99", de "1.499,99 ZAR".

    The currency's own minor digits from CLDR (BHD 3, JPY 0) match ISO 4217's, which create enforced.
    """
    from decimal import Decimal

    from babel.numbers import format_currency

    return str(format_currency(Decimal(amount), currency, locale=locale))


def catalog_path(language: str, suffix: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.{suffix}"


@cache
def translations(language: str) -> Callable[[str], str]:
    """The language's gettext, its catalog loaded on its first use in this process and kept. English is
    the messages' own text: it reads no file (and imports no gettext)."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return str
    from gettext import GNUTranslations

    source = catalog_path(language, "po")
    if not source.exists():  # the built layer: compiled by scripts/build-layer.sh
        with catalog_path(language, "mo").open("rb") as compiled:
            return GNUTranslations(compiled).gettext
    return GNUTranslations(compile_catalog(source)).gettext


def compile_catalog(source: Path) -> io.BytesIO:
    """A `.po` file compiled to `.mo` bytes, as `pybabel compile` writes them (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with source.open("rb") as text:
        catalog = read_po(text)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return compiled
