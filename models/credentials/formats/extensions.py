"""Extension terms: what a document states beyond its format's standard properties (Open Badges
extension properties and extension objects, EDC notes and identifiers).

Every term is kept in the credential's `extensions` under its name, as written, so a policy can
declare an element of that name or fill one with `mappings: [{source: TERM, element: NAME}]`.
The common European terms (`extension_terms.TERMS`) also fill their Annex I element, with
provenance kind "extension" and the JSON path, when the value names one value unambiguously.
Every term not mapped is listed in a warning: nothing is dropped silently.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from typing import Any, NamedTuple

from engine.inputs import Level
from models.credentials.formats import extension_terms as data
from models.credentials.formats.common import MAX_TEXT, as_list, clean_text, fold, types_of
from models.credentials.formats.extension_readers import READERS, Unreadable
from models.credentials.formats.result import Draft

MAX_KEPT = 100  # extension terms a wallet credential may carry
MAX_TERMS = 300  # terms read from one credential
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_:#./-]{0,199}")  # a wallet's extension name
_META = frozenset(("@context", "type", "@type", "id", "@id"))


class Term(NamedTuple):
    name: str  # as the document writes it, matched against TERMS
    value: Any  # the raw JSON value
    path: str  # JSON path from the document
    key: str  # the name it is kept under in `extensions`
    alias: str = ""  # the extension object's name, when the term is its only property
    mappable: bool = True


def squash(text: str) -> str:
    """A term name compared without case, accents, spacing or punctuation."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def _core(name: str) -> str:
    core = squash(name.rsplit(":", 1)[-1])
    return core[: -len("extension")] if core.endswith("extension") and core != "extension" else core


@cache
def _index() -> dict[str, tuple[str, str]]:
    return {_core(n): (element, reader) for element, reader, names in data.TERMS for n in names}


def element_for(name: str) -> tuple[str, str] | None:
    """(element, reader) for a term name, or None when credstack does not map it."""
    return _index().get(_core(name))


def slug(text: str) -> str:
    """An extension name from a label: "Taal van het onderwijs" → "taal_van_het_onderwijs"."""
    key = re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")[:200]
    return key if key[:1].isalpha() else f"term_{key}"[:200]


def key_for(name: str) -> str:
    return name if _KEY.fullmatch(name) else slug(name)


# --- reading an object's terms -------------------------------------------------------------


def _is_extension(key: str, value: Any) -> bool:
    items = as_list(value)
    dicts = [v for v in items if isinstance(v, dict)]
    if not dicts or len(dicts) != len(items):
        return False
    typed = all(any(t.endswith("Extension") for t in types_of(d)) for d in dicts)
    return key.startswith("extensions:") or typed


def terms_of(
    draft: Draft, node: dict[str, Any], path: str, standard: frozenset[str], personal: bool = False
) -> list[Term]:
    """The terms of an object beyond its `standard` properties; the properties of an extension
    object ("extensions:ECTSExtension": {"ECTS": 5}) are terms of their own. With `personal`,
    a term that is not mapped and whose name suggests personal data is named, not kept."""
    found: list[Term] = []
    for key, value in list(node.items())[:MAX_TERMS]:
        if not isinstance(key, str) or key in standard or key.startswith("@"):
            continue
        where = f"{path}.{key}"
        if not _is_extension(key, value):
            found.append(Term(key, value, where, key_for(key)))
            continue
        for i, item in enumerate(as_list(value)[:50]):
            at = f"{where}[{i}]" if isinstance(value, list) else where
            inner = [(k, v) for k, v in item.items() if isinstance(k, str) and k not in _META]
            alias = key if len(inner) == 1 else ""
            found += [Term(k, v, f"{at}.{k}", key_for(k), alias) for k, v in inner]
    if not personal:
        return found
    kept, withheld = [], []
    for term in found:
        looks_personal = any(p in squash(term.name) for p in data.PERSONAL)
        mapped = element_for(term.name) or (element_for(term.alias) if term.alias else None)
        (withheld if looks_personal and not mapped else kept).append(term)
    if withheld:
        names = ", ".join(t.path for t in withheld[:20])
        draft.warn(f"not kept, as it may be personal data of the learner: {names}")
    return kept


# --- keeping and mapping -------------------------------------------------------------------


def _plain(value: Any, depth: int = 0) -> Any:
    """The value as a wallet holds it (bounded JSON); raises Unreadable when it cannot be."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unreadable("is not a finite number")
        return value
    if isinstance(value, str):
        return clean_text(value) or ""
    if depth >= 3 or (isinstance(value, dict) and len(value) > 50) or len(value) > 1000:
        text = json.dumps(value, ensure_ascii=False)  # too deep or wide: kept as JSON text
        if len(text) > MAX_TEXT:
            raise Unreadable(f"is too large to keep ({len(text):,} characters of JSON)")
        return text
    if isinstance(value, list):
        return [_plain(v, depth + 1) for v in value]
    return {str(k): _plain(v, depth + 1) for k, v in value.items()}


def keep(draft: Draft, key: str, value: Any, path: str) -> str | None:
    """Keep a raw value under `key` (or `key#2`, … when another value has it); the key used."""
    try:
        plain = _plain(value)
    except Unreadable as exc:
        draft.warn(f"the term at {path} was not kept: it {exc}")
        return None
    if plain in (None, "", [], {}):
        return None
    for candidate in [key] + [f"{key}#{n}" for n in range(2, 10)]:
        if draft.extensions.get(candidate) == plain:
            return candidate
        if candidate in draft.extensions:
            continue  # another value under this name
        if len(draft.extensions) >= MAX_KEPT:
            draft.warn(f"more than {MAX_KEPT} extension terms: the term at {path} was not kept")
            return None
        draft.extensions[candidate] = plain
        return candidate
    draft.warn(f"the term at {path} was not kept: too many other values named {key}")
    return None


def short(value: Any) -> str:
    """A value as a warning or a note shows it."""
    if isinstance(value, Level):
        return f"{value.framework} level {value.level}"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "…"


def offer(draft: Draft, element: str, value: Any, path: str, note: str) -> bool:
    """Set an element from an extension term or an alignment, unless another source already gave
    it: the same value agrees (True); another is named in a warning and not used (False)."""
    if element not in draft.values:
        return draft.set(element, value, "extension", path, note)
    if draft.values[element] == value:
        return True
    draft.warn(
        f"{element}: {path} says {short(value)}; the value {short(draft.values[element])} from "
        f"{draft.provenance[element].source} was kept"
    )
    return False


def apply(draft: Draft, terms: list[Term]) -> None:
    """Keep every term; map the TERMS names whose value reads unambiguously; warn about the
    rest (a value that cannot be read only when no other term or field gives the element)."""
    kept, unread = [], []
    for term in terms[:MAX_TERMS]:
        key = keep(draft, term.key, term.value, term.path)
        found = element_for(term.name) or (element_for(term.alias) if term.alias else None)
        mapped = False
        if term.mappable and found:
            try:
                value, how = READERS[found[1]](term.value)
            except Unreadable as exc:
                unread.append((found[0], term, str(exc)))
            else:
                note = f"extension term {term.name} = {short(term.value)}"
                note += f"; {how}" if how else ""
                mapped = offer(draft, found[0], value, term.path, note)
        if key and not mapped:
            kept.append(f"{key} ({term.path})")
    for element, term, why in unread:
        if element not in draft.values:
            draft.warn(
                f"{element}: {term.name} = {short(term.value)} at {term.path} {why}; not used"
            )
            draft.absent(
                element, term.path, f"extension term {term.name}: {short(term.value)} {why}"
            )
    if kept:
        listed = "; ".join(kept[:30]) + (f"; and {len(kept) - 30} more" if len(kept) > 30 else "")
        draft.warn(
            f"kept for policies to declare: {listed} — in the credential's extensions, not Annex "
            "I elements; a policy reads one by declaring an element of that name or with mappings"
        )
