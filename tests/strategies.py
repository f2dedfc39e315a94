"""Hypothesis strategies: random (valid) policy documents and wallets over small value domains,
so that conditions match, fail and hit unknowns often."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from engine.inputs import Credential, Wallet

SKILLS = tuple(f"http://data.europa.eu/esco/skill/s{i}" for i in range(6))
OUTCOMES = ("Analyse data", "Write SQL", "Explain models", "Present results")
COUNTRIES = ("SE", "FI", "DE", "FR")
ISCED = ("06", "061", "0611", "0613", "0688", "04", "041", "0413")
TITLES = ("Data basics", "Cloud 101", "Statistics")
BODIES = ("uni-a", "uni-b", "vendor-c")
AS_OF = dt.date(2026, 9, 1)
DATES = tuple(dt.date(2019 + i // 2, 2 + 5 * (i % 2), 28 + (i % 2)) for i in range(16))

_VALUES = {
    "ects": st.sampled_from((0.0, 1.5, 2.0, 5.0, 7.5, 10.0)),
    "eqf_level": st.integers(1, 8),
    "issued_on": st.sampled_from(DATES + (AS_OF, dt.date(2027, 1, 1))),
    "issuer_country": st.sampled_from(COUNTRIES),
    "assessment_type": st.sampled_from(("written_exam", "project", "online_quiz", "none")),
    "supervision": st.sampled_from(("none", "supervised_no_id", "supervised_onsite_id")),
    "field_of_study": st.sampled_from(ISCED),
    "skills": st.lists(st.sampled_from(SKILLS), max_size=4, unique=True).map(tuple),
    "learning_outcomes": st.lists(st.sampled_from(OUTCOMES), max_size=3, unique=True).map(tuple),
    "title": st.sampled_from(TITLES),
    "awarding_body": st.sampled_from(BODIES),
}
_OPS = {
    "ects": ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "known"),
    "eqf_level": ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "known"),
    "issued_on": ("gte", "lt", "within_years", "known"),
    "issuer_country": ("eq", "ne", "in", "not_in"),
    "assessment_type": ("eq", "in", "not_in"),
    "supervision": ("eq", "ne", "in"),
    "field_of_study": ("eq", "starts_with", "in"),
    "skills": ("contains", "not_contains", "covers", "known"),
    "learning_outcomes": ("contains", "covers"),
    "title": ("eq", "ne"),
    "awarding_body": ("eq", "in"),
}


def _plain(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


@st.composite
def atoms(draw: st.DrawFn) -> dict:
    element = draw(st.sampled_from(sorted(_OPS)))
    op = draw(st.sampled_from(_OPS[element]))
    atom: dict = {"element": element, "op": op}
    if op == "known":
        return atom
    if op == "within_years":
        atom["value"] = draw(st.integers(1, 6))
    elif op == "starts_with":
        atom["value"] = draw(st.sampled_from(("06", "061", "04", "041", "07")))
    elif op in ("in", "not_in"):
        scalar = _VALUES[element]
        atom["value"] = [_plain(v) for v in draw(st.lists(scalar, min_size=1, max_size=3))]
    elif op in ("contains", "not_contains"):
        pool = SKILLS if element == "skills" else OUTCOMES
        atom["value"] = draw(st.sampled_from(pool))
    elif op == "covers":
        pool = SKILLS if element == "skills" else OUTCOMES
        atom["value"] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
        atom["share"] = draw(st.sampled_from((0.5, 0.6, 1.0)))
    else:
        atom["value"] = _plain(draw(_VALUES[element]))
    return atom


def conditions(depth: int = 2) -> st.SearchStrategy[list]:
    leaf = atoms()
    if depth == 0:
        return st.lists(leaf, min_size=1, max_size=3)
    group = st.one_of(
        st.builds(lambda xs: {"any": xs}, conditions(depth - 1)),
        st.builds(lambda xs: {"all": xs}, conditions(depth - 1)),
    )
    return st.lists(st.one_of(leaf, leaf, group), min_size=1, max_size=3)


@st.composite
def policies(draw: st.DrawFn, max_rules: int = 4, max_targets: int = 2) -> dict:
    rules = []
    for i in range(draw(st.integers(0, max_rules))):
        aspects = draw(
            st.lists(
                st.sampled_from(("level", "workload", "quality")),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        rule = {
            "id": f"r{i}",
            "title": f"Rule {i}",
            "checks": {a: draw(conditions()) for a in aspects},
        }
        if draw(st.booleans()):
            rule["applies_to"] = draw(conditions(0))
        if len(aspects) > 1 and draw(st.booleans()):
            rule["outcomes"] = [
                {"level": "full", "requires": aspects},
                {"level": "partial", "requires": aspects[:1]},
            ]
        rules.append(rule)
    targets = []
    for i in range(draw(st.integers(0 if rules else 1, max_targets))):
        slots = [
            {
                "id": f"s{j}",
                "title": f"Slot {j}",
                "min": draw(st.integers(1, 2)),
                "max": draw(st.sampled_from((None, 2, "any"))),
                "when": draw(conditions(1)),
            }
            for j in range(draw(st.integers(1, 2)))
        ]
        for s in slots:
            if s["max"] is None or (isinstance(s["max"], int) and s["max"] < s["min"]):
                del s["max"]
        target = {"id": f"t{i}", "title": f"Target {i}", "slots": slots}
        if draw(st.booleans()):
            target["min_total_ects"] = draw(st.sampled_from((5, 10, 15)))
        if draw(st.booleans()):
            target["max_per_provider"] = 1
        if draw(st.booleans()):
            target["shares"] = [
                {
                    "title": "at level",
                    "min_share": 0.5,
                    "when": [{"element": "eqf_level", "op": "gte", "value": 6}],
                }
            ]
        targets.append(target)
    doc = {
        "id": "generated",
        "title": "Generated",
        "organisation": "Test",
        "purpose": "credit",
        "version": "1",
        "effective_from": "2020-01-01",
        "recognition": rules,
        "targets": targets,
    }
    if draw(st.booleans()):
        doc["exclusions"] = [
            {
                "id": "x",
                "reason": "already used",
                "when": [{"element": "title", "op": "eq", "value": "Statistics"}],
            }
        ]
    return doc


@st.composite
def credentials(draw: st.DrawFn, index: int) -> Credential:
    names = draw(st.lists(st.sampled_from(sorted(_VALUES)), unique=True, max_size=len(_VALUES)))
    values = {n: draw(_VALUES[n]) for n in names}
    return Credential.of(f"c{index:02d}", values)


@st.composite
def wallets(draw: st.DrawFn, max_size: int = 6) -> Wallet:
    n = draw(st.integers(0, max_size))
    return Wallet("learner", tuple(draw(credentials(i)) for i in range(n)))
