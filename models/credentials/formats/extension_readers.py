"""Readers of extension terms: a raw JSON value → (element value, how it was read), or
`Unreadable` saying why not. A value is read only when it names one value unambiguously: "onsite
or blended" is no form of participation, "supervised online" no single kind of supervision.
"""

from __future__ import annotations

import math
import re
from typing import Any

from models.credentials.formats import concepts
from models.credentials.formats import extension_terms as data
from models.credentials.formats.common import (
    as_list,
    describe_calendar,
    fold,
    parse_duration,
    text_of,
    texts_of,
)
from models.credentials.terms import match_term


class Unreadable(ValueError):
    """A raw value its reader cannot turn into one element value; the message says why."""


def _number(raw: Any, units: tuple[str, ...], what: str) -> float:
    if isinstance(raw, bool):
        raise Unreadable(f"is true/false, not {what}")
    if isinstance(raw, (int, float)) and math.isfinite(raw):
        return float(raw)
    if isinstance(raw, str):
        m = re.fullmatch(r"(\d{1,9}(?:[.,]\d{1,6})?)\s*([a-z. ]*)", fold(raw))
        if m and (not m.group(2).strip() or m.group(2).strip(" .") in units):
            return float(m.group(1).replace(",", "."))
    raise Unreadable(f"is not {what}")


def read_ects(raw: Any) -> tuple[float, str]:
    return _number(raw, data.ECTS_UNITS, "a number of ECTS credits"), ""


def read_hours(raw: Any) -> tuple[float, str]:
    duration = parse_duration(raw)
    if duration and duration[0] is not None:
        return duration[0], f"ISO 8601 duration {raw}"
    if duration:
        raise Unreadable(f"is {describe_calendar(duration[1])}, not learning hours")
    return _number(raw, data.HOUR_UNITS, "a number of hours"), "read as hours"


def read_eqf(raw: Any) -> tuple[int, str]:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw in range(1, 9):
        return int(raw), ""
    if isinstance(raw, dict):
        found = concepts.eqf_level(raw)
        if found:
            return found[0], found[1]
        raw = concepts.label(raw) or ""
    if isinstance(raw, str):
        found = concepts.eqf_level(raw.strip())  # an EQF vocabulary URI
        level = found[0] if found else concepts.eqf_from_label(raw, in_scheme=True)
        if level:
            return level, ""
    raise Unreadable("is not an EQF level from 1 to 8")


def _vocabulary(vocabulary: str, raw: Any, what: str) -> tuple[str, str]:
    items = as_list(raw)
    if len(items) != 1:
        raise Unreadable(f"names {len(items)} values, not one {what}")
    item = items[0]
    if isinstance(item, dict):
        found = concepts.term(vocabulary, item)
        if found:
            return found[0], found[1]
        item = concepts.label(item) or ""
    if isinstance(item, str) and item.strip():
        found = match_term(vocabulary, item) or match_term(vocabulary, fold(item))
        if found:
            return found[0], ""
    raise Unreadable(f"names no single {what}")


def read_participation(raw: Any) -> tuple[str, str]:
    return _vocabulary("participation_form", raw, "form of participation (online, onsite, blended)")


def read_assessment(raw: Any) -> tuple[str, str]:
    return _vocabulary("assessment_type", raw, "type of assessment credstack knows")


def supervision_code(text: str) -> str | None:
    """The one supervision code a free text's facts allow ("onsite with identity verification"
    → supervised_onsite_id), or None when it allows none or several ("supervised online")."""
    rest = " " + re.sub(r"[^a-z0-9]+", " ", fold(text)) + " "
    if " or " in rest:
        return None
    facts: dict[str, Any] = {}
    for phrase, fact, value in sorted(data.SUPERVISION_PHRASES, key=lambda p: -len(p[0])):
        if f" {phrase} " in rest:
            if facts.get(fact, value) != value:
                return None
            facts[fact] = value
            rest = rest.replace(f" {phrase} ", " ")
    if not facts:
        return None
    codes = [
        code
        for code, supervised, place, verified in data.SUPERVISION_CODES
        if facts.get("supervised", supervised) == supervised
        and facts.get("id", verified) == verified
        and (place is None or facts.get("place", place) == place)
    ]
    return codes[0] if len(codes) == 1 else None


def _code_or_text(
    element: str, raw: Any, what: str, from_text: Any, said: str, refused: str
) -> tuple[str, str]:
    """A vocabulary value, or else the one code a free text allows (`said` names it)."""
    try:
        return _vocabulary(element, raw, what)
    except Unreadable:
        pass
    code = from_text(raw) if isinstance(raw, str) else None
    if code:
        return code, said.format(code=code)
    raise Unreadable(refused)


def read_supervision(raw: Any) -> tuple[str, str]:
    return _code_or_text(
        "supervision", raw, "supervision", supervision_code,
        "the only supervision code the text allows is {code}",
        "does not name one kind of supervision and identity verification",
    )  # fmt: skip


def quality_code(text: str) -> str | None:
    """The one quality assurance code a free text states ("accredited by …"), else None."""
    folded = " " + re.sub(r"[^a-z0-9]+", " ", fold(text))
    codes = set()
    for stem, code in data.QUALITY_STEMS:
        at = folded.find(stem if " " in stem else f" {stem}")
        if at < 0:
            continue
        before = folded[:at].split()[-1:]
        if before and before[0] in ("not", "non", "no", "un", "niet", "nicht", "without"):
            return None
        codes.add(code)
    return codes.pop() if len(codes) == 1 else None


def read_quality(raw: Any) -> tuple[str, str]:
    return _code_or_text(
        "quality_assurance", raw, "type of quality assurance", quality_code,
        "the text states {code} only", "does not name one type of quality assurance",
    )  # fmt: skip


def read_outcomes(raw: Any) -> tuple[tuple[str, ...], str]:
    texts: list[str] = []
    for item in as_list(raw)[:1000]:
        if isinstance(item, dict):
            text = text_of(item.get("title")) or text_of(item.get("description"))
            found = [text] if text else texts_of(item)
        else:
            found = texts_of(item)
        texts += [t for t in found if t not in texts]
    if not texts:
        raise Unreadable("has no learning outcome statement as text")
    return tuple(texts), "explicit learning outcome statements"


READERS = {
    "ects": read_ects,
    "hours": read_hours,
    "eqf": read_eqf,
    "participation_form": read_participation,
    "assessment_type": read_assessment,
    "supervision": read_supervision,
    "quality_assurance": read_quality,
    "outcomes": read_outcomes,
}
