"""Hypothesis strategies for policy language 2: one fixed set of declarations (elements, facts,
a table, a computed value, a classification, requests) and random conditions over all of them,
so that every new construct meets the engine, matched, failed and unknown."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from types import MappingProxyType

from hypothesis import strategies as st

from engine.inputs import Credential, Credits, Grade, Level, Request, RequestItem, Wallet

AS_OF = dt.date(2026, 9, 1)
TRACKS = ("verified", "audit")
STEPS = ("none", "basic", "substantial", "high")
THEMES = ("data", "ai", "cloud")
PROVIDERS = ("Acme", "Open Uni", "Vendor C")
TITLES = ("Diploma in Data", "Data basics", "New Zealand cloud", "AI badge")

DECLARATIONS = {
    "elements": {
        "track": {"type": "code", "values": list(TRACKS)},
        "step": {"type": "ordinal", "values": list(STEPS)},
        "themes": {"type": "list", "of": "code", "values": list(THEMES)},
        "badge": {"type": "code", "values": ["edubadge", "other"], "if_absent": "not_met"},
        "hours": {"type": "decimal"},
    },
    "facts": {
        "score": {"type": "decimal"},
        "start": {"type": "date"},
        "docs": {"type": "list", "of": "code", "values": ["cv", "transcript"]},
        "native": {"type": "boolean"},
    },
    "tables": {
        "providers": {
            "title": "Approved providers",
            "version": "1",
            "columns": {"name": "text", "status": {"type": "code", "values": ["ok", "no"]},
                        "from": "date", "to": "date"},  # fmt: skip
            "key": ["name"],
            "valid": {"from": "from", "to": "to"},
            "rows": [["Acme", "ok", "2020-01-01", "2024-12-31"], ["Acme", "no", "2025-01-01", None],
                     ["Open Uni", "ok", None, None]],  # fmt: skip
        }
    },
    "computed": {"hours_x2": {"value": {"product": [{"element": "credits", "system": "ects"}, {"range": [25, 30]}]}}},
    "classifications": {
        "quality": {
            "classes": ["strong", "weak"],
            "rows": [{"class": "strong", "when": [{"element": "step", "op": "gte", "value": "substantial"}]}],
            "default": "weak",
        }
    },
}  # fmt: skip

DISPOSITIONS = {
    "yes": {"label": "Yes", "favourable": True},
    "maybe": {"label": "Maybe", "favourable": True},
    "no": {"label": "No", "favourable": False},
}
DATES = tuple(dt.date(2019 + i, 3 + 4 * (i % 2), 1) for i in range(8)) + (AS_OF,)


@st.composite
def atoms(draw: st.DrawFn) -> dict:
    kind = draw(st.integers(0, 17))
    if kind == 0:
        return {
            "element": "track",
            "op": draw(st.sampled_from(("eq", "ne"))),
            "value": draw(st.sampled_from(TRACKS)),
        }
    if kind == 1:
        return {"element": "step", "op": draw(st.sampled_from(("gte", "lt", "eq", "in"))),
                "value": draw(st.sampled_from(STEPS))}  # fmt: skip
    if kind == 2:
        return {
            "element": "themes",
            "op": draw(st.sampled_from(("contains", "not_contains"))),
            "value": draw(st.sampled_from(THEMES)),
        }
    if kind == 3:
        if draw(st.booleans()):
            return {"element": "badge", "op": "known"}
        return {"element": "badge", "op": "eq", "value": "edubadge"}
    if kind == 4:
        return {"element": "ects", "op": draw(st.sampled_from(("gte", "lt", "eq", "ne", "in", "not_in"))),
                **_number_value(draw, (2, 3, 5, 7.5, 10))}  # fmt: skip
    if kind == 5:
        return {"element": "credits", "system": draw(st.sampled_from(("nz_credit", "uk_cats", "us_semester_hour"))),
                "op": draw(st.sampled_from(("gte", "lte", "gt"))), "value": draw(st.sampled_from((5, 10, 15, 30)))}  # fmt: skip
    if kind == 6:
        return {
            "element": "eqf_level",
            "op": draw(st.sampled_from(("gte", "lt"))),
            "value": draw(st.integers(4, 7)),
        }
    if kind == 7:
        return {"element": "framework_level", "framework": "scqf", "op": draw(st.sampled_from(("gte", "eq"))),
                "value": draw(st.sampled_from(("7", "9", "11")))}  # fmt: skip
    if kind == 8:
        if draw(st.booleans()):
            return {"element": "grade", "scheme": "ects_grade", "op": "gte", "value": "C"}
        return {"element": "grade", "scheme": "percent", "op": "gte", "value": 60}
    if kind == 9:
        return {"element": "title", "op": draw(st.sampled_from(("has_words", "lacks_words"))),
                "value": draw(st.sampled_from(("Diploma", "new zealand", ["badge", "data"])))}  # fmt: skip
    if kind == 10:
        return {
            "fact": "score",
            "op": draw(st.sampled_from(("gte", "lt"))),
            "value": draw(st.sampled_from((6.5, 7, 90))),
        }
    if kind == 11:
        return {
            "element": "issued_on",
            "op": draw(st.sampled_from(("lte", "gte"))),
            "value": {"fact": "start"},
        }
    if kind == 12:
        return {
            "element": "issued_on",
            "op": "within_years",
            "value": draw(st.integers(1, 4)),
            "of": {"fact": "start"},
        }
    if kind == 13:
        test = {
            "table": "providers",
            "match": {"name": "awarding_body"},
            "where": [{"column": "status", "op": "eq", "value": "ok"}],
        }
        if draw(st.booleans()):
            test["on"] = "issued_on"
        if draw(st.booleans()):
            test["op"] = "no_match"
        return test
    if kind == 14:
        return {
            "element": "hours_x2",
            "op": draw(st.sampled_from(("gte", "lt"))),
            "value": draw(st.sampled_from((100, 150, 250))),
        }
    if kind == 15:
        return {
            "element": "quality",
            "op": "eq",
            "value": draw(st.sampled_from(("strong", "weak"))),
        }
    if kind == 16:
        return {"fact": "docs", "op": draw(st.sampled_from(("contains", "covers"))),
                "value": "cv" if draw(st.booleans()) else ["cv", "transcript"]}  # fmt: skip
    return {"fact": "native", "op": "eq", "value": draw(st.booleans())}


def _number_value(draw: st.DrawFn, pool: tuple) -> dict:
    return {"value": draw(st.sampled_from(pool))}


def _fix(atom: dict) -> dict:
    """Make a drawn atom well formed (list operators take lists; covers takes a list)."""
    if atom.get("op") in ("in", "not_in") and not isinstance(atom.get("value"), list):
        atom["value"] = [atom["value"]]
    if atom.get("op") == "contains" and isinstance(atom.get("value"), list):
        atom["value"] = atom["value"][0]
    if atom.get("op") == "covers" and not isinstance(atom.get("value"), list):
        atom["value"] = [atom["value"]]
    return atom


def conditions(depth: int = 1) -> st.SearchStrategy[list]:
    leaf = atoms().map(_fix)
    if depth == 0:
        return st.lists(leaf, min_size=1, max_size=3)
    group = st.one_of(
        st.builds(lambda xs: {"any": xs}, conditions(depth - 1)),
        st.builds(lambda xs: {"all": xs}, conditions(depth - 1)),
    )
    return st.lists(st.one_of(leaf, leaf, group), min_size=1, max_size=3)


def _application_only(atom: dict) -> bool:
    return "fact" in atom and not isinstance(atom.get("value"), dict)


@st.composite
def policies(draw: st.DrawFn) -> dict:
    criteria = []
    for i in range(draw(st.integers(1, 3))):
        about = draw(st.sampled_from(("each_credential", "any_credential", "application")))
        when = draw(conditions())
        if about == "application":
            when = [a for a in _flat(when) if _application_only(a)] or [
                {"fact": "native", "op": "eq", "value": True}
            ]
        criteria.append({"id": f"k{i}", "title": f"Criterion {i}", "about": about, "when": when})
    targets = [{
        "id": "t0", "title": "Target",
        "slots": [{"id": "s", "title": "S", "min": 1, "max": 2, "when": draw(conditions(0))}],
        "totals": [{"title": "UK credit", "of": {"element": "credits", "system": "uk_cats"}, "min": draw(st.sampled_from((10, 20, 40)))}],
    }]  # fmt: skip
    ids = [c["id"] for c in criteria] + ["t0"]
    rows = []
    for j in range(draw(st.integers(1, 3))):
        picks = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
        when = [
            {
                ("target" if x == "t0" else "criterion"): x,
                "status": draw(st.sampled_from(("met", "not_met"))),
            }
            for x in picks
        ]
        if draw(st.booleans()):
            when.append({"fact": "score", "op": "gte", "value": 7})
        rows.append(
            {"id": f"row{j}", "when": when, "disposition": draw(st.sampled_from(("yes", "maybe")))}
        )
    rows = _reachable(rows)
    doc = {
        "id": "generated2", "title": "Generated", "organisation": "Test", "purpose": "admission",
        "version": "1", "effective_from": "2020-01-01", **DECLARATIONS,
        "criteria": criteria, "targets": targets,
        "dispositions": {code: DISPOSITIONS[code] for code in DISPOSITIONS
                         if code == "no" or any(r["disposition"] == code for r in rows)},
        "requests": {"ask": {"title": "Ask", "considers": ids,
                             "decision": {"hit": draw(st.sampled_from(("first", "priority"))), "rows": rows, "otherwise": "no"}}},
    }  # fmt: skip
    return doc


def _reachable(rows: list[dict]) -> list[dict]:
    """Rows the loader accepts: none shadowed by an earlier one, none contradicting itself."""
    kept: list[dict] = []
    for row in rows:
        atoms = [json.dumps(a, sort_keys=True) for a in row["when"]]
        statuses: dict[str, str] = {}
        clash = False
        for a in row["when"]:
            key = a.get("criterion") or a.get("target")
            if key and statuses.setdefault(key, a["status"]) != a["status"]:
                clash = True
        shadowed = any(
            {json.dumps(a, sort_keys=True) for a in k["when"]} <= set(atoms) for k in kept
        )
        if not clash and not shadowed:
            kept.append(row)
    return kept


def _flat(conds: list) -> list:
    out = []
    for c in conds:
        out += _flat(c.get("any") or c.get("all")) if ("any" in c or "all" in c) else [c]
    return out


_VALUES = {
    "title": st.sampled_from(TITLES),
    "awarding_body": st.sampled_from(PROVIDERS),
    "issued_on": st.sampled_from(DATES),
    "ects": st.sampled_from((2.0, 3.0, 5.0, 7.5)),
    "workload_hours": st.sampled_from((60.0, 100.0, 150.0)),
    "credits": st.builds(Credits, st.sampled_from(("nz_credit", "uk_cats", "us_semester_hour")), st.sampled_from((Fraction(5), Fraction(15), Fraction(20)))),
    "framework_level": st.builds(Level, st.sampled_from(("scqf", "nzqf")), st.sampled_from(("7", "9", "11"))),
    "eqf_level": st.integers(4, 7),
    "grade": st.one_of(st.builds(Grade, st.just("percent"), st.sampled_from((Fraction(55), Fraction(60), Fraction(80)))),
                       st.builds(Grade, st.just("ects_grade"), st.sampled_from(("A", "C", "E"))), st.just("good")),
}  # fmt: skip
_EXTENSIONS = {
    "track": st.sampled_from(TRACKS),
    "step": st.sampled_from(STEPS),
    "themes": st.lists(st.sampled_from(THEMES), max_size=2, unique=True),
    "badge": st.sampled_from(("edubadge", "other")),
}
_FACTS = {
    "score": st.sampled_from((6, 6.5, 7, 95)),
    "start": st.sampled_from(DATES),
    "docs": st.lists(st.sampled_from(("cv", "transcript")), max_size=2, unique=True),
    "native": st.booleans(),
}


# A credential states its workload one way and its level one way: values derived from another
# (ECTS from credits, the EQF level from a framework level) must not contradict stated ones, or
# "more information never changes a decided answer" could not hold.
_ONE_OF = ({"ects", "workload_hours", "credits"}, {"eqf_level", "framework_level"})


@st.composite
def credentials(draw: st.DrawFn, index: int) -> Credential:
    names = draw(st.lists(st.sampled_from(sorted(_VALUES)), unique=True))
    for group in _ONE_OF:
        names = [
            n for n in names if n not in group or n == next((x for x in names if x in group), None)
        ]
    ext = draw(st.lists(st.sampled_from(sorted(_EXTENSIONS)), unique=True))
    return Credential.of(
        f"c{index:02d}",
        {n: draw(_VALUES[n]) for n in names},
        extensions={n: draw(_EXTENSIONS[n]) for n in ext},
    )


@st.composite
def applicants(draw: st.DrawFn) -> dict:
    names = draw(st.lists(st.sampled_from(sorted(_FACTS)), unique=True))
    return {n: draw(_FACTS[n]) for n in names}


@st.composite
def wallets(draw: st.DrawFn, max_size: int = 4, request: bool = True) -> Wallet:
    n = draw(st.integers(0, max_size))
    creds = tuple(draw(credentials(i)) for i in range(n))
    items = (RequestItem("r1", "ask"),) if request else ()
    return Wallet(
        "learner", creds, MappingProxyType(draw(applicants())), Request(items) if items else None
    )
