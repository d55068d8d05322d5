"""Russian and English UI (issue 4 §6): every UI string is translated, catalogs are compiled.

* Every message extracted from the code and templates (``babel.cfg``) has a Russian
  translation in one of the catalogs (``messages``, ``accounts``, ``admin``) that is neither
  empty nor fuzzy; the English UI needs no catalog because the message ids are English.
* Each committed ``.mo`` holds exactly what its ``.po`` says (compiled after the last edit).
* Placeholders survive translation (``%(name)s`` in the id is in the translation).
* Dates and numbers are formatted per locale.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale
from flask_babel import format_date
from flask_babel import format_decimal

import survey_app

ROOT = Path(survey_app.__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "survey_app" / "translations"
DOMAINS = ("messages", "accounts", "admin")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted_messages() -> dict[str, str]:
    """msgid -> where it was found, from every .py and .html file of the web app."""
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "lazy_gettext": None,
        "_l": None,
        "N_": None,
        "pgettext": ((1, "c"), 2),
    }
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "survey_app"), method_map, keywords=keywords
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def russian_catalogs() -> dict[str, object]:
    catalogs = {}
    for domain in DOMAINS:
        with open(TRANSLATIONS / "ru" / "LC_MESSAGES" / f"{domain}.po", "rb") as handle:
            catalogs[domain] = read_po(handle, locale="ru", domain=domain)
    return catalogs


def test_every_ui_string__has_a_russian_translation() -> None:
    translated: set[str] = set()
    for catalog in russian_catalogs().values():
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if all(strings):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                translated.update(ids)
    missing = {m: where for m, where in extracted_messages().items() if m not in translated}
    assert missing == {}, (
        f"{len(missing)} untranslated UI strings, e.g. {list(missing.items())[:10]}"
    )


@pytest.mark.parametrize("domain", DOMAINS)
def test_compiled_catalog__matches_its_source(domain: str) -> None:
    source = russian_catalogs()[domain]
    with open(TRANSLATIONS / "ru" / "LC_MESSAGES" / f"{domain}.mo", "rb") as handle:
        compiled = read_mo(handle)

    def plain(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    expected = {plain(m.id): plain(m.string) for m in source if m.id and m.string and not m.fuzzy}
    actual = {plain(m.id): plain(m.string) for m in compiled if m.id}
    assert actual == expected


@pytest.mark.parametrize("domain", DOMAINS)
def test_translations__keep_every_placeholder(domain: str) -> None:
    broken = []
    for message in russian_catalogs()[domain]:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for text in strings:
            if text and set(PLACEHOLDER.findall(text)) != wanted:
                broken.append((message.id, text))
    assert broken == []


def test_dates_and_numbers__are_formatted_per_locale(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("ru"):
            ru = (format_date(date(2026, 3, 1), "long"), format_decimal(12345.5))
        with force_locale("en"):
            en = (format_date(date(2026, 3, 1), "long"), format_decimal(12345.5))
    assert ru == ("1 марта 2026\u202fг.", "12\xa0345,5")  # CLDR: narrow no-break space
    assert en == ("March 1, 2026", "12,345.5")


def test_ui__is_russian_by_default_and_english_on_request(client, make_campaign) -> None:
    campaign = make_campaign("nok_culture")
    url = f"/s/{campaign.code}/{campaign.libraries[0].code}"
    russian = client.get(url, follow_redirects=True).get_data(as_text=True)
    english = client.get(url + "?lang=en", follow_redirects=True).get_data(as_text=True)
    assert '<html lang="ru">' in russian and "Далее" in russian
    assert '<html lang="en">' in english and "Next" in english


def test_extraction__finds_the_known_strings() -> None:
    """Guard against the extraction silently finding nothing (which would pass the test above)."""
    found = extracted_messages()
    assert len(found) > 200
    assert "Next" in found


#: a number or a placeholder, an ordinary space, then a percent sign ("95 %%", "%(x)s %")
PERCENT_AFTER_SPACE = re.compile(r"(\d|%\(\w+\)[sd]) (%%|%(?![(a-z]))")


@pytest.mark.parametrize("domain", DOMAINS)
def test_percent_signs__never_wrap_away_from_their_number(domain: str) -> None:
    """Issue 9 §5: "99,8 %" broke at the space; a no-break space holds the sign to the number."""
    loose = []
    for message in russian_catalogs()[domain]:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        loose += [text for text in strings if text and PERCENT_AFTER_SPACE.search(text)]
    assert loose == []


def test_templates__percent_sign_after_a_no_break_space() -> None:
    """A number printed by a template and followed by "%" is joined to it by &nbsp;."""
    loose = [
        f"{path.name}: {match.group(0)}"
        for path in (ROOT / "survey_app" / "templates").rglob("*.html")
        for match in re.finditer(r"\}\} %[^}]", path.read_text(encoding="utf-8"))
    ]
    assert loose == []
