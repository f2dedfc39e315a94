"""The desk speaks English and Swedish: every string a page, message or letter shows is in the
Swedish catalogue, the compiled catalogue is the one in the PO file, and the language is chosen
per request (switch, browser) as `views.i18n` describes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.web_fixtures import browsers, build_app

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "views" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w*\}")


def source_messages() -> set[str]:
    with (TRANSLATIONS / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={
            "_": None,
            "_l": None,
            "N_": None,
            "gettext": None,
            "ngettext": (1, 2),
            "lazy_gettext": None,
        },
    ):
        found.update(message if isinstance(message, tuple) else (message,))
    return {m for m in found if m}


def catalogue(language: str = "sv"):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def test_every_string_of_the_desk_has_its_swedish_translation():
    po = catalogue()
    untranslated = sorted(
        m
        for m in source_messages()
        if (entry := po.get(m)) is None or not entry.string or "fuzzy" in entry.flags
    )
    assert untranslated == [], "missing in sv (run `make translations`, then translate)"


def test_translations_keep_their_placeholders():
    wrong = {
        m.id: m.string
        for m in catalogue()
        if m.id
        and m.string
        and isinstance(m.id, str)
        and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))
    }
    assert wrong == {}


def test_the_compiled_catalogue_is_the_po_file():
    with (TRANSLATIONS / "sv" / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    written = {m.id: m.string for m in catalogue() if m.id and m.string}
    assert compiled == written, "run `make translations` (it compiles the PO file)"


@pytest.fixture
def desk(tmp_path):
    return build_app(tmp_path)


@pytest.mark.parametrize(
    ("accept", "lang", "words"),
    [("sv-SE,sv;q=0.9", "sv", "Språk"), ("en-GB", "en", "Language"), ("fr", "en", "Language")],
)
def test_the_browser_language_is_used_until_one_is_chosen(desk, accept, lang, words):
    page = desk.app.test_client().get("/login", headers={"Accept-Language": accept})
    html = page.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert words in html


def test_the_language_switch_is_remembered_and_returns_to_the_page(desk):
    web = browsers(desk)()
    web.refresh_token("/login")
    response = web.post("/language", {"language": "sv", "next": "/login?next=/policies"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login?next=/policies")
    html = web.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="sv">' in html
    web.refresh_token("/login")
    assert (
        web.post("/language", {"language": "xx", "next": "//evil.example"})
        .headers["Location"]
        .endswith("/cases")
    )
    html = web.get("/login").get_data(as_text=True)
    assert '<html lang="sv">' in html  # an unknown language changes nothing


@pytest.mark.parametrize(
    ("language", "date", "moment", "decimal", "thousands"),
    [
        ("en", "1 Sep 2026", "1 Sep 2026 14:05 UTC", "7.5", "12,000"),
        ("sv", "1 sep. 2026", "1 sep. 2026 14:05 UTC", "7,5", "12\u00a0000"),
    ],
)
def test_dates_and_numbers_are_written_in_the_page_language(
    desk, language, date, moment, decimal, thousands
):
    import datetime as dt

    from views.pages import present

    headers = {"Accept-Language": language}
    with desk.app.test_request_context("/cases", headers=headers):
        assert present.date_label(dt.date(2026, 9, 1)) == date
        assert present.date_label("2026-09-01") == date
        assert present.moment("2026-09-01T14:05:09Z") == moment
        assert present.number(7.5) == decimal and present.number(12000.0) == thousands
        assert present.number(6.0) == "6" and present.number("f1") == "f1"
