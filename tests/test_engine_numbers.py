"""Numbers at the boundary: a number past its documented range is refused where it comes in, with
its path; a number worked out inside the engine that leaves the range it compares exactly is
unknown, with a note; neither ever fails the evaluation (ARCHITECTURE.md: durable-rules crashed on
1e16, 1e308 and 5e-324 ECTS before numbers reached it as scaled integers)."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from types import MappingProxyType

import pytest

from engine.errors import EvaluationInputError
from engine.evaluate import evaluate
from engine.inputs import Credential, Credits, Grade, Wallet
from engine.service import ContainedEvaluator
from rules.errors import PolicyError
from rules.numbers import exact
from tests.builders import policy

AS_OF = dt.date(2026, 9, 1)
MATCHERS = ["durable", "reference"]
RANGE = "from -100000000000 to 100000000000"


def criterion(when: list, rule: str = "k") -> dict:
    return {"id": rule, "title": "Check", "about": "each_credential", "when": when}


def outcomes(p, credential: Credential, matcher: str, **wallet) -> dict:
    result = evaluate(p, Wallet("k", (credential,), **wallet), AS_OF, matcher)
    return {o["rule"]: o for o in result["outcomes"]}


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ects": 1e16}, "credentials[c1].ects: expected a number from 0 to 10000; got 1e+16"),
        ({"ects": 1e308}, "credentials[c1].ects: expected a number from 0 to 10000; got 1e+308"),
        (
            {"ects": float("nan")},
            "credentials[c1].ects: expected a number from 0 to 10000; got nan",
        ),
        ({"workload_hours": -1.0}, "credentials[c1].workload_hours: expected a number from 0 to"),
        ({"eqf_level": 10**30}, "credentials[c1].eqf_level: expected a whole number from 1 to 8"),
        (
            {"credits": Credits("nz_credit", Fraction(10**12))},
            "credentials[c1].credits: expected a number from 0 to 1000000",
        ),
        (
            {"grade": Grade("percent", Fraction(10**16))},
            "credentials[c1].grade: expected a number from -1000000 to 1000000",
        ),
        ({"title": "a\x00b"}, "credentials[c1].title: expected text of 1 to 10,000 characters"),
    ],
)
def test_element_values_past_their_range_are_refused_with_their_path(matcher, values, message):
    # Credentials made in code or by an importer skip the intake: the evaluation checks them too.
    p = policy(criteria=[criterion([{"element": "ects", "op": "gte", "value": 5}])])
    with pytest.raises(EvaluationInputError, match=re.escape(message)):
        outcomes(p, Credential.of("c1", values), matcher)


DECLARING = {
    "elements": {
        "hours2": {"type": "decimal"},
        "count": {"type": "integer"},
        "prior": {"type": "credits"},
    },
    "facts": {"score": {"type": "decimal"}, "years": {"type": "integer"}},
}


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(
    ("extensions", "applicant", "message"),
    [
        ({}, {"score": 1e16}, f"applicant.score: expected a number {RANGE}; got 1e+16"),
        # digits as text, past the range: used to escape as a NumberError (an engine failure)
        ({}, {"score": "999999999999"}, f"applicant.score: expected a number {RANGE}"),
        ({}, {"years": 10**12}, f"applicant.years: expected a whole number {RANGE}"),
        (
            {"hours2": float("inf")},
            {},
            f"credentials[c1].extensions.hours2: expected a number {RANGE}; got inf",
        ),
        (
            {"prior": {"system": "nz_credit", "value": 1e7}},
            {},
            "credentials[c1].extensions.prior: expected a number of credits from 0 to 1000000",
        ),
    ],
)
def test_declared_numbers_and_facts_past_the_range_are_refused_with_their_path(
    matcher, extensions, applicant, message
):
    p = policy(**DECLARING, criteria=[criterion([{"element": "hours2", "op": "gte", "value": 1}])])
    credential = Credential.of("c1", {}, extensions=extensions)
    with pytest.raises(EvaluationInputError, match=re.escape(message)):
        outcomes(p, credential, matcher, applicant=MappingProxyType(applicant))


@pytest.mark.parametrize("matcher", MATCHERS)
def test_numbers_worked_out_past_the_range_are_unknown_with_a_note(matcher):
    p = policy(
        credit_systems={"huge": {"title": "Huge", "unit": "huge credit", "hours": 99999999999}},
        computed={"scaled": {"value": {"product": ["ects", 99999999999]}}},
        criteria=[
            criterion([{"element": "ects", "op": "gte", "value": 5}], "e"),
            criterion(
                [{"element": "credits", "system": "nz_credit", "op": "gte", "value": 1}], "n"
            ),
            criterion([{"element": "scaled", "op": "gte", "value": 1}], "s"),
        ],
    )
    # 1,000,000 huge credits are 10^17 hours: 3.3·10^15 ECTS, 10^16 NZ credits.
    by = outcomes(p, Credential.of("c1", {"credits": Credits("huge", Fraction(10**6))}), matcher)
    assert {r: by[r]["status"] for r in "ens"} == {"e": "unknown", "n": "unknown", "s": "unknown"}
    for rule in "en":
        [row] = by[rule]["conditions"]
        assert row["actual"] is None
        assert "lies beyond ±10¹¹, the range credstack compares" in row["provenance"]
    # 10,000 ECTS × 99,999,999,999 is about 10^15: the product is unknown, the ECTS are not.
    by = outcomes(p, Credential.of("c1", {"ects": 10000.0}), matcher)
    assert (by["e"]["status"], by["s"]["status"]) == ("met", "unknown")
    assert "beyond ±10¹¹" in by["s"]["conditions"][0]["provenance"]


def test_whole_number_constants_past_the_range_are_refused():
    with pytest.raises(PolicyError, match=f"expected a whole number {RANGE}"):
        policy(
            elements={"count": {"type": "integer"}},
            criteria=[criterion([{"element": "count", "op": "gte", "value": 10**20}])],
        )


VALUES = (0.0, 5e-324, 1e-05, 0.0001, 0.00015, 7.123456789012345, 9999.9999, 9999.99999999, 1e4)
CONSTANTS = (0, 0.0001, 0.0002, 7.1234, 9999.9999, 10000)
OPS = {"eq": "__eq__", "gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


def test_extreme_numbers_compare_exactly_through_the_contained_engine():
    """Each value against each constant, through durable-rules in a worker, checked against
    Fraction arithmetic on what was written (the smallest float and 14 decimal places too)."""
    atoms = [(op, c) for op in OPS for c in CONSTANTS]
    p = policy(
        criteria=[
            criterion([{"element": "ects", "op": op, "value": c}], f"k{i}")
            for i, (op, c) in enumerate(atoms)
        ]
    )
    with ContainedEvaluator() as evaluator:
        for value in VALUES:
            result = evaluator.evaluate(
                p, Wallet("k", (Credential.of("c", {"ects": value}),)), AS_OF
            )
            found = {o["rule"]: o["status"] for o in result["outcomes"]}
            for i, (op, c) in enumerate(atoms):
                holds = getattr(exact(value), OPS[op])(exact(c))
                assert found[f"k{i}"] == ("met" if holds else "not_met"), (value, op, c)
