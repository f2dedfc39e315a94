"""The desk's languages: English (the source strings) and Swedish.

Flask-Babel picks the language of each request, first match wins:

1. a language forced for one rendering (a letter in the applicant's language: `in_language`);
2. the logged-in member of staff's own setting (`User.language`, when set);
3. the language chosen with the switch on every page (a cookie, also before logging in);
4. the browser's Accept-Language;
5. English.

Catalogues live in `views/translations/` and are rebuilt with `make translations` (extract,
update, compile); `tests/test_translations.py` fails while a Swedish string is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, g, request
from flask_babel import Babel, force_locale, get_locale

LANGUAGES = {"en": "English", "sv": "Svenska"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "credstack_lang"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def supported(language: str | None) -> str | None:
    """`language` when the desk speaks it ("sv-SE" counts as "sv"), else None."""
    if not language:
        return None
    primary = language.replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def select_language() -> str:
    user = g.get("user")
    chosen = (
        supported(getattr(user, "language", None))
        or supported(request.cookies.get(LANGUAGE_COOKIE))
        or request.accept_languages.best_match(list(LANGUAGES))
    )
    return chosen or DEFAULT_LANGUAGE


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


@contextmanager
def in_language(language: str | None) -> Iterator[str]:
    """Render in `language` (when the desk speaks it, else in the request's language)."""
    chosen = supported(language) or current_language()
    with force_locale(chosen):
        yield chosen


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_language)
    app.jinja_env.globals["languages"] = LANGUAGES
    app.jinja_env.globals["current_language"] = current_language
