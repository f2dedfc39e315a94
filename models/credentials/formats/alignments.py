"""Open Badges alignments (3.0 and 2.0): what an alignment can vouch for, and nothing more.

- an ESCO skill URI → `skills`; an alignment naming a skill without an ESCO URI (its targetType
  or targetFramework says skill, competency or ESCO) → `skills` when its targetName is the
  preferred label of exactly one ESCO skill (`esco_labels`), otherwise a warning;
- an EU vocabulary URI → participation form, supervision or assessment type; an EQF URI →
  `eqf_level`;
- an alignment whose targetType, targetFramework or targetName names the EQF → `eqf_level`, the
  level from targetCode or targetName;
- one naming a national qualifications framework (NLQF, SCQF, NFQ, DQR, SeQF, RQF, FHEQ, NZQF,
  AQF, HKQF) → `framework_level`, only with a level that framework has (rules/data/frameworks.yaml);
- one about quality assurance (accreditation, EQAR, DEQAR) → `qa_register_id`, `qa_agency` and,
  when it states an accreditation, `quality_assurance` "external_accreditation".

An alignment's name is never a learning outcome: it names a target, not what the learner learnt.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from engine.inputs import Level
from models.credentials.formats import concepts, esco_labels
from models.credentials.formats import extension_terms as data
from models.credentials.formats.common import as_list, fold, text_of
from models.credentials.formats.extension_readers import quality_code
from models.credentials.formats.extensions import offer
from models.credentials.formats.result import Draft
from rules.scales import built_in

MAX_ALIGNMENTS = 200
Alignment = tuple[dict[str, Any], str]  # (the alignment, its JSON path)
_NAMED = ("targetType", "targetFramework", "targetName")


def alignments(owner: dict[str, Any], path: str) -> list[Alignment]:
    items = as_list(owner.get("alignment"))[:MAX_ALIGNMENTS]
    where = (
        (lambda i: f"{path}.alignment[{i}]")
        if isinstance(owner.get("alignment"), list)
        else (lambda i: f"{path}.alignment")
    )
    return [(a, where(i)) for i, a in enumerate(items) if isinstance(a, dict)]


def tokens(text: str) -> list[str]:
    """Words and numbers, apart: "EQF4" → eqf, 4; "NLQF 4+" → nlqf, 4+; "E3" → e, 3."""
    return re.findall(r"[a-z]+|[0-9]+\+?", fold(text))


@cache
def _phrases(names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(tokens(n)) for n in names)


def _find(words: list[str], names: tuple[str, ...]) -> int | None:
    """The index just after the first of `names` in `words`, or None."""
    for phrase in _phrases(names):
        for i in range(len(words) - len(phrase) + 1):
            if tuple(words[i : i + len(phrase)]) == phrase:
                return i + len(phrase)
    return None


def _level_after(words: list[str], codes: tuple[str, ...]) -> str | None:
    """The level code at the start of `words` ("level 6", "4+", "entry level 3" → E3)."""
    lower = {c.casefold(): c for c in codes}
    level_words = {fold(w) for w in data.LEVEL_WORDS}
    rest = [w for w in words if w not in level_words]
    if not rest:
        return None
    if rest[0] in ("entry", "e"):
        if len(rest) > 1 and f"e{rest[1]}" in lower:
            return lower[f"e{rest[1]}"]
        return lower.get("entry")
    return lower.get(rest[0])


def _text(alignment: dict[str, Any], key: str) -> str:
    return text_of(alignment.get(key)) or ""


def is_skill(alignment: dict[str, Any]) -> bool:
    """Whether the alignment's targetType or targetFramework says it names a skill."""
    words = tokens(f"{_text(alignment, 'targetType')} {_text(alignment, 'targetFramework')}")
    return any(w.startswith(("skill", "competenc", "kompeten")) or w == "esco" for w in words)


def skills_of(found: list[Alignment], language: str | None = None) -> esco_labels.Found:
    """ESCO URIs the alignments name, and the skills they name by targetName only."""
    skills = esco_labels.Found()
    for alignment, where in found:
        url = alignment.get("targetUrl")
        uri = concepts.esco_skill(url) or concepts.esco_skill(alignment.get("targetCode"))
        if uri:
            skills.stated(uri, esco_labels.labels_of(alignment.get("targetName"), language))
        elif is_skill(alignment):
            labels = esco_labels.labels_of(alignment.get("targetName"), language)
            skills.named.append(esco_labels.Named(labels, f"{where}.targetName"))
    return skills


def read(draft: Draft, found: list[Alignment], base: str, language: str | None = None) -> None:
    for alignment, where in found:
        url = alignment.get("targetUrl")
        for element in ("participation_form", "supervision", "assessment_type"):
            term = concepts.term(element, url) if isinstance(url, str) else None
            if term and term[1].startswith("EU vocabulary URI"):
                offer(draft, element, term[0], f"{where}.targetUrl", f"alignment to {url}")
        level = concepts.eqf_level(url) if isinstance(url, str) else None
        if level:
            offer(draft, "eqf_level", level[0], f"{where}.targetUrl", f"alignment to {url}")
        else:
            _eqf(draft, alignment, where)
        _national(draft, alignment, where)
        _quality(draft, alignment, where)
    skills = skills_of(found, language)
    esco_labels.settle(draft, skills, f"{base}[*].targetUrl", "ESCO URIs named by alignments")


def _eqf(draft: Draft, alignment: dict[str, Any], where: str) -> None:
    named = [
        k for k in _NAMED if _find(tokens(_text(alignment, k)), data.EQF_FRAMEWORK) is not None
    ]
    if not named:
        return
    codes = tuple(str(n) for n in range(1, 9))
    name = tokens(_text(alignment, "targetName"))
    after = _find(name, data.EQF_FRAMEWORK)
    code_words = [w for w in tokens(_text(alignment, "targetCode")) if w not in ("eqf", "eqr")]
    candidates = [
        ("targetCode", _level_after(code_words, codes) if len(code_words) <= 2 else None),
        ("targetName", _level_after(name[after:], codes) if after is not None else None),
    ]
    if "targetName" not in named or after is None:  # "Level 4" under an EQF targetType
        candidates.append(("targetName", _level_after(name, codes) if len(name) <= 2 else None))
    for key, code in candidates:
        if code:
            note = f"alignment {_text(alignment, 'targetName')!r} names the EQF ({named[0]})"
            offer(draft, "eqf_level", int(code), f"{where}.{key}", note)
            return
    draft.warn(f"eqf_level: the alignment at {where} names the EQF but no level from 1 to 8")
    draft.absent("eqf_level", where, "an EQF alignment without a level from 1 to 8")


def _national(draft: Draft, alignment: dict[str, Any], where: str) -> None:
    named = []
    for framework_id, names in data.NATIONAL_FRAMEWORKS:
        if any(_find(tokens(_text(alignment, k)), names) is not None for k in _NAMED):
            named.append((framework_id, names))
    if len(named) != 1:
        if named:
            ids = ", ".join(n[0] for n in named)
            draft.warn(
                f"framework_level: the alignment at {where} names several frameworks ({ids})"
            )
        return
    framework_id, names = named[0]
    framework = built_in("frameworks")[framework_id]
    codes = framework.codes()
    code_words = tokens(_text(alignment, "targetCode"))
    at = _find(code_words, names)
    code_words = code_words[at:] if at is not None else code_words
    name = tokens(_text(alignment, "targetName"))
    after = _find(name, names)
    candidates = [
        ("targetCode", _level_after(code_words, codes) if len(code_words) <= 3 else None),
        ("targetName", _level_after(name[after:], codes) if after is not None else None),
    ]
    if after is None:  # "Level 5" under a framework named by targetType or targetFramework
        candidates.append(("targetName", _level_after(name, codes) if len(name) <= 3 else None))
    for key, code in candidates:
        if code:
            note = f"alignment {_text(alignment, 'targetName')!r}: {framework.title}, level {code}"
            offer(draft, "framework_level", Level(framework_id, code), f"{where}.{key}", note)
            return
    stated = _text(alignment, "targetCode") or _text(alignment, "targetName")
    draft.warn(
        f"framework_level: the alignment at {where} names {framework.title} but {stated!r} is "
        f"not one of its levels ({', '.join(codes)})"
    )
    draft.absent("framework_level", where, f"no level of {framework_id} in {stated!r}")


def _quality(draft: Draft, alignment: dict[str, Any], where: str) -> None:
    about = " ".join(_text(alignment, k) for k in ("targetType", "targetFramework"))
    squashed = re.sub(r"[^a-z0-9]", "", fold(about))
    if not any(re.sub(r"[^a-z0-9]", "", n) in squashed for n in data.QUALITY_NAMES):
        return
    name = _text(alignment, "targetName")
    code, url = _text(alignment, "targetCode"), alignment.get("targetUrl")
    if code or isinstance(url, str):
        key = "targetCode" if code else "targetUrl"
        offer(draft, "qa_register_id", code or url, f"{where}.{key}", f"alignment {name!r}")
    agency = _text(alignment, "targetFramework")
    if agency and re.sub(r"[^a-z0-9]", "", fold(agency)) not in data.REGISTER_NAMES:
        offer(draft, "qa_agency", agency, f"{where}.targetFramework", f"alignment {name!r}")
    stated = " ".join(
        _text(alignment, k)
        for k in ("targetType", "targetFramework", "targetName", "targetDescription")
    )
    if quality_code(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stated)) == "external_accreditation":
        note = f"the alignment {name!r} states an accreditation"
        offer(draft, "quality_assurance", "external_accreditation", where, note)
