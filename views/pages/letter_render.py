"""Letters rendered: the HTML (preview and the PDF's source) in the letter's language, and the
PDF made from it with WeasyPrint.

The PDF is tagged PDF/UA-1 with its fonts embedded (DejaVu, named by file so the result does not
depend on what fontconfig happens to pick), and WeasyPrint may load nothing but the letter's own
stylesheet, those fonts and inline `data:` images: a logo or a policy text cannot make the
renderer fetch a URL or read another file.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import format_date, format_decimal

from models.desk.letter_content import LetterContent
from views.i18n import in_language
from views.pages import letter_words as words

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = (  # (weight, style, file)
    ("normal", "normal", "DejaVuSans.ttf"),
    ("bold", "normal", "DejaVuSans-Bold.ttf"),
    ("normal", "italic", "DejaVuSans-Oblique.ttf"),
    ("bold", "italic", "DejaVuSans-BoldOblique.ttf"),
)


def _stylesheet() -> Path:
    return Path(current_app.static_folder or "static") / "letter.css"


def font_faces() -> list[dict[str, str]]:
    """@font-face rules for the DejaVu files present (none: fontconfig's DejaVu Sans)."""
    return [
        {"weight": weight, "style": style, "url": (FONT_DIR / name).as_uri()}
        for weight, style, name in FONTS
        if (FONT_DIR / name).is_file()
    ]


def logo_uri(letter: LetterContent) -> str | None:
    org = letter.organisation
    if not org.logo or not org.logo_type:
        return None
    return f"data:{org.logo_type};base64,{base64.b64encode(org.logo).decode('ascii')}"


def _ldate(value: dt.date | None) -> str:
    return format_date(value, "long") if value else "—"


def _ldecimal(value: Any) -> str:
    return format_decimal(value) if value is not None else ""


def render_letter(
    letter: LetterContent,
    language: str,
    *,
    standalone: bool,
    reply_by: dt.date | None = None,
    letter_date: dt.date | None = None,
    **page: Any,
) -> str:
    """The letter's HTML in `language`: `standalone` for the PDF, else the preview page."""
    with in_language(language) as chosen:
        return render_template(
            "letters/document.html" if standalone else "letter.html",
            letter=letter,
            language=chosen,
            reply_by=reply_by,
            letter_date=letter_date or dt.datetime.now(dt.UTC).date(),
            appeal_text=letter.organisation.appeal_text(chosen),
            logo=logo_uri(letter),
            fonts=font_faces() if standalone else [],
            w=words,
            ldate=_ldate,
            ldecimal=_ldecimal,
            pt=lambda text: letter.policy_text(text, chosen),
            **page,
        )


def _fetcher(allowed: set[str]) -> Any:
    from weasyprint.urls import URLFetcher

    class LetterFetcher(URLFetcher):
        """Only the letter's stylesheet, its fonts and inline images."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:") or url in allowed:
                return super().fetch(url, headers)
            raise ValueError(f"the letter may not load {url[:80]}")

    return LetterFetcher(allowed_protocols=("data", "file"))


def render_pdf(html: str) -> bytes:
    """Tagged PDF/UA-1 of a standalone letter, fonts embedded."""
    from weasyprint import CSS, HTML  # heavy: imported when a letter is issued

    sheet = _stylesheet()
    allowed = {sheet.as_uri(), *(f["url"] for f in font_faces())}
    fetch = _fetcher(allowed)
    document = HTML(string=html, base_url=str(sheet.parent), url_fetcher=fetch)
    stylesheet = CSS(filename=str(sheet), url_fetcher=fetch)
    return document.write_pdf(stylesheets=[stylesheet], pdf_variant="pdf/ua-1")
