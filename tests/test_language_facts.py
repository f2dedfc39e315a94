"""Policy language 2, the facts: declared elements, frameworks, credit systems, tables, grades,
text, computed values and classifications — each construct through `evaluate`, on both matchers."""

from __future__ import annotations

import datetime as dt
import gc
import threading
from fractions import Fraction
from types import MappingProxyType

import pytest

from engine.errors import EvaluationInputError
from engine.evaluate import evaluate
from engine.inputs import Credential, Credits, Grade, Level, Wallet
from rules.collection import collector_paused
from rules.errors import PolicyError
from rules.loader import load_policy
from rules.numbers import Interval
from rules.scales import built_in
from tests.builders import policy, policy_doc

AS_OF = dt.date(2026, 9, 1)
MATCHERS = ["durable", "reference"]


def criterion(when: list, about: str = "each_credential", **extra) -> dict:
    return {"id": "k", "title": "Check", "about": about, "when": when, **extra}


def status_of(p, values: dict, matcher: str, extensions: dict | None = None, **wallet) -> str:
    cred = Credential.of("c1", values, extensions=extensions or {})
    result = evaluate(p, Wallet("k", (cred,), **wallet), AS_OF, matcher)
    return {o["rule"]: o for o in result["outcomes"]}["k"]["status"]


# --- credit systems: exact conversions, ranges, thresholds -------------------------------------

CREDITS = [
    # condition on credit in a system, the credential's values, expected status
    ({"element": "ects", "op": "gte", "value": 10}, {"workload_hours": 300.0}, "met"),
    ({"element": "ects", "op": "gte", "value": 10}, {"workload_hours": 299.0}, "not_met"),
    # 100 h at 30 h per ECTS is exactly 10/3: never rounded to 3.33
    ({"element": "ects", "op": "gte", "value": 3.3333}, {"workload_hours": 100.0}, "met"),
    ({"element": "ects", "op": "lte", "value": 3.3333}, {"workload_hours": 100.0}, "not_met"),
    (
        {"element": "ects", "op": "eq", "value": 5},
        {"credits": Credits("nz_credit", Fraction(15))},
        "met",
    ),
    (
        {"element": "ects", "op": "eq", "value": 7.5},
        {"credits": Credits("uk_cats", Fraction(15))},
        "met",
    ),
    ({"element": "credits", "system": "uk_cats", "op": "gte", "value": 20}, {"ects": 10.0}, "met"),
    ({"element": "credits", "system": "nz_credit", "op": "gte", "value": 15}, {"ects": 5.0}, "met"),
    (
        {"element": "credits", "system": "nz_credit", "op": "gt", "value": 15},
        {"ects": 5.0},
        "not_met",
    ),
    (
        {"element": "workload_hours", "op": "gte", "value": 150},
        {"credits": Credits("nz_credit", Fraction(15))},
        "met",
    ),
    # US semester hours are 42.5–45 h: 2 of them are 85–90 h, i.e. 2.83–3 ECTS
    (
        {"element": "ects", "op": "gte", "value": 3},
        {"credits": Credits("us_semester_hour", Fraction(2))},
        "unknown",
    ),
    (
        {"element": "ects", "op": "gte", "value": 2.8},
        {"credits": Credits("us_semester_hour", Fraction(2))},
        "met",
    ),
    (
        {"element": "ects", "op": "gt", "value": 3},
        {"credits": Credits("us_semester_hour", Fraction(2))},
        "not_met",
    ),
    (
        {"element": "ects", "op": "in", "value": [3]},
        {"credits": Credits("us_semester_hour", Fraction(2))},
        "unknown",
    ),
    (
        {"element": "ects", "op": "not_in", "value": [4, 5]},
        {"credits": Credits("us_semester_hour", Fraction(2))},
        "met",
    ),
    (
        {"element": "ects", "op": "ne", "value": 3},
        {"credits": Credits("us_semester_hour", Fraction(2))},
        "unknown",
    ),
    ({"element": "credits", "system": "ects", "op": "known"}, {}, "unknown"),
]


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(("atom", "values", "expected"), CREDITS)
def test_credit_systems_convert_exactly(matcher, atom, values, expected):
    assert status_of(policy(criteria=[criterion([atom])]), values, matcher) == expected


def _ects_of(system) -> tuple[Fraction, Fraction]:
    """ECTS per credit of a built-in system, as a (low, high) range at 30 hours per ECTS."""
    if system.ects is not None:
        return system.ects, system.ects
    hours = system.hours
    low, high = (hours.lo, hours.hi) if isinstance(hours, Interval) else (hours, hours)
    return low / 30, high / 30


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize("system", sorted(built_in("credit_systems")))
def test_every_credit_system_meets_its_exact_thresholds(matcher, system):
    """15 credits of each built-in system, tested at the exact boundary in the system itself, in
    ECTS and back: equal is met, one step beyond is not, and a range is unknown only inside."""
    low, high = (15 * x for x in _ects_of(built_in("credit_systems")[system]))
    own = {"element": "credits", "system": system}
    cases = [
        (own | {"op": "gte", "value": 15}, "met"),
        (own | {"op": "lte", "value": 15}, "met"),
        (own | {"op": "gt", "value": 15}, "not_met"),
        (own | {"op": "lt", "value": 15}, "not_met"),
        ({"element": "ects", "op": "gte", "value": float(low)}, "met"),
        ({"element": "ects", "op": "gt", "value": float(high)}, "not_met"),
        (
            {"element": "ects", "op": "gte", "value": float(high)},
            "met" if low == high else "unknown",
        ),
    ]
    for atom, expected in cases:
        assert float(low) == low and float(high) == high  # thresholds a policy can write
        got = status_of(
            policy(criteria=[criterion([atom])]), {"credits": Credits(system, 15)}, matcher
        )
        assert got == expected, (atom, got)
    # and from ECTS into the system, where one credit is a fixed number of ECTS
    if low == high:
        for op, expected in (("gte", "met"), ("lte", "met"), ("gt", "not_met")):
            p = policy(criteria=[criterion([own | {"op": op, "value": 15}])])
            assert status_of(p, {"ects": float(low)}, matcher) == expected, op


@pytest.mark.parametrize("matcher", MATCHERS)
def test_a_range_of_hours_per_ects_gives_unknown_only_where_it_matters(matcher):
    p = policy(
        settings={"hours_per_ects": {"min": 25, "max": 30}},
        criteria=[criterion([{"element": "ects", "op": "gte", "value": 5}])],
    )
    assert status_of(p, {"workload_hours": 150.0}, matcher) == "met"  # 5–6 ECTS
    assert status_of(p, {"workload_hours": 140.0}, matcher) == "unknown"  # 4.67–5.6
    assert status_of(p, {"workload_hours": 120.0}, matcher) == "not_met"  # 4–4.8


@pytest.mark.parametrize("matcher", MATCHERS)
def test_three_inferred_credentials_of_100_hours_meet_a_10_ects_target_exactly(matcher):
    p = policy(
        targets=[
            {
                "id": "t",
                "title": "T",
                "slots": [{"id": "s", "title": "S", "min": 3, "max": 3,
                           "when": [{"element": "workload_hours", "op": "known"}]}],
                "min_total_ects": 10,
                "shares": [{"title": "in field 06", "min_share": 0.75, "of": "ects",
                            "when": [{"element": "field_of_study", "op": "starts_with", "value": "06"}]}],
            }
        ]
    )  # fmt: skip
    creds = tuple(
        Credential.of(f"c{i}", {"workload_hours": 100.0, "field_of_study": f}, {})
        for i, f in enumerate(("0611", "0612", "0613"))
    )
    result = evaluate(p, Wallet("k", creds), AS_OF, matcher)
    assert result["outcomes"][0]["status"] == "met"
    assert result["outcomes"][0]["outcome"]["total_ects"] == 10
    four = creds[:2] + (
        Credential.of("c2", {"workload_hours": 100.0, "field_of_study": "0411"}, {}),
    )
    shares = evaluate(p, Wallet("k", four), AS_OF, matcher)["outcomes"][0]
    assert shares["status"] == "not_met"  # 2/3 = 66.67 % < 75 %
    assert "has 67%" in shares["missing"][0]


def test_totals_in_a_credit_system_with_a_where_and_a_maximum():
    level = {"element": "framework_level", "framework": "fheq", "op": "gte", "value": "7"}
    p = policy(
        targets=[
            {
                "id": "pgcert",
                "title": "Postgraduate Certificate",
                "slots": [{"id": "modules", "title": "Modules", "min": 1, "max": "any",
                           "when": [{"element": "credits", "op": "known"}]}],
                "totals": [
                    {"title": "60 credits", "of": {"element": "credits", "system": "uk_cats"}, "min": 60},
                    {"title": "45 at level 7", "of": {"element": "credits", "system": "uk_cats"},
                     "min": 45, "where": [level]},
                ],
            }
        ]
    )  # fmt: skip

    def module(cid: str, credits: int, lvl: str) -> Credential:
        return Credential.of(
            cid,
            {
                "credits": Credits("uk_cats", Fraction(credits)),
                "framework_level": Level("fheq", lvl),
            },
        )

    ok = evaluate(
        p, Wallet("k", (module("a", 30, "7"), module("b", 15, "7"), module("c", 15, "6"))), AS_OF
    )
    assert ok["outcomes"][0]["status"] == "met"
    low = evaluate(
        p, Wallet("k", (module("a", 30, "7"), module("b", 15, "6"), module("c", 15, "6"))), AS_OF
    )
    assert low["outcomes"][0]["status"] == "not_met"
    assert any("45 at level 7: 15 more" in m for m in low["outcomes"][0]["missing"])


# --- frameworks --------------------------------------------------------------------------------

LEVELS = [
    (
        {"element": "eqf_level", "op": "gte", "value": 6},
        {"framework_level": Level("scqf", "9")},
        "met",
    ),
    (
        {"element": "eqf_level", "op": "gte", "value": 7},
        {"framework_level": Level("scqf", "10")},
        "not_met",
    ),
    # NZQF is not referenced to the EQF: its level says nothing about the EQF level
    (
        {"element": "eqf_level", "op": "gte", "value": 6},
        {"framework_level": Level("nzqf", "7")},
        "unknown",
    ),
    (
        {"element": "framework_level", "framework": "nzqf", "op": "gte", "value": 7},
        {"framework_level": Level("nzqf", "7")},
        "met",
    ),
    (
        {"element": "framework_level", "framework": "nzqf", "op": "gte", "value": "8"},
        {"framework_level": Level("nzqf", "7")},
        "not_met",
    ),
    (
        {"element": "framework_level", "framework": "rqf", "op": "lt", "value": "1"},
        {"framework_level": Level("rqf", "E3")},
        "met",
    ),
    (
        {"element": "framework_level", "framework": "nzqf", "op": "gte", "value": 7},
        {"framework_level": Level("aqf", "7")},
        "unknown",
    ),
    (
        {"element": "framework_level", "framework": "eqf", "op": "eq", "value": "6"},
        {"eqf_level": 6},
        "met",
    ),
    ({"element": "eqf_level", "op": "eq", "value": 7}, {"qf_ehea_cycle": "second"}, "met"),
]


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(("atom", "values", "expected"), LEVELS)
def test_levels_in_a_framework_or_through_the_eqf_referencing(matcher, atom, values, expected):
    assert status_of(policy(criteria=[criterion([atom])]), values, matcher) == expected


def test_the_explanation_shows_the_referencing_used():
    p = policy(criteria=[criterion([{"element": "eqf_level", "op": "gte", "value": 6}])])
    cred = Credential.of("c1", {"framework_level": Level("scqf", "9")})
    result = evaluate(p, Wallet("k", (cred,)), AS_OF)
    [row] = result["outcomes"][0]["conditions"]
    assert row["actual"] == 6
    assert "SCQF" in row["provenance"] and "referenced to EQF level 6" in row["provenance"]


# --- grades -----------------------------------------------------------------------------------

GRADES = [
    (
        {"element": "grade", "scheme": "ects_grade", "op": "gte", "value": "C"},
        Grade("ects_grade", "B"),
        "met",
    ),
    (
        {"element": "grade", "scheme": "ects_grade", "op": "gte", "value": "C"},
        Grade("ects_grade", "D"),
        "not_met",
    ),
    (
        {"element": "grade", "scheme": "ects_grade", "op": "gte", "value": "E"},
        Grade("ects_grade", "FX"),
        "not_met",
    ),
    (
        {"element": "grade", "scheme": "percent", "op": "gte", "value": 60},
        Grade("percent", Fraction(60)),
        "met",
    ),
    (
        {"element": "grade", "scheme": "percent", "op": "gte", "value": 60},
        Grade("points", Fraction(45), Fraction(75)),
        "met",
    ),
    (
        {"element": "grade", "scheme": "percent", "op": "gte", "value": 60},
        Grade("points", Fraction(44), Fraction(75)),
        "not_met",
    ),
    (
        {"element": "grade", "scheme": "de_grade", "op": "lte", "value": 2},
        Grade("de_grade", Fraction(17, 10)),
        "met",
    ),
    (
        {"element": "grade", "scheme": "percent", "op": "gte", "value": 75},
        Grade("gpa_4", Fraction(3)),
        "met",
    ),
    (
        {"element": "grade", "scheme": "ects_grade", "op": "gte", "value": "C"},
        Grade("uk_class", "first"),
        "unknown",
    ),
    (
        {"element": "grade", "scheme": "ects_grade", "op": "gte", "value": "C"},
        "Very good",
        "unknown",
    ),
    # numeric grades as imported documents and CSV sheets write them: text, decimal commas
    (
        {"element": "grade", "scheme": "de_grade", "op": "lte", "value": 2},
        Grade("de_grade", "1.7"),
        "met",
    ),
    (
        {"element": "grade", "scheme": "de_grade", "op": "lte", "value": 2},
        Grade("de_grade", "2,3"),
        "not_met",
    ),
    (
        {"element": "grade", "scheme": "percent", "op": "gte", "value": 60},
        Grade("de_grade", "2,5"),
        "met",
    ),
    # a number outside its scheme, or not a number, is not read: unknown, never compared
    (
        {"element": "grade", "scheme": "de_grade", "op": "gte", "value": 2},
        Grade("de_grade", Fraction(7)),
        "unknown",
    ),
    (
        {"element": "grade", "scheme": "de_grade", "op": "lte", "value": 2},
        Grade("de_grade", "gut"),
        "unknown",
    ),
    (
        {"element": "grade", "scheme": "ects_grade", "op": "gte", "value": "C"},
        Grade("ects_grade", "Z"),
        "unknown",
    ),
]


@pytest.mark.parametrize("matcher", MATCHERS)
def test_a_level_its_framework_does_not_have_is_unknown_not_a_crash(matcher):
    atoms = [{"element": "framework_level", "framework": "scqf", "op": "gte", "value": "7"},
             {"element": "eqf_level", "op": "gte", "value": 5}]  # fmt: skip
    for atom in atoms:
        p = policy(criteria=[criterion([atom])])
        assert status_of(p, {"framework_level": Level("scqf", "99")}, matcher) == "unknown"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"scheme": "de_grade", "value": "1,7"}, "met"),
        ({"scheme": "de_grade", "value": 2.3}, "not_met"),
        (
            {"scheme": "de_grade", "value": 6},
            "German grades (1.0 best, 4.0 pass, 5.0 fail) grade: 6 is outside",
        ),
        ({"scheme": "de_grade", "value": "sehr gut"}, "'sehr gut' is not a number"),
    ],
)
def test_a_declared_grade_element_reads_numbers_in_its_scheme(raw, expected):
    p = policy(
        elements={"average": {"type": "grade"}},
        criteria=[
            criterion([{"element": "average", "scheme": "de_grade", "op": "lte", "value": 2}])
        ],
    )
    if expected in ("met", "not_met"):
        assert status_of(p, {}, "durable", {"average": raw}) == expected
    else:
        with pytest.raises(
            EvaluationInputError, match="credentials\\[c1\\].extensions.average"
        ) as caught:
            status_of(p, {}, "durable", {"average": raw})
        assert expected in str(caught.value)


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(("atom", "grade", "expected"), GRADES)
def test_grades_compare_in_their_scheme_or_as_a_percentage(matcher, atom, grade, expected):
    assert status_of(policy(criteria=[criterion([atom])]), {"grade": grade}, matcher) == expected


def test_a_policy_declares_its_own_grade_scheme():
    p = policy(
        grade_schemes={"fr_20": {"title": "French /20", "minimum": 0, "maximum": 20}},
        criteria=[criterion([{"element": "grade", "scheme": "percent", "op": "gte", "value": 50}])],
    )
    assert status_of(p, {"grade": Grade("fr_20", Fraction(10))}, "durable") == "met"


# --- declared elements and text ----------------------------------------------------------------

DECLARED = {
    "track": {"type": "code", "values": {"verified": "Verified", "audit": "Audit"}},
    "format": {"type": "code", "values": ["edubadge", "other"], "if_absent": "not_met"},
    "listing": {"type": "text", "label": "register listing id"},
    "level_step": {"type": "ordinal", "values": ["none", "basic", "substantial", "high"]},
    "themes": {"type": "list", "of": "code", "values": ["data", "ai", "cloud"]},
    "hours": {"type": "decimal", "unit": "hours"},
    "proctored": {"type": "boolean"},
}
TEXT = [
    ({"element": "title", "op": "has_words", "value": "Diploma"}, "Diplôma in Data", "met"),
    ({"element": "title", "op": "has_words", "value": "diploma"}, "Diplomacy basics", "not_met"),
    (
        {"element": "title", "op": "lacks_words", "value": ["New Zealand"]},
        "New  Zealand history",
        "not_met",
    ),
    ({"element": "title", "op": "lacks_words", "value": ["New Zealand"]}, "Zealand, New", "met"),
    (
        {"element": "title", "op": "has_words", "value": ["micro credential", "badge"]},
        "A Micro-Credential",
        "met",
    ),
]


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(("atom", "title", "expected"), TEXT)
def test_whole_word_and_phrase_tests_ignore_case_and_accents(matcher, atom, title, expected):
    assert status_of(policy(criteria=[criterion([atom])]), {"title": title}, matcher) == expected


DECLARED_CASES = [
    ({"element": "track", "op": "eq", "value": "verified"}, {"track": "Verified"}, "met"),
    ({"element": "track", "op": "eq", "value": "verified"}, {}, "unknown"),
    ({"element": "format", "op": "eq", "value": "edubadge"}, {}, "not_met"),
    ({"element": "format", "op": "known"}, {}, "not_met"),
    ({"element": "level_step", "op": "gte", "value": "substantial"}, {"level_step": "high"}, "met"),
    (
        {"element": "level_step", "op": "gte", "value": "substantial"},
        {"level_step": "basic"},
        "not_met",
    ),
    ({"element": "themes", "op": "contains", "value": "ai"}, {"themes": ["data", "ai"]}, "met"),
    ({"element": "themes", "op": "contains", "value": "ai"}, {"themes": "data|cloud"}, "not_met"),
    ({"element": "hours", "op": "gte", "value": 40}, {"hours": "40"}, "met"),
    ({"element": "proctored", "op": "eq", "value": True}, {"proctored": "yes"}, "met"),
    ({"element": "listing", "op": "eq", "value": "NZ-1234"}, {"listing": "NZ-1234"}, "met"),
]


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(("atom", "extensions", "expected"), DECLARED_CASES)
def test_declared_elements_are_typed_and_tested_like_annex_elements(
    matcher, atom, extensions, expected
):
    p = policy(elements=DECLARED, criteria=[criterion([atom])])
    assert status_of(p, {}, matcher, extensions) == expected


def test_a_mapping_fills_a_declared_element_from_an_imported_term():
    p = policy(
        elements=DECLARED,
        mappings=[{"source": "https://example.org/ext#track", "element": "track"}],
        criteria=[criterion([{"element": "track", "op": "eq", "value": "audit"}])],
    )
    assert status_of(p, {}, "durable", {"https://example.org/ext#track": "audit"}) == "met"


# --- reference tables and lookups ---------------------------------------------------------------

PROVIDERS = {
    "title": "Approved providers",
    "version": "2026-03",
    "source": "https://example.org/register.csv",
    "columns": {
        "provider": "text",
        "status": {"type": "code", "values": ["approved", "suspended"]},
        "valid_from": "date",
        "valid_to": "date",
    },
    "key": ["provider"],
    "valid": {"from": "valid_from", "to": "valid_to"},
    "rows": [
        {
            "provider": "Acme Academy",
            "status": "approved",
            "valid_from": "2020-01-01",
            "valid_to": "2024-12-31",
        },
        {"provider": "Acme Academy", "status": "suspended", "valid_from": "2025-01-01"},
        ["Open Uni", "approved", "2019-01-01", None],
    ],
}
APPROVED = {
    "table": "providers",
    "match": {"provider": "awarding_body"},
    "where": [{"column": "status", "op": "eq", "value": "approved"}],
}

TABLE_CASES = [
    (
        APPROVED,
        {"awarding_body": "acme  ACADEMY", "issued_on": dt.date(2024, 5, 1)},
        "not_met",
    ),  # as of 2026: suspended
    (
        APPROVED | {"on": "issued_on"},
        {"awarding_body": "Acme Academy", "issued_on": dt.date(2024, 5, 1)},
        "met",
    ),
    (APPROVED | {"on": "issued_on"}, {"awarding_body": "Acme Academy"}, "unknown"),
    (APPROVED, {"awarding_body": "Open Uni"}, "met"),
    (APPROVED, {"awarding_body": "Nowhere College"}, "not_met"),
    (APPROVED, {}, "unknown"),
    (APPROVED | {"op": "no_match"}, {"awarding_body": "Nowhere College"}, "met"),
]


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(("test", "values", "expected"), TABLE_CASES)
def test_a_credential_matches_a_table_row_valid_on_a_date(matcher, test, values, expected):
    p = policy(tables={"providers": PROVIDERS}, criteria=[criterion([test])])
    assert status_of(p, values, matcher) == expected


MODULES = {
    "title": "External courses to local modules",
    "version": "1",
    "columns": {"course": "text", "module": "text", "credits": "decimal"},
    "key": ["course"],
    "rows": [["SC1x", "SCM-101", 7.5], ["SC2x", "SCM-102", 5]],
}


@pytest.mark.parametrize("matcher", MATCHERS)
def test_a_lookup_reads_a_column_of_the_matched_row(matcher):
    p = policy(
        elements={"course": {"type": "text"}},
        tables={"modules": MODULES},
        lookups={
            "local_credits": {
                "label": "credits of the local module",
                "table": "modules",
                "match": {"course": "course"},
                "column": "credits",
            }
        },
        criteria=[criterion([{"element": "local_credits", "op": "gte", "value": 6}])],
    )
    assert status_of(p, {}, matcher, {"course": "SC1x"}) == "met"
    assert status_of(p, {}, matcher, {"course": "SC2x"}) == "not_met"
    assert status_of(p, {}, matcher, {"course": "SC9x"}) == "not_met"  # no row: not in the table
    assert status_of(p, {}, matcher) == "unknown"  # no course code: unknown


def test_row_order_does_not_change_the_table_or_the_digest():
    shuffled = PROVIDERS | {"rows": list(reversed(PROVIDERS["rows"]))}
    a = policy(tables={"providers": PROVIDERS}, criteria=[criterion([APPROVED])])
    b = policy(tables={"providers": shuffled}, criteria=[criterion([APPROVED])])
    assert a.tables[0].rows == b.tables[0].rows and a.tables[0].digest == b.tables[0].digest


def _problems(**parts) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(policy_doc(**parts))
    return [str(p) for p in info.value.problems]


BAD_TABLES = [
    (
        PROVIDERS | {"rows": PROVIDERS["rows"] + [["Open Uni", "approved", "2020-01-01", None]]},
        "overlapping validity windows",
    ),
    (MODULES | {"rows": MODULES["rows"] + [["SC1x", "X", 1]]}, "key (SC1x) appears 2 times"),
    (
        MODULES | {"rows": [["SC1x", "SCM-101", "lots"]]},
        "tables.t.rows[0].credits: expected a number",
    ),
    (MODULES | {"columns": {"course": "txt"}}, "tables.t.columns.course: expected a type"),
    (
        MODULES | {"key": ["code"]},
        "tables.t.key: expected column names from: course, module, credits",
    ),
    (MODULES | {"rows": [["x", "y", 1]] * 100_000}, "a table has at most 50,000 rows; got 100,000"),
]


@pytest.mark.parametrize(("table", "expected"), BAD_TABLES)
def test_bad_tables_are_refused_with_the_path(table, expected):
    messages = _problems(
        tables={"t": table}, criteria=[criterion([{"element": "ects", "op": "known"}])]
    )
    assert any(expected in m for m in messages), messages


BAD_CONDITIONS = [
    ({"table": "modulez", "match": {"course": "title"}}, "no table 'modulez'", "modules"),
    ({"table": "modules", "match": {"cours": "title"}}, "no column 'cours' in modules", "course"),
    (
        {"table": "modules", "match": {"course": "ects"}},
        "column course is text; ects is decimal",
        None,
    ),
    (
        {"element": "credits", "system": "nz_credits", "op": "gte", "value": 1},
        "unknown credit system",
        None,
    ),
    (
        {"element": "framework_level", "framework": "nzqff", "op": "gte", "value": 1},
        "unknown framework; expected one of:",
        None,
    ),
    (
        {"element": "framework_level", "framework": "nzqf", "op": "gte", "value": 11},
        "is not a qualifications framework level (New Zealand",
        None,
    ),
    (
        {"element": "grade", "scheme": "ects", "op": "gte", "value": "C"},
        "unknown grade scheme",
        None,
    ),
    (
        {"element": "track", "op": "gte", "value": "audit"},
        "operator 'gte' does not apply to track (code)",
        None,
    ),
    (
        {"element": "track", "op": "eq", "value": "verifed"},
        "'verifed' is not a Certificate track code",
        "verified",
    ),
    ({"element": "ects", "op": "gte", "value": 1.00001}, "at most 4 decimal places", None),
    (
        {"element": "title", "op": "has_words", "value": "a b c d e f g h i j k l m"},
        "expected 1 to 12 words",
        None,
    ),
    ({"fact": "ielts", "op": "gte", "value": 6}, "fact 'ielts' is not a declared fact", None),
    (
        {"element": "issued_on", "op": "lte", "value": {"fact": "start"}},
        "fact 'start' is not a declared fact",
        None,
    ),
]


@pytest.mark.parametrize(("atom", "expected", "hint"), BAD_CONDITIONS)
def test_conditions_on_new_constructs_are_checked_against_their_types(atom, expected, hint):
    messages = _problems(
        elements={
            "track": {"type": "code", "label": "Certificate track", "values": ["verified", "audit"]}
        },
        tables={"modules": MODULES},
        criteria=[criterion([atom])],
    )
    assert any(expected in m for m in messages), messages
    if hint:
        assert any(f"did you mean '{hint}'" in m for m in messages), messages


# --- computed values and classifications --------------------------------------------------------


@pytest.mark.parametrize("matcher", MATCHERS)
def test_computed_values_are_exact_and_may_be_ranges(matcher):
    p = policy(
        computed={
            "hours": {
                "label": "notional hours",
                "value": {
                    "product": [{"element": "credits", "system": "ects"}, {"range": [25, 30]}]
                },
            },
            "whole_30": {
                "label": "credit in whole 30s",
                "value": {"round_down": [{"element": "credits", "system": "ou_credit"}, 30]},
            },
        },
        criteria=[
            criterion([{"element": "hours", "op": "gte", "value": 125}]) | {"id": "k"},
            criterion([{"element": "whole_30", "op": "eq", "value": 60}]) | {"id": "w"},
        ],
    )
    cred = Credential.of("c1", {"ects": 5.0})
    result = evaluate(p, Wallet("k", (cred,)), AS_OF, matcher)
    by = {o["rule"]: o for o in result["outcomes"]}
    assert by["k"]["status"] == "met"  # 125–150 hours
    [row] = by["k"]["conditions"]
    assert (
        row["actual"] == "125–150"
        and row["provenance"]
        == "(credit value (European Credit Transfer and Accumulation System) 5 × 25–30)"
    )
    cred = Credential.of("c1", {"credits": Credits("ou_credit", Fraction(75))})
    assert {
        o["rule"]: o["status"]
        for o in evaluate(p, Wallet("k", (cred,)), AS_OF, matcher)["outcomes"]
    }["w"] == "met"
    cred = Credential.of("c1", {"ects": 4.9})
    assert {
        o["rule"]: o["status"]
        for o in evaluate(p, Wallet("k", (cred,)), AS_OF, matcher)["outcomes"]
    }["k"] == "unknown"


CLASSIFY = {
    "assessment_quality": {
        "label": "quality of assessment",
        "hit": "first",
        "classes": {"strong": "supervised with identity check", "weak": "other"},
        "rows": [
            {
                "id": "proctored",
                "class": "strong",
                "when": [
                    {
                        "element": "supervision",
                        "op": "in",
                        "value": ["supervised_online_id", "supervised_onsite_id"],
                    }
                ],
            },
        ],
        "default": "weak",
    }
}


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(
    ("supervision", "expected"),
    [("supervised_onsite_id", "met"), ("none", "not_met"), (None, "unknown")],
)
def test_a_classification_gives_a_class_or_waits_for_evidence(matcher, supervision, expected):
    p = policy(
        classifications=CLASSIFY,
        criteria=[criterion([{"element": "assessment_quality", "op": "eq", "value": "strong"}])],
    )
    values = {"supervision": supervision} if supervision else {}
    assert status_of(p, values, matcher) == expected


def test_a_classification_with_a_gap_and_no_default_is_refused():
    gap = CLASSIFY["assessment_quality"] | {"default": None}
    gap = {k: v for k, v in gap.items() if v is not None}
    messages = _problems(
        classifications={"q": gap},
        criteria=[criterion([{"element": "q", "op": "eq", "value": "strong"}])],
    )
    assert any(
        "no row holds when supervision is none" in m and "no default" in m for m in messages
    ), messages


DATE_SPANS = [
    ({"element": "issued_on", "op": "within_months", "value": 6}, dt.date(2026, 3, 1), "met"),
    ({"element": "issued_on", "op": "within_months", "value": 6}, dt.date(2026, 2, 28), "not_met"),
    ({"element": "issued_on", "op": "within_days", "value": 10}, dt.date(2026, 8, 22), "met"),
    ({"element": "issued_on", "op": "within_days", "value": 10}, dt.date(2026, 8, 21), "not_met"),
    (
        {"element": "issued_on", "op": "within_days", "value": 10},
        dt.date(2026, 9, 2),
        "not_met",
    ),  # after the date
]


@pytest.mark.parametrize("matcher", MATCHERS)
@pytest.mark.parametrize(("atom", "issued", "expected"), DATE_SPANS)
def test_months_and_days_before_the_application_date(matcher, atom, issued, expected):
    assert (
        status_of(policy(criteria=[criterion([atom])]), {"issued_on": issued}, matcher) == expected
    )


@pytest.mark.parametrize("matcher", MATCHERS)
def test_declared_structured_elements_and_facts_are_read_through_their_scale(matcher):
    p = policy(
        elements={"school_average": {"type": "grade"}, "prior": {"type": "credits"}},
        facts={"entry": {"type": "level"}},
        criteria=[
            criterion(
                [{"element": "school_average", "scheme": "de_grade", "op": "lte", "value": 2.0}]
            )
            | {"id": "k"},
            criterion([{"element": "prior", "system": "ects", "op": "gte", "value": 5}])
            | {"id": "c"},
            {
                "id": "e",
                "title": "Entry level",
                "about": "application",
                "when": [{"fact": "entry", "framework": "nzqf", "op": "gte", "value": "7"}],
            },
        ],
    )
    ext = {
        "school_average": {"scheme": "de_grade", "value": 1.7},
        "prior": {"system": "nz_credit", "value": 15},
    }
    cred = Credential.of("c1", {}, extensions=ext)
    wallet = Wallet("k", (cred,), MappingProxyType({"entry": {"framework": "nzqf", "level": "7"}}))
    by = {o["rule"]: o["status"] for o in evaluate(p, wallet, AS_OF, matcher)["outcomes"]}
    assert by == {"k": "met", "c": "met", "e": "met"}


def test_a_target_whose_total_waits_for_a_level_is_unknown_with_the_level_asked_for():
    level = {"element": "framework_level", "framework": "fheq", "op": "eq", "value": "7"}
    p = policy(targets=[{
        "id": "t", "title": "T",
        "slots": [{"id": "s", "title": "S", "min": 1, "max": "any", "when": [{"element": "credits", "op": "known"}]}],
        "totals": [
            {"title": "30 at level 7", "of": {"element": "credits", "system": "uk_cats"}, "min": 30, "where": [level]},
            {"title": "at most 15 at level 6", "of": {"element": "credits", "system": "uk_cats"}, "max": 15, "where": [level | {"value": "6"}]},
        ],
    }])  # fmt: skip
    cred = Credential.of("c1", {"credits": Credits("uk_cats", Fraction(30))})
    [o] = evaluate(p, Wallet("k", (cred,)), AS_OF)["outcomes"]
    assert o["status"] == "unknown"
    assert [r["element"] for r in o["evidence_requests"]] == ["framework_level@fheq"]
    six = Credential.of(
        "c1", {"credits": Credits("uk_cats", Fraction(30)), "framework_level": Level("fheq", "6")}
    )
    assert evaluate(p, Wallet("k", (six,)), AS_OF)["outcomes"][0]["status"] == "not_met"


def test_yaml_reads_on_and_no_as_words_not_booleans():
    from rules.document import parse_document

    doc = parse_document(b"on: issued_on\ncode: no\nflag: true\nother: yes\n", "p.yaml")
    assert doc == {"on": "issued_on", "code": "no", "flag": True, "other": "yes"}


def test_the_explanation_names_the_table_its_version_and_the_row():
    p = policy(tables={"providers": PROVIDERS}, criteria=[criterion([APPROVED])])
    cred = Credential.of("c1", {"awarding_body": "Open Uni"})
    [row] = evaluate(p, Wallet("k", (cred,)), AS_OF)["outcomes"][0]["conditions"]
    assert row["table"]["id"] == "providers" and row["table"]["version"] == "2026-03"
    assert row["table"]["rows"] == [
        {"provider": "Open Uni", "status": "approved", "valid_from": "2019-01-01", "valid_to": None}
    ]


def test_reading_a_policy_pauses_the_collector_and_restores_it_even_on_errors():
    assert gc.isenabled()
    with pytest.raises(PolicyError):
        load_policy(policy_doc(tables={"t": {"rows": []}}))
    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with collector_paused():
            inside.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    inside.wait(10)
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread still reads
    release.set()
    other.join()
    assert gc.isenabled()
    gc.disable()
    try:
        policy(tables={"providers": PROVIDERS}, criteria=[criterion([APPROVED])])
        assert not gc.isenabled()  # a caller's own choice is kept
    finally:
        gc.enable()


def test_a_repeated_test_is_read_once_but_each_copy_is_checked_as_written():
    good = {"element": "proctored", "op": "eq", "value": True}
    bad = {"element": "proctored", "op": "eq", "value": 1}  # 1 is not true
    unknown = {"element": "proctord", "op": "eq", "value": True}
    criteria = [
        criterion([good]),
        {**criterion([good, bad]), "id": "k2"},
        {**criterion([unknown]), "id": "k3"},
        {**criterion([unknown]), "id": "k4"},
    ]
    with pytest.raises(PolicyError) as caught:
        policy(elements=DECLARED, criteria=criteria)
    paths = [p.path for p in caught.value.problems]
    assert paths == [
        "criteria[1].when[1].value",
        "criteria[2].when[0].element",
        "criteria[3].when[0].element",
    ]
    p = policy(elements=DECLARED, criteria=[criterion([good]), {**criterion([good]), "id": "k2"}])
    [a], [b] = (c.when.items for c in p.criteria)
    assert a == b and a.value is True


def test_provenance_is_not_a_name_a_policy_can_declare():
    with pytest.raises(PolicyError) as caught:
        policy(facts={"provenance": {"type": "text"}}, criteria=[criterion([APPROVED])],
               tables={"providers": PROVIDERS})  # fmt: skip
    [problem] = caught.value.problems
    assert problem.path == "facts.provenance" and "reserved for provenance" in problem.message


@pytest.mark.parametrize(("raw", "expected"), [("1,7", "met"), (2.3, "not_met"), ("2.0", "met")])
def test_a_grade_element_may_declare_the_scheme_its_plain_values_are_in(raw, expected):
    p = policy(
        elements={"average": {"type": "grade", "scheme": "de_grade", "label": "Durchschnittsnote"}},
        criteria=[
            criterion([{"element": "average", "scheme": "de_grade", "op": "lte", "value": 2}])
        ],
    )
    assert status_of(p, {}, "durable", {"average": raw}) == expected


def test_a_declared_grade_scheme_must_exist():
    with pytest.raises(PolicyError) as caught:
        policy(elements={"average": {"type": "grade", "scheme": "de_grades"}},
               criteria=[criterion([{"element": "average", "op": "known"}])])  # fmt: skip
    [problem] = caught.value.problems
    assert problem.path == "elements.average.scheme" and problem.suggestion == "de_grade"
