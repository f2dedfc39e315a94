"""EU vocabulary concepts (SKOS, as ELM writes them) → credstack codes: by URI first, then by
scheme + label/notation when the concept's id is local (`urn:epass:*`). Labels are read in every
language the concept gives (English first) and compared without case, accents or extra spacing.

Each matcher returns (value, note) or None; the note says how the concept was recognised, so the
provenance shows whether the URI or only a label vouched for it.
"""

from __future__ import annotations

import re
from typing import Any

from models.credentials.formats.common import as_list, fold, is_local_id, texts_of
from models.credentials.terms import match_country, match_term

SNB = "http://data.europa.eu/snb/"
EQF_URI = re.compile(r"https?://data\.europa\.eu/snb/eqf/([1-8])")
ISCED_URI = re.compile(r"https?://data\.europa\.eu/snb/isced-f/([0-9]{2,4})")
ESCO_SKILL = re.compile(r"https?://data\.europa\.eu/esco/(skill|knowledge|competence)/\S+")
ECTS_URI = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
ECTS_LABELS = {
    "european credit transfer system",
    "ects",
    "european credit transfer and accumulation system",
}

Match = tuple[Any, str]  # (value, note)
Term = tuple[Any, str, str]  # (value, note, provenance kind)


def concept_parts(node: Any) -> tuple[str, str, list[str]]:
    """(id, scheme id, labels and notations) of a concept written as an object or a bare URI."""
    if isinstance(node, str):
        return node, "", []
    if not isinstance(node, dict):
        return "", "", []
    cid = node.get("id", node.get("@id", ""))
    scheme = node.get("inScheme")
    scheme_id = ""
    for item in as_list(scheme)[:5]:
        candidate = item.get("id", "") if isinstance(item, dict) else item
        if isinstance(candidate, str) and candidate:
            scheme_id = candidate
            break
    labels = []
    for key in ("prefLabel", "notation", "altLabel"):
        for value in as_list(node.get(key))[:10]:
            labels += [t for t in texts_of(value) if t not in labels]
    return (cid if isinstance(cid, str) else ""), scheme_id, labels[:60]


def _by_label(labels: list[str], match: Any) -> Match | None:
    for label in labels:
        found = match(label)
        if found is None and fold(label) != label:
            found = match(fold(label))
        if found is not None:
            return found, f"matched by label {label!r}"
    return None


# The EQF's abbreviation in EU languages: EQR (de), CEC (fr), MEC (es), QEQ (pt, it), EKR (sk, et),
# ERK (pl), EKS (lt), EKI (lv), EKO (hr), EOK (sl), EKK (nl), EKKR (hu).
EQF_NAMES = (
    "eqf",
    "eqr",
    "cec",
    "mec",
    "qeq",
    "ekr",
    "erk",
    "eks",
    "eki",
    "eko",
    "eok",
    "ekk",
    "ekkr",
)


def eqf_from_label(label: str, in_scheme: bool) -> int | None:
    """The level a label names: within the EQF scheme any label with one number 1-8 ("Level 6",
    "Niveau 6", "Stufe 6"); outside it, only a label that also says EQF (in any EU language)."""
    text = fold(label)
    numbers = re.findall(r"\d+", text)
    if len(numbers) != 1 or not 1 <= int(numbers[0]) <= 8:
        return None
    if in_scheme:
        return int(numbers[0])
    tokens = re.findall(r"[a-z]+", text)
    named = [t for t in tokens if t in EQF_NAMES]
    return int(numbers[0]) if named and len(tokens) - len(named) <= 3 else None


def eqf_level(node: Any) -> Term | None:
    """By URI; for a local id, by the EQF scheme + label ("vocabulary"), or by a label that says
    "EQF" without the scheme ("native", as a label match is in the native intake)."""
    cid, scheme, labels = concept_parts(node)
    m = EQF_URI.fullmatch(cid)
    if m:
        return int(m.group(1)), f"EQF vocabulary URI {cid}", "vocabulary"
    in_scheme = "/snb/eqf/" in scheme
    if is_local_id(cid):
        for label in labels:
            level = eqf_from_label(label, in_scheme)
            if level:
                note = f"local id {cid}; scheme {scheme or '(none)'} + label {label!r}"
                return level, note, "vocabulary" if in_scheme else "native"
    return None


def term(vocabulary: str, node: Any) -> Term | None:
    """A concept of one of credstack's controlled vocabularies (participation, supervision…): by
    URI ("vocabulary"); else by label — "vocabulary" within an EU scheme, "native" otherwise."""
    cid, scheme, labels = concept_parts(node)
    found = match_term(vocabulary, cid) if cid else None
    if found and found[1] == "uri":
        return found[0], f"EU vocabulary URI {cid}", "vocabulary"
    by_label = _by_label(labels, lambda x: (match_term(vocabulary, x) or (None,))[0])
    if by_label:
        where = "local id " + cid if is_local_id(cid) else f"{cid} (not a URI credstack knows)"
        scheme_note = f" in scheme {scheme}" if scheme else ""
        kind = "vocabulary" if scheme.startswith(SNB) else "native"
        return by_label[0], f"{where}{scheme_note}; {by_label[1]}", kind
    return None


def country(node: Any) -> Match | None:
    cid, _, labels = concept_parts(node)
    found = match_country(cid) if cid else None
    if found:
        return found[0], f"country URI {cid}" if found[1] == "uri" else f"country code {cid}"
    return None


def isced(node: Any) -> Match | None:
    cid, _, labels = concept_parts(node)
    m = ISCED_URI.fullmatch(cid)
    if m:
        return m.group(1), f"ISCED-F vocabulary URI {cid}"
    return None


def is_ects(node: Any) -> str | None:
    """How a credit framework concept was recognised as ECTS, or None."""
    cid, scheme, labels = concept_parts(node)
    if cid == ECTS_URI:
        return f"ECTS framework URI {cid}"
    if (is_local_id(cid) or not cid) and any(fold(x) in ECTS_LABELS for x in labels):
        return f"local framework {cid or '(no id)'} labelled {labels[0]!r}"
    return None


def esco_skill(node: Any) -> str | None:
    cid, _, _ = concept_parts(node)
    return cid if ESCO_SKILL.fullmatch(cid) else None


def label(node: Any) -> str | None:
    _, _, labels = concept_parts(node)
    return labels[0] if labels else None
