"""Readable labels of vocabulary URIs (ESCO skills, ISCED-F, EQF, Europass vocabularies, languages,
countries) and of the desk's own vocabulary codes, in English and Swedish.

Three sources, read by the pages in this order: the imported document (an importer keeps the
label a document gives next to a URI in the element's provenance note, see `note_fragment`), the
policy (labels it declares), and the table shipped as data (`data/labels.tsv`, with ESCO's English
preferred labels of `data/esco_skills.csv` behind it). Nothing is fetched at run time.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "labels.tsv"
LANGUAGES = ("en", "sv")
# One label the document gave: `"text" <uri>` or `"text"@sv <uri>` (text written as a JSON string).
_FRAGMENT = re.compile(r'"((?:[^"\\]|\\.)*)"(?:@([A-Za-z]{2,3}))? <([^<>\s]+)>')
MAX_KEPT = 40  # labels kept in one note: a note stays readable


@cache
def table() -> Mapping[str, Mapping[str, str]]:
    """URI (or "vocabulary:code") → language → label, from `data/labels.tsv`."""
    out: dict[str, dict[str, str]] = {}
    with DATA.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        for row in csv.DictReader(lines, delimiter="\t"):
            out[row["uri"]] = {lang: row[lang].strip() for lang in LANGUAGES if row.get(lang)}
    return out


def table_label(uri: str, language: str) -> str | None:
    """The shipped label of `uri` in `language` (ESCO skills: English from the ESCO table)."""
    found = table().get(uri, {}).get(language)
    if found:
        return found
    from models.credentials.formats import esco_labels  # it writes notes with this module

    return esco_labels.table().labels.get(language, {}).get(uri)


def note_fragment(labels: Mapping[str, Iterable[tuple[str, str | None]]]) -> str:
    """The labels a document gives its URIs, written into a provenance note: readable by a person
    and read back by `labels_in_note`."""
    parts = []
    for uri, texts in list(labels.items())[:MAX_KEPT]:
        for text, language in list(texts)[:2]:
            tag = f"@{language}" if language else ""
            parts.append(f"{json.dumps(text, ensure_ascii=False)}{tag} <{uri}>")
    return "labels in the document: " + ", ".join(parts) if parts else ""


def labels_in_note(note: str) -> dict[str, dict[str | None, str]]:
    """URI → language (None: not stated) → label, from a provenance note."""
    found: dict[str, dict[str | None, str]] = {}
    for text, language, uri in _FRAGMENT.findall(note or ""):
        try:
            label = json.loads(f'"{text}"')
        except ValueError:
            continue
        found.setdefault(uri, {}).setdefault(language.lower() or None, label)
    return found


def document_labels(credential: Any) -> dict[str, dict[str | None, str]]:
    """The labels an imported credential's document gave its URIs: from an engine `Credential`,
    a wallet document's credential or a stored snapshot's ({"provenance": {element: …}})."""
    provenance = getattr(credential, "provenance", None)
    if provenance is None and isinstance(credential, Mapping):
        provenance = credential.get("provenance")
    found: dict[str, dict[str | None, str]] = {}
    for entry in (provenance or {}).values():
        note = getattr(entry, "note", None)
        if note is None and isinstance(entry, Mapping):  # the wallet document's form
            note = entry.get("note")
        elif note is None and isinstance(entry, (list, tuple)) and len(entry) > 2:
            note = entry[2]  # a stored snapshot's form
        if isinstance(note, str):
            for uri, texts in labels_in_note(note).items():
                found.setdefault(uri, {}).update(texts)
    return found
