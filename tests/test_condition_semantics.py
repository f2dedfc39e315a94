"""Each operator's meaning, as a table, checked on the engine and on the reference alike."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.compile import compile_policy
from engine.inputs import Credential
from engine.matching import MATCHERS
from tests.builders import policy

AS_OF = dt.date(2026, 9, 1)
S1, S2, S3 = (f"http://data.europa.eu/esco/skill/{x}" for x in "abc")

# (element, op, value, extra, credential value, expected status); None value = element absent.
CASES = [
    ("ects", "gte", 5, {}, 5.0, "met"),
    ("ects", "gte", 5, {}, 4.5, "not_met"),
    ("ects", "gte", 5, {}, None, "unknown"),
    ("ects", "gt", 5, {}, 5.0, "not_met"),
    ("ects", "lt", 5, {}, 2.0, "met"),
    ("ects", "lte", 5, {}, 5.0, "met"),
    ("ects", "eq", 7.5, {}, 7.5, "met"),
    ("ects", "ne", 7.5, {}, 7.5, "not_met"),
    ("ects", "ne", 7.5, {}, None, "unknown"),
    ("eqf_level", "in", [6, 7], {}, 7, "met"),
    ("eqf_level", "in", [6, 7], {}, 5, "not_met"),
    ("eqf_level", "not_in", [6, 7], {}, 5, "met"),
    ("eqf_level", "not_in", [6, 7], {}, None, "unknown"),
    ("issuer_country", "not_in", ["SE"], {}, "FI", "met"),
    ("issuer_country", "eq", "SE", {}, "SE", "met"),
    (
        "supervision",
        "in",
        ["supervised_onsite_id", "supervised_online_id"],
        {},
        "supervised_no_id",
        "not_met",
    ),
    ("issued_on", "within_years", 5, {}, dt.date(2021, 9, 1), "met"),
    ("issued_on", "within_years", 5, {}, dt.date(2021, 8, 31), "not_met"),
    ("issued_on", "within_years", 5, {}, dt.date(2026, 9, 2), "not_met"),  # after the as-of date
    ("issued_on", "within_years", 5, {}, None, "unknown"),
    ("issued_on", "gte", "2024-01-01", {}, dt.date(2024, 1, 1), "met"),
    ("issued_on", "lt", "2024-01-01", {}, dt.date(2024, 1, 1), "not_met"),
    ("field_of_study", "starts_with", "06", {}, "0613", "met"),
    ("field_of_study", "starts_with", "061", {}, "0688", "not_met"),
    ("field_of_study", "starts_with", "061", {}, "06", "unknown"),  # too coarse to tell
    ("field_of_study", "starts_with", "061", {}, "07", "not_met"),
    ("field_of_study", "eq", "0613", {}, "0613", "met"),
    ("skills", "contains", S1, {}, (S1, S2), "met"),
    ("skills", "contains", S3, {}, (S1, S2), "not_met"),
    ("skills", "not_contains", S3, {}, (S1, S2), "met"),
    ("skills", "contains", S1, {}, None, "unknown"),
    ("skills", "covers", [S1, S2, S3], {"share": 0.6}, (S1, S2), "met"),
    ("skills", "covers", [S1, S2, S3], {"share": 0.7}, (S1, S2), "not_met"),
    ("skills", "covers", [S1, S2, S3], {}, (S1, S2, S3), "met"),
    ("learning_outcomes", "contains", "Write SQL", {}, ("  write sql ",), "met"),
    ("quality_assurance", "known", None, {}, "none", "met"),
    ("quality_assurance", "known", None, {}, None, "unknown"),
    ("title", "eq", "Data basics", {}, "Data Basics", "not_met"),  # titles compare exactly
]


def _policy(condition: dict):
    return policy(recognition=[{"id": "r", "title": "R", "checks": {"requirements": [condition]}}])


@pytest.mark.parametrize("matcher", sorted(MATCHERS))
@pytest.mark.parametrize(("element", "op", "value", "extra", "actual", "expected"), CASES)
def test_operator_table(matcher, element, op, value, extra, actual, expected):
    condition = {"element": element, "op": op, **extra}
    if value is not None:
        condition["value"] = value
    compiled = compile_policy(_policy(condition))
    values = {} if actual is None else {element: actual}
    statuses = MATCHERS[matcher](compiled, [Credential.of("c", values)], AS_OF)
    assert list(statuses.values()) == [(expected,)]


@pytest.mark.parametrize("matcher", sorted(MATCHERS))
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"ects": 6.0, "eqf_level": 6}, "met"),
        ({"ects": 6.0}, "unknown"),  # all: one unknown, none failing
        ({"ects": 2.0, "issuer_country": "FI"}, "not_met"),  # one failing decides an all
        ({"ects": 2.0}, "unknown"),  # ...but the any still waits on the unknown country
        ({"eqf_level": 4, "issuer_country": "SE"}, "met"),  # any: one holding decides
        ({"eqf_level": 4}, "unknown"),
    ],
)
def test_groups_follow_three_valued_logic(matcher, values, expected):
    condition = {
        "any": [
            {
                "all": [
                    {"element": "ects", "op": "gte", "value": 5},
                    {"element": "eqf_level", "op": "gte", "value": 6},
                ]
            },
            {"element": "issuer_country", "op": "eq", "value": "SE"},
        ]
    }
    compiled = compile_policy(_policy(condition))
    statuses = MATCHERS[matcher](compiled, [Credential.of("c", values)], AS_OF)
    assert list(statuses.values()) == [(expected,)]


def test_facts_are_type_checked_before_reaching_the_engine():
    # durable-rules would find the string "abc" >= 5; the input type refuses it first.
    with pytest.raises(TypeError, match="ects: expected decimal"):
        Credential.of("c", {"ects": "abc"})
    with pytest.raises(TypeError, match="eqf_level: expected integer"):
        Credential.of("c", {"eqf_level": True})
