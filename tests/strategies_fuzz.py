"""Generators for fuzzing the engine, fast enough for 10,000 evaluations in a test run: each takes
a seeded `random.Random` (hypothesis draws the seed, see tests/test_engine_fuzz.py).

Wallets are documents, read by the intake as an upload would be: numbers at the ends of every
documented range (zero, the smallest float, many decimals, 10,000 ECTS, ±10¹¹) and text that is
long or odd (10,000 characters, right-to-left, combining marks, quotes and backslashes, emoji);
one wallet in five also carries a value past a range (10,000.0001 ECTS, 1e16, 1e308, NaN, NUL, a
lone surrogate), which the intake or the evaluation must refuse with its path. Stress policies
have the shapes durable-rules crashed or hung on: many alternatives of one element that can all
hold, many rules on one element, all-of-anys, long value lists, constants at the ends of each
range, and derived numbers (conversions, products) that can leave the range the engine compares.
"""

from __future__ import annotations

import random
from typing import Any

from tests import strategies as v1
from tests import strategies_v2 as v2

_MANY_PLACES = (7.123456789012345, 0.1 + 0.2, 1 / 3, 2.5e-7, 9999.99999999)
VALID = {
    "ects": (0, 0.0, 5e-324, 1e-05, 0.0001, 0.00015, 1.5, 2, 5, 7.5, 10, 9999.9999, 10000)
    + _MANY_PLACES,
    "workload_hours": (0, 5e-324, 1e-05, 60, 100, 150, 299999.9999, 300000) + _MANY_PLACES,
    "credit": (0, 5e-324, 0.5, 5, 15, 20, 1000000, 999999.99999) + _MANY_PLACES,
    "grade": (0, 55, 60, 80, 100, -1000000, 1000000, 5e-324, 59.99999),
    "decimal": (0, 5e-324, -1e-05, 6.5, 7, 95, 1e11, -1e11, 99999999999.9999) + _MANY_PLACES,
    "integer": (0, 3, -(10**11), 10**11),
}
PAST = {
    "ects": (10000.0001, 1e16, 1e308, float("nan"), float("inf"), -1, 10**20),
    "workload_hours": (300000.5, 1e16, float("-inf")),
    "credit": (1000000.5, 1e10, -1),
    "grade": (1e16, 1000000.5),
    "decimal": (1e11 + 1, 1e16, 1e308, "999999999999", "1e400"),
    "integer": (10**11 + 1, 10**20),
}
TEXT = (
    "x" * 10_000, "\u202eatad\u202c", "שלום עולם", "مرحبا", "e\u0301cole", "😀 emoji",
    'quote " and \\ backslash', "tab\tnew\nline", " padded ", "Ａ全角", "zero\u200bwidth", "é",
)  # fmt: skip
PAST_TEXT = ("a\x00b", "\ud800", "x" * 10_001)
# Text a policy may compare with (policies refuse control and direction characters).
POLICY_TEXT = ("Data basics", "שלום עולם", "e\u0301cole", 'quote " and \\ backslash', "é")
SYSTEMS = ("ects", "nz_credit", "uk_cats", "us_semester_hour", "huge")
TITLES = v1.TITLES + v2.TITLES + POLICY_TEXT


def _number(rng: random.Random, kind: str) -> Any:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(VALID[kind])
    if kind == "integer":
        return rng.randint(-(10**11), 10**11)
    top = {"ects": 10_000, "workload_hours": 300_000, "credit": 1_000_000}.get(kind, 100)
    return round(rng.uniform(0, top), rng.randint(0, 12))


def credential_doc(rng: random.Random, index: int) -> dict:
    """A credential with values from the v1 and v2 strategies' pools and the ends of each range."""
    doc: dict = {"id": f"c{index:02d}", "title": rng.choice(TITLES + TEXT)}
    pools = {
        "ects": lambda: _number(rng, "ects"),
        "workload_hours": lambda: _number(rng, "workload_hours"),
        "eqf_level": lambda: rng.randint(1, 8),
        "credits": lambda: {"system": rng.choice(SYSTEMS), "value": _number(rng, "credit")},
        "grade": lambda: rng.choice(
            [
                {"scheme": "percent", "value": _number(rng, "grade")},
                {"scheme": "points", "value": 5, "max": rng.choice((10, 5e-324, 1000000))},
                {"scheme": "ects_grade", "value": rng.choice("ACEZ")},
                rng.choice(TEXT),
            ]
        ),
        "issued_on": lambda: rng.choice(v1.DATES + v2.DATES).isoformat(),
        "issuer_country": lambda: rng.choice(v1.COUNTRIES),
        "awarding_body": lambda: rng.choice(v1.BODIES + v2.PROVIDERS + TEXT),
        "field_of_study": lambda: rng.choice(v1.ISCED),
        "skills": lambda: rng.sample(v1.SKILLS, rng.randint(0, 4)),
        "learning_outcomes": lambda: rng.sample(v1.OUTCOMES + TEXT, rng.randint(1, 3)),
        "assessment_type": lambda: rng.choice(("written_exam", "project", "online_quiz", "none")),
        "supervision": lambda: rng.choice(("none", "supervised_no_id", "supervised_onsite_id")),
        "framework_level": lambda: {"framework": "scqf", "level": rng.choice(("7", "9", "11"))},
        "extensions": lambda: {
            "hours": _number(rng, "decimal"),  # a decimal of strategies_v2's declarations
            "hours2": _number(rng, "decimal"),
            "count": _number(rng, "integer"),
            "note": rng.choice(POLICY_TEXT + TEXT),
            "track": rng.choice(v2.TRACKS),
            "step": rng.choice(v2.STEPS),
        },
    }
    for name in rng.sample(sorted(pools), rng.randint(0, len(pools))):
        doc[name] = pools[name]()
    return doc


def wallet_doc(rng: random.Random) -> dict:
    """A wallet document; one in five has a value past its range somewhere."""
    credentials = [credential_doc(rng, i) for i in range(rng.randint(0, 4))]
    doc: dict = {"credentials": credentials}
    if rng.random() < 0.6:
        facts = {
            "score": _number(rng, "decimal"),
            "years": _number(rng, "integer"),
            "native": rng.random() < 0.5,
            "start": rng.choice(v2.DATES).isoformat(),
        }
        doc["applicant"] = dict(rng.sample(sorted(facts.items()), rng.randint(1, len(facts))))
    if rng.random() < 0.2:
        _past(rng, doc)
    return doc


def _past(rng: random.Random, doc: dict) -> None:
    """Put one value past its documented range into the wallet."""
    credential = credential_doc(rng, 99)
    where = rng.choice(("annex", "annex", "text", "extension", "fact"))
    if where == "annex":
        name = rng.choice(("ects", "workload_hours", "credit", "grade"))
        value = rng.choice(PAST[name])
        key = {"credit": "credits", "grade": "grade"}.get(name, name)
        credential[key] = {
            "credits": {"system": "nz_credit", "value": value},
            "grade": {"scheme": "percent", "value": value},
        }.get(key, value)
    elif where == "text":
        credential["title"] = rng.choice(PAST_TEXT)
    elif where == "extension":
        credential["extensions"] = {"hours2": rng.choice(PAST["decimal"])}
    else:
        doc["applicant"] = {"score": rng.choice(PAST["decimal"])}
    doc["credentials"].append(credential)


# Subjects of the stress policies, each with constants at the ends of its range.
SUBJECTS = {
    "ects": (0, 0.0001, 1.5, 7.5, 9999.9999, 10000),
    "workload_hours": (0, 0.0001, 150, 299999.9999, 300000),
    "eqf_level": (1, 4, 8),
    "credits@nz_credit": (0, 0.5, 15, 1000000, 99999999999),
    "credits@us_semester_hour": (0, 2.8333, 3, 15),
    "credits@huge": (0, 1, 99999999999),
    "grade@percent": (0, 50, 60, 100),
    "hours2": (-99999999999.9999, -1, 0, 0.0001, 100000000000),
    "count": (-(10**11), 0, 5, 10**11),
    "scaled": (0, 1, 99999999999),
    "title": POLICY_TEXT + tuple(f"T{k}" for k in range(300)),
    "note": POLICY_TEXT + tuple(f"N{k}" for k in range(300)),
    "fact:score": (-(10**11), 0, 0.0001, 7.5, 10**11),
}
DECLARATIONS = {
    "elements": {
        "hours2": {"type": "decimal"},
        "count": {"type": "integer"},
        "note": {"type": "text"},
    },
    "facts": {"score": {"type": "decimal"}, "years": {"type": "integer"}},
    "credit_systems": {"huge": {"title": "Huge", "unit": "huge credit", "hours": 99999999999}},
    "computed": {"scaled": {"value": {"product": ["ects", 99999999999]}}},
}


def _constant(rng: random.Random, subject: str) -> Any:
    ends = SUBJECTS[subject]
    if rng.random() < 0.5 or isinstance(ends[0], str):
        return rng.choice(ends)
    if subject in ("eqf_level", "count"):
        return rng.randint(min(ends), max(ends))
    return rng.randint(0, 100_000_000) / 10_000  # at most 4 decimal places


def atom(rng: random.Random, subject: str, op: str | None = None) -> dict:
    text = subject in ("title", "note")
    op = op or rng.choice(
        ("eq", "ne", "in", "not_in")
        if text
        else ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "known")
    )
    if subject.startswith("fact:"):
        out: dict = {"fact": subject[5:], "op": op}
    elif "@" in subject:
        base, qualifier = subject.split("@")
        out = {"element": base, ("scheme" if base == "grade" else "system"): qualifier, "op": op}
    else:
        out = {"element": subject, "op": op}
    if op in ("in", "not_in"):
        out["value"] = sorted(
            {_constant(rng, subject) for _ in range(rng.randint(1, 100))}, key=repr
        )
    elif op != "known":
        out["value"] = _constant(rng, subject)
    return out


def atoms_on(rng: random.Random, subject: str, count: int) -> list[dict]:
    """Up to `count` different atoms on one subject; half the time all with one operator, so
    that one value passes all of them (≥ for the largest value, ≠, lists of many values)."""
    text = subject in ("title", "note")
    same = rng.choice(("ne", "in", "not_in") if text else ("gte", "lte", "ne", "gt", "in"))
    op = same if rng.random() < 0.5 else None
    found = {repr(a): a for a in (atom(rng, subject, op) for _ in range(count))}
    return list(found.values())


def stress_policy(rng: random.Random) -> dict:
    shape = rng.choice(("wide_any", "many_rules", "all_of_anys", "mixed"))
    subject = rng.choice(sorted(SUBJECTS))
    if shape == "wide_any":
        whens = [[{"any": atoms_on(rng, subject, rng.randint(30, 100))}]]
    elif shape == "many_rules":
        whens = [[a] for a in atoms_on(rng, subject, rng.randint(40, 130))]
    elif shape == "all_of_anys":
        first = atoms_on(rng, subject, rng.randint(10, 45))
        second = atoms_on(rng, rng.choice(sorted(SUBJECTS)), rng.randint(2, 1000 // len(first)))
        whens = [[{"any": first}, {"any": second}]]
    else:
        whens = []
        for _ in range(rng.randint(1, 8)):
            when = [atom(rng, rng.choice(sorted(SUBJECTS))) for _ in range(rng.randint(1, 4))]
            whens.append([{"any": when}] if rng.random() < 0.5 else when)
    criteria = [
        {"id": f"k{i}", "title": f"K{i}", "about": "each_credential", "when": when}
        for i, when in enumerate(whens)
    ]
    return {
        "id": "stress", "title": "Stress", "organisation": "Test", "purpose": "credit",
        "version": "1", "effective_from": "2020-01-01", **DECLARATIONS, "criteria": criteria,
    }  # fmt: skip
