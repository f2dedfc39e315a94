"""ESCO skills a document names only by a label (a local concept, an alignment without an ESCO
URI): matched to ESCO's preferred labels, shipped as data in `data/esco_skills.csv` (ESCO v1.2.0,
English and French; its sources in `data/esco_skills.SOURCE.md`).

A label is compared without case, accents or extra spaces, and — only when that finds nothing —
without punctuation too ("C++" and "C#" differ, "suivre l'actualite" finds "suivre l’actualité").
A label in a language the table has is compared with that language only; a label in another or no
language with every language. Exactly one skill → its URI joins `skills`, kind "inferred", with a
note naming the label; no skill or several → nothing is guessed, a warning names the label and
where the document gives it. URIs the document states itself stay as they are, never twice.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from models.credentials.formats import vocabulary_labels
from models.credentials.formats.common import as_list, clean_text, fold
from models.credentials.formats.result import Draft

DATA = Path(__file__).resolve().parent / "data" / "esco_skills.csv"
TABLE = "ESCO v1.2.0 label table"
MAX_LABELS = 10  # labels read from one named skill
SHOWN = 5  # skills listed in an ambiguity warning

Label = tuple[str, str | None]  # (text, language or None)


@dataclass(frozen=True)
class Table:
    languages: tuple[str, ...]
    labels: dict[str, dict[str, str]]  # language → URI → preferred label
    strict: dict[str, dict[str, tuple[str, ...]]]  # language → folded label → URIs
    loose: dict[str, dict[str, tuple[str, ...]]]  # the same without punctuation


@dataclass
class Named:
    """A skill the document names without an ESCO URI: its labels and where it is."""

    labels: list[Label]
    where: str


@dataclass
class Found:
    """What one reading of a document found: ESCO URIs it states, and skills it only names."""

    uris: list[str] = field(default_factory=list)
    named: list[Named] = field(default_factory=list)
    # What the document calls the URIs it states: kept in the note, as the pages show it.
    labels: dict[str, list[Label]] = field(default_factory=dict)

    def stated(self, uri: str, labels: list[Label]) -> None:
        self.uris.append(uri)
        if labels and uri not in self.labels:
            self.labels[uri] = labels


def strict_key(text: str) -> str:
    return fold(text)


def loose_key(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


@cache
def table() -> Table:
    """The label table, read once."""
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        languages = tuple(n for n in rows.fieldnames or () if n != "uri")
        strict: dict[str, dict[str, list[str]]] = {lang: {} for lang in languages}
        loose: dict[str, dict[str, list[str]]] = {lang: {} for lang in languages}
        labels: dict[str, dict[str, str]] = {lang: {} for lang in languages}
        for row in rows:
            uri = row["uri"]
            for lang in languages:
                text = (row.get(lang) or "").strip()
                if text:
                    labels[lang][uri] = text
                    strict[lang].setdefault(strict_key(text), []).append(uri)
                    loose[lang].setdefault(loose_key(text), []).append(uri)

    def frozen(index: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, tuple[str, ...]]]:
        return {lang: {k: tuple(v) for k, v in keys.items()} for lang, keys in index.items()}

    return Table(languages, labels, frozen(strict), frozen(loose))


def candidates(text: str, language: str | None) -> dict[str, str]:
    """The ESCO skills whose preferred label reads as `text` (see the module's docstring), each
    with the language of the label that matched."""
    data = table()
    base = (language or "").casefold().split("-")[0]
    languages = (base,) if base in data.languages else data.languages
    for index, key in ((data.strict, strict_key), (data.loose, loose_key)):
        found: dict[str, str] = {}
        for lang in languages:
            for uri in index[lang].get(key(text), ()):
                found.setdefault(uri, lang)
        if found:
            return found
    return {}


def labels_of(value: Any, language: str | None = None) -> list[Label]:
    """(text, language) pairs of a string, a language map ({"en": …, "fr": [...]}), JSON-LD value
    objects or a list of these; English first."""
    found: list[Label] = []
    if isinstance(value, list):
        for item in value[:MAX_LABELS]:
            found += labels_of(item, language)
    elif isinstance(value, dict):
        if "@value" in value:
            tag = value.get("@language")
            found += labels_of(value["@value"], tag if isinstance(tag, str) else language)
        elif "id" not in value and "type" not in value:
            keys = sorted((k for k in value if isinstance(k, str)), key=lambda k: k != "en")
            for key in keys[:MAX_LABELS]:
                tag = None if key == "@none" else key
                if tag is None or re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", tag):
                    found += labels_of(value[key], tag)
    else:
        text = clean_text(value)
        if text:
            found.append((text, language))
    return list(dict.fromkeys(found))[:MAX_LABELS]


def _describe(uris: tuple[str, ...]) -> str:
    english = table().labels.get("en", {})
    shown = [f"{u} ({english.get(u, '')!r})" for u in uris[:SHOWN]]
    more = f" and {len(uris) - SHOWN} more" if len(uris) > SHOWN else ""
    return ", ".join(shown) + more


def match(named: Named) -> tuple[str | None, str]:
    """(URI, note) when the labels name exactly one ESCO skill; (None, warning) otherwise."""
    shown = named.labels[0][0] if named.labels else ""
    if not named.labels:
        return None, f"skills: a skill at {named.where} has no label and no ESCO URI; not added"
    found: dict[str, tuple[str, str | None, str]] = {}  # URI → (text, its language, column)
    for text, language in named.labels:
        for uri, column in candidates(text, language).items():
            found.setdefault(uri, (text, language, column))
    if len(found) == 1:
        ((uri, (text, language, column)),) = found.items()
        esco = table().labels[column][uri]
        tag = f" ({language})" if language else ""
        return uri, (
            f"matched by ESCO preferred label {esco!r} ({column}, {TABLE}); "
            f"the document says {text!r}{tag}"
        )
    if not found:
        return None, (
            f"skills: skill {shown!r} ({named.where}) matches no ESCO preferred label "
            f"({TABLE}); not added"
        )
    uris = tuple(found)
    return None, (
        f"skills: skill {shown!r} ({named.where}) matches {len(uris)} ESCO skills: "
        f"{_describe(uris)}; none was added"
    )


def settle(draft: Draft, found: Found, path: str, note: str) -> None:
    """Add to the draft's skills the URIs the document states (`found.uris`, at `path`, described
    by `note`) and those its named skills match; keep any skills the draft already has."""
    matched: list[tuple[str, str, str]] = []  # (URI, where, how)
    stated = list(dict.fromkeys(found.uris))
    for named in found.named:
        uri, text = match(named)
        if uri is None:
            draft.warn(text)
            draft.absent("skills", named.where, text.removeprefix("skills: "))
        elif uri not in stated and uri not in (m[0] for m in matched):
            matched.append((uri, named.where, text))
    if not stated and not matched:
        return
    before = draft.values.get("skills", ())
    value = tuple(dict.fromkeys((*before, *stated, *(m[0] for m in matched))))
    if value == before:
        return
    notes = [note] if stated else []
    notes += [f"{uri} at {where}: {how}" for uri, where, how in matched]
    named = {u: _one_each(found.labels[u]) for u in stated if u in found.labels}
    notes.append(vocabulary_labels.note_fragment(named))
    kind = "inferred" if matched else "vocabulary"
    source = path if stated else matched[0][1]
    if before:
        old = draft.provenance["skills"]
        kind = "inferred" if "inferred" in (kind, old.kind) else old.kind
        source = old.source.split(":", 1)[1]
        notes.insert(0, old.note)
    draft.set("skills", value, kind, source, "; ".join(n for n in notes if n))


def _one_each(labels: list[Label]) -> list[Label]:
    """English (or the first) label, and a Swedish one when the document has it."""
    first = next((x for x in labels if (x[1] or "").startswith("en")), labels[0])
    swedish = [x for x in labels if (x[1] or "").startswith("sv") and x != first][:1]
    return [first, *swedish]


def named_concepts(nodes: Any, where: str, limit: int = 100) -> list[tuple[Any, str]]:
    """(concept, JSON path) of a concept or a list of concepts at `where`."""
    items = as_list(nodes)[:limit]
    if isinstance(nodes, list):
        return [(n, f"{where}[{i}]") for i, n in enumerate(items)]
    return [(n, where) for n in items]
