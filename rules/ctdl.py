"""A policy's stacking targets and recognition rules as CTDL ConditionProfiles (JSON-LD), and the
way back for the parts that map (`credstack policy export --ctdl`).

CTDL (the Credential Transparency Description Language of Credential Engine's Credential
Registry, terms at https://credreg.net/ctdl/terms) describes requirements with
`ceterms:ConditionProfile`: `ceterms:name` and `ceterms:description`, free-text
`ceterms:condition`, `ceterms:creditValue` (a `ceterms:ValueProfile` with `ceterms:value`,
`ceterms:minValue`, `ceterms:maxValue` and `ceterms:creditUnitType`), `ceterms:audienceLevelType`
(here: EQF levels as `ceterms:CredentialAlignmentObject`s), `ceterms:alternativeCondition` (any
one of the nested profiles suffices), `ceterms:subjectWebpage` and `ceterms:dateEffective`.

What maps: ECTS minimums, maximums and exact values (of a credential, or a target's total), credit
in ECTS or US semester hours, EQF levels (as the set of levels a conjunction allows), any-of
groups, and every condition in words. ConditionProfile has no slot, count or id, so a target's
slots, their counts, `min_count`, `builds_on` and the ids travel in `credstack:` terms beside
the CTDL ones. Everything else (tri-state unknowns, tiers' order and credits, dispositions,
decision tables, declared elements and facts, tables, computed values) is only in the words, and
`import_ctdl` does not read it back: see the README.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from rules.lint.walk import atom_words, group_words, number_text
from rules.policy import Atom, Group, Policy

CONTEXT = {"ceterms": "https://purl.org/ctdl/terms/", "credstack": "urn:credstack:terms:"}
CP, VP, CAO = (
    "ceterms:ConditionProfile",
    "ceterms:ValueProfile",
    "ceterms:CredentialAlignmentObject",
)
EQF_SCHEME = "http://data.europa.eu/snb/eqf/25831c2"
EQF_LEVEL = "http://data.europa.eu/snb/eqf/{}"
CREDIT_FRAMEWORK = "https://credreg.net/ctdl/terms/CreditUnit"
# credstack subject → CTDL credit unit (concept scheme creditUnit:)
UNITS = {"ects": "ECTS", "credits@ects": "ECTS", "credits@us_semester_hour": "SemesterHour"}
_BOUND = {"gte": "ceterms:minValue", "lte": "ceterms:maxValue", "eq": "ceterms:value"}
LANG = "en"


def export_ctdl(policy: Policy) -> dict[str, Any]:
    """The JSON-LD document: one ConditionProfile per target and per recognition rule."""
    common: dict[str, Any] = {"ceterms:dateEffective": policy.effective_from.isoformat()}
    if policy.sources:
        common["ceterms:subjectWebpage"] = policy.sources[0].url
    graph = [_target(policy, t, common) for t in policy.targets]
    graph += [_rule(r, common, policy.catalogue) for r in policy.recognition]
    return {
        "@context": CONTEXT,
        "@id": f"_:policy-{policy.id}",
        "credstack:policy": policy.id,
        "credstack:version": policy.version,
        "ceterms:name": {LANG: policy.title},
        "@graph": graph,
    }


def _lang(text: str) -> dict[str, str]:
    return {LANG: text}


def _number(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


def _value(unit: str, key: str, value: Fraction) -> dict[str, Any]:
    return {
        "@type": VP,
        "ceterms:creditUnitType": [
            {"@type": CAO, "ceterms:framework": CREDIT_FRAMEWORK,
             "ceterms:targetNode": f"creditUnit:{unit}", "ceterms:targetNodeName": _lang(unit)}
        ],
        key: _number(value),
    }  # fmt: skip


def _target(policy: Policy, t: Any, common: dict) -> dict[str, Any]:
    c = policy.catalogue
    lines = []
    if t.all_credentials is not None:
        lines.append("Every credential: " + _sentence(t.all_credentials, c))
    if t.max_per_provider is not None:
        lines.append(f"At most {t.max_per_provider} credential(s) from one awarding body.")
    lines += [
        f"At least {float(s.min_share):.0%} of the {'credits' if s.of == 'ects' else 'credentials'}"
        f" {s.title}."
        for s in t.shares
    ]
    for total in t.totals:
        bounds = [
            f"at least {number_text(total.minimum)}" if total.minimum is not None else "",
            f"at most {number_text(total.maximum)}" if total.maximum is not None else "",
        ]
        lines.append(f"{total.title}: {' and '.join(b for b in bounds if b)} ({total.of}).")
    node: dict[str, Any] = {
        "@id": f"_:target-{t.id}",
        "@type": CP,
        "credstack:id": t.id,
        "credstack:kind": "target",
        "ceterms:name": _lang(t.title),
        "ceterms:description": _lang(
            f"Stacking target of '{policy.title}'"
            + (f", leading to {t.awards}" if t.awards else "")
            + ". Meeting it makes the learner eligible to be considered; it awards nothing."
        ),
        **common,
    }
    if t.min_total_ects is not None:
        node["ceterms:creditValue"] = [_value("ECTS", "ceterms:minValue", t.min_total_ects)]
    if t.min_count is not None:
        node["credstack:minCount"] = t.min_count
    if t.builds_on:
        node["credstack:buildsOn"] = list(t.builds_on)
    if lines:
        node["ceterms:condition"] = _lang_list(lines)
    if t.all_credentials is not None:
        node["credstack:allCredentials"] = _profile(t.all_credentials, c)
    node["credstack:slot"] = [
        {
            **_profile(s.when, c),
            "credstack:id": s.id,
            "ceterms:name": _lang(s.title),
            "credstack:minCount": s.min,
            **({"credstack:maxCount": s.max} if s.max is not None else {}),
        }
        for s in t.slots
    ]
    return node


def _rule(r: Any, common: dict, catalogue: Any) -> dict[str, Any]:
    tiers = [
        f"{tier.level} recognition"
        + (f" as {tier.recognised_as}" if tier.recognised_as else "")
        + (f" ({number_text(tier.credits)} ECTS)" if tier.credits is not None else "")
        + " needs: " + ", ".join(a.replace("_", " ") for a in tier.requires) + "."
        for tier in r.tiers
    ]  # fmt: skip
    node: dict[str, Any] = {
        "@id": f"_:rule-{r.id}",
        "@type": CP,
        "credstack:id": r.id,
        "credstack:kind": "recognition",
        "ceterms:name": _lang(r.title),
        "ceterms:description": _lang(" ".join(tiers) + f" Otherwise: {r.otherwise}."),
        **common,
    }
    if r.applies_to is not None:
        node["credstack:appliesTo"] = _profile(r.applies_to, catalogue)
    node["credstack:check"] = [
        {**_profile(group, catalogue), "credstack:aspect": aspect,
         "ceterms:name": _lang(aspect.replace("_", " "))}
        for aspect, group in r.checks
    ]  # fmt: skip
    return node


def _lang_list(lines: list[str]) -> dict[str, list[str]]:
    return {LANG: lines}


def _sentence(group: Group, catalogue: Any) -> str:
    return group_words(group, catalogue) + "."


def _flat(group: Group) -> tuple[list[Atom], list[Group]]:
    atoms: list[Atom] = []
    anys: list[Group] = []
    for item in group.items:
        if isinstance(item, Atom):
            atoms.append(item)
        elif item.kind == "all" or len(item.items) == 1:
            inner = _flat(item)
            atoms += inner[0]
            anys += inner[1]
        else:
            anys.append(item)
    return atoms, anys


def _profile(group: Group, catalogue: Any) -> dict[str, Any]:
    """A condition group as one ConditionProfile: what maps in CTDL terms, everything in words."""
    node: dict[str, Any] = {"@type": CP}
    if group.kind == "any" and len(group.items) > 1:
        if group.label:
            node["ceterms:description"] = _lang(group.label)
        node["ceterms:alternativeCondition"] = [
            _profile(Group("all", (branch,)), catalogue) for branch in group.items
        ]
        return node
    atoms, anys = _flat(group)
    credits: list[dict[str, Any]] = []
    levels: set[int] | None = None
    for atom in atoms:
        unit = UNITS.get(atom.element)
        if unit and atom.op in _BOUND and isinstance(atom.value, Fraction):
            credits.append(_value(unit, _BOUND[atom.op], atom.value))
        allowed = _eqf_levels(atom)
        if allowed is not None:
            levels = allowed if levels is None else levels & allowed
    if credits:
        node["ceterms:creditValue"] = credits
    if levels is not None:
        node["ceterms:audienceLevelType"] = [
            {"@type": CAO, "ceterms:framework": EQF_SCHEME,
             "ceterms:frameworkName": _lang("European Qualifications Framework"),
             "ceterms:targetNode": EQF_LEVEL.format(n), "ceterms:codedNotation": str(n),
             "ceterms:targetNodeName": _lang(f"EQF level {n}")}
            for n in sorted(levels)
        ]  # fmt: skip
    if atoms:
        node["ceterms:condition"] = _lang_list([atom_words(a, catalogue) for a in atoms])
    alternatives = [_profile(g, catalogue) for g in anys]
    if len(alternatives) == 1:
        node.update({k: v for k, v in alternatives[0].items() if k != "@type"})
    elif alternatives:
        node["credstack:allOf"] = alternatives
    return node


def _eqf_levels(atom: Atom) -> set[int] | None:
    if atom.element != "eqf_level" or isinstance(atom.value, bool):
        return None
    everything = set(range(1, 9))
    v = atom.value
    tests = {
        "eq": lambda n: n == v, "ne": lambda n: n != v, "gte": lambda n: n >= v,
        "gt": lambda n: n > v, "lte": lambda n: n <= v, "lt": lambda n: n < v,
        "in": lambda n: n in v, "not_in": lambda n: n not in v,
    }  # fmt: skip
    test = tests.get(atom.op)
    if test is None or not isinstance(v, (int, tuple)):
        return None
    return {n for n in everything if test(n)}


# --- what maps, and the way back -------------------------------------------------------------


def mapped(policy: Policy) -> dict[str, Any]:
    """The parts of a policy that CTDL carries, in the shape `import_ctdl` gives back."""
    return {
        "targets": {
            t.id: {
                "title": t.title,
                "min_total_ects": _n(t.min_total_ects),
                "min_count": t.min_count,
                "builds_on": sorted(t.builds_on),
                "all_credentials": _group_shape(t.all_credentials)
                if t.all_credentials is not None
                else None,
                "slots": {
                    s.id: {
                        "title": s.title,
                        "min": s.min,
                        "max": s.max,
                        "when": _group_shape(s.when),
                    }
                    for s in t.slots
                },
            }  # fmt: skip
            for t in policy.targets
        },
        "recognition": {
            r.id: {
                "title": r.title,
                "applies_to": _group_shape(r.applies_to) if r.applies_to is not None else None,
                "checks": {a: _group_shape(g) for a, g in r.checks},
            }  # fmt: skip
            for r in policy.recognition
        },
    }


def import_ctdl(document: dict[str, Any]) -> dict[str, Any]:
    """The mapped parts of an exported document (see `mapped`); what does not map is left out."""
    out: dict[str, Any] = {"targets": {}, "recognition": {}}
    for node in document.get("@graph", []):
        title = node["ceterms:name"][LANG]
        if node.get("credstack:kind") == "target":
            ects = [v.get("ceterms:minValue") for v in node.get("ceterms:creditValue", [])]
            every = node.get("credstack:allCredentials")
            out["targets"][node["credstack:id"]] = {
                "title": title,
                "min_total_ects": _n(Fraction(str(ects[0]))) if ects else None,
                "min_count": node.get("credstack:minCount"),
                "builds_on": sorted(node.get("credstack:buildsOn", [])),
                "all_credentials": _shape(every) if every is not None else None,
                "slots": {
                    s["credstack:id"]: {"title": s["ceterms:name"][LANG],
                                        "min": s["credstack:minCount"],
                                        "max": s.get("credstack:maxCount"), "when": _shape(s)}
                    for s in node.get("credstack:slot", [])
                },
            }  # fmt: skip
        elif node.get("credstack:kind") == "recognition":
            scope = node.get("credstack:appliesTo")
            out["recognition"][node["credstack:id"]] = {
                "title": title,
                "applies_to": _shape(scope) if scope is not None else None,
                "checks": {
                    c["credstack:aspect"]: _shape(c) for c in node.get("credstack:check", [])
                },
            }  # fmt: skip
    return out


def _group_shape(group: Group) -> dict[str, Any]:
    """`_shape` of a group's profile, worked out from the group itself."""
    if group.kind == "any" and len(group.items) > 1:
        branches = [_group_shape(Group("all", (b,))) for b in group.items]
        return {"credits": [], "eqf_levels": None, "alternatives": sorted(branches, key=_canonical),
                "all_of": []}  # fmt: skip
    atoms, anys = _flat(group)
    credits = sorted(
        [f"creditUnit:{UNITS[a.element]}", _BOUND[a.op].split(":")[1], number_text(a.value)]
        for a in atoms
        if a.element in UNITS and a.op in _BOUND and isinstance(a.value, Fraction)
    )
    levels = None
    for a in atoms:
        allowed = _eqf_levels(a)
        if allowed is not None:
            levels = allowed if levels is None else levels & allowed
    shapes = [_group_shape(g) for g in anys]
    shown = sorted(levels) if levels is not None else None
    if len(shapes) == 1:
        alternatives, all_of = shapes[0]["alternatives"], shapes[0]["all_of"]
    else:
        alternatives, all_of = [], sorted(shapes, key=_canonical)
    return {"credits": credits, "eqf_levels": shown, "alternatives": alternatives,
            "all_of": all_of}  # fmt: skip


def _n(value: Fraction | None) -> str | None:
    return None if value is None else number_text(value)


def _shape(node: dict[str, Any]) -> dict[str, Any]:
    """What a profile says in CTDL terms: credit bounds, EQF levels, alternatives (any order)."""
    credits = sorted(
        [v["ceterms:creditUnitType"][0]["ceterms:targetNode"], key.split(":")[1],
         number_text(Fraction(str(v[key])))]
        for v in node.get("ceterms:creditValue", []) for key in _BOUND.values() if key in v
    )  # fmt: skip
    levels = node.get("ceterms:audienceLevelType")
    nested = [_shape(x) for x in node.get("ceterms:alternativeCondition", [])]
    groups = [_shape(x) for x in node.get("credstack:allOf", [])]
    return {
        "credits": credits,
        "eqf_levels": sorted(int(x["ceterms:codedNotation"]) for x in levels)
        if levels is not None else None,
        "alternatives": sorted(nested, key=_canonical),
        "all_of": sorted(groups, key=_canonical),
    }  # fmt: skip


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
