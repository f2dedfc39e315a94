"""What a policy declares but never uses, and which elements its conditions read that the
credentials on file rarely carry (coverage)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from rules.catalogue import CREDENTIAL
from rules.conditions import group_subjects
from rules.lint.walk import Finding, condition_lists, expr_refs
from rules.policy import Policy, TableTest

# Declarations by the catalogue's `source`, with the document section they are written in.
_SECTIONS = {
    "declared": ("elements", "element"),
    "fact": ("facts", "applicant fact"),
    "computed": ("computed", "computed value"),
    "classification": ("classifications", "classification"),
    "lookup": ("lookups", "lookup"),
}
# An element counts as known on a credential when it, or what the engine infers it from, is there.
_INFERRED_FROM = {
    "ects": ("ects", "workload_hours", "credits"),
    "eqf_level": ("eqf_level", "framework_level"),
}
DEFAULT_THRESHOLD = Fraction(1, 5)


def used_subjects(policy: Policy, document: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Every subject key (and `table:ID`) the policy reads, with the first path reading it."""
    used: dict[str, str] = {}

    def note(key: str, path: str) -> None:
        used.setdefault(key, path)
        if "@" in key:
            used.setdefault(key.split("@", 1)[0], path)

    for path, group in condition_lists(policy, document):
        for key in sorted(group_subjects(group)):
            note(key, path)
    for i, t in enumerate(policy.targets):
        for j, total in enumerate(t.totals):
            note(total.of, f"targets[{i}].totals[{j}].of")
    for c in policy.computed:
        for key in expr_refs(c.expr):
            note(key, f"computed.{c.name}")
    for lookup in policy.lookups:
        test: TableTest = lookup.test
        note(f"table:{test.table}", f"lookups.{lookup.name}")
        for _, key in test.match:
            note(key, f"lookups.{lookup.name}.match")
        if test.on:
            note(test.on, f"lookups.{lookup.name}.on")
    if policy.settings.overlap_element:
        note(policy.settings.overlap_element, "settings.overlap.element")
    return used


def unused(policy: Policy, document: Mapping[str, Any] | None = None) -> list[Finding]:
    """Declared elements, facts, choices, computed values, classifications, lookups and tables
    nothing reads. A declaration an imported vocabulary file brings (not written in `document`)
    is only mentioned (info): organisation files declare more than each policy needs."""
    used = used_subjects(policy, document)
    catalogue = policy.catalogue
    out = []
    subjects = catalogue.subjects.values() if catalogue is not None else ()
    for subject in sorted(subjects, key=lambda s: s.key):
        if subject.source not in _SECTIONS or subject.key in used:
            continue
        section, what = _SECTIONS[subject.source]
        out.append(_unused(document, section, subject.name, what))
    for r in policy.requests:
        for choice in r.choices:
            if f"choice:{choice.name}" not in used:
                path = f"requests.{r.id}.choices.{choice.name}"
                out.append(Finding("warning", path, f"the choice '{choice.name}' is never tested",
                                   "unused-declaration"))  # fmt: skip
    for table in policy.tables:
        if f"table:{table.id}" not in used:
            out.append(_unused(document, "tables", table.id, "table"))
    return out


def _unused(document: Mapping[str, Any] | None, section: str, name: str, what: str) -> Finding:
    written = (document or {}).get(section)
    own = document is None or (isinstance(written, Mapping) and name in written)
    where = "" if own else " (it comes from an imported vocabulary file)"
    return Finding(
        "warning" if own else "info",
        f"{section}.{name}",
        f"the {what} '{name}' is declared but no condition, total or computed value uses it{where}",
        "unused-declaration",
    )


def coverage(
    policy: Policy,
    credentials: Iterable[Mapping[str, Any]],
    threshold: Fraction = DEFAULT_THRESHOLD,
    applicants: Iterable[Mapping[str, Any]] | None = None,
    document: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Elements the policy's conditions read that fewer than `threshold` of `credentials`
    (plain dicts, element → value; declared elements under `extensions` or at the top) carry,
    and likewise applicant facts over `applicants` (fact → value), each with its share. Nothing
    is said without credentials (or applicants) to count. `document` only places the paths."""
    used = used_subjects(policy, document)
    catalogue = policy.catalogue
    elements: dict[str, str] = {}
    facts: dict[str, str] = {}
    for key, path in used.items():
        subject = catalogue.get(key) if catalogue is not None else None
        if subject is None or "@" in key:
            continue
        if subject.scope == CREDENTIAL and subject.source in ("annex", "extended", "declared"):
            elements[subject.name] = path
        elif subject.source == "fact":
            facts[subject.name] = path
    out = _shares(elements, credentials, threshold, "credentials on file", policy)
    if applicants is not None:
        out += _shares(facts, applicants, threshold, "applicants on file", policy, "fact:")
    return out


def _shares(
    names: dict[str, str], records: Iterable[Mapping[str, Any]], threshold: Fraction,
    what: str, policy: Policy, prefix: str = "",
) -> list[Finding]:  # fmt: skip
    known = dict.fromkeys(names, 0)
    total = 0
    for record in records:
        total += 1
        extensions = record.get("extensions") if isinstance(record, Mapping) else None
        for name in names:
            sources = _INFERRED_FROM.get(name, (name,)) if not prefix else (name,)
            if any(_present(record, extensions, s) for s in sources):
                known[name] += 1
    if total == 0:
        return []
    out = []
    for name in sorted(names):
        share = Fraction(known[name], total)
        if share < threshold:
            subject = policy.catalogue.get(prefix + name) if policy.catalogue else None
            shown = f" ({subject.label})" if subject is not None and subject.label != name else ""
            percent = round(float(share) * 100)
            out.append(
                Finding("warning", names[name],
                        f"{name}{shown} is known on {percent} % of {what} ({known[name]} of "
                        f"{total}): conditions on it will mostly be unknown", "coverage")
            )  # fmt: skip
    return out


def _present(record: Mapping[str, Any], extensions: Any, name: str) -> bool:
    value = record.get(name)
    if value is None and isinstance(extensions, Mapping):
        value = extensions.get(name)
    return value is not None and value != ""  # an empty list is known: it holds nothing


def untranslatable(document: Mapping[str, Any] | None) -> list[Finding]:
    """Translations keyed by a text the policy does not contain (a typo, or a title changed
    since it was translated): the page or letter would show the text untranslated."""
    translations = (document or {}).get("translations")
    if not isinstance(translations, Mapping):
        return []
    written = set(_texts({k: v for k, v in document.items() if k != "translations"}))
    out = []
    for language, texts in sorted(translations.items()):
        for text in sorted(texts or {}):
            if text not in written:
                out.append(
                    Finding(
                        "warning",
                        f"translations.{language}",
                        f"the translation of '{text}' is never used: the policy has no such text",
                        "unused-translation",
                    )
                )
    return out


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)
