"""The policy language: what loads, what is refused, and how the refusal reads."""

from __future__ import annotations

import copy
import json

import pytest

from rules.errors import PolicyError
from rules.loader import MAX_POLICY_BYTES, load_policy, parse_document

BASE = {
    "id": "p",
    "title": "Policy",
    "organisation": "Org",
    "purpose": "credit",
    "version": "1",
    "effective_from": "2026-01-01",
    "recognition": [
        {
            "id": "r1",
            "title": "Rule",
            "checks": {"level": [{"element": "eqf_level", "op": "gte", "value": 6}]},
        }
    ],
}


def with_changes(path: str, value: object) -> dict:
    """BASE with one value replaced; path like 'recognition.0.checks.level.0.op'."""
    doc = copy.deepcopy(BASE)
    parts = path.split(".")
    node = doc
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is DELETE:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return doc


DELETE = object()
ATOM = "recognition.0.checks.level.0"


def problems_of(doc: dict) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(doc)
    return [str(p) for p in info.value.problems]


def test_base_policy_loads_with_defaults():
    policy = load_policy(BASE)
    assert policy.recognition[0].tiers[0].level == "full"
    assert policy.recognition[0].tiers[0].requires == ("level",)
    assert policy.settings.hours_per_ects == 30.0
    assert len(policy.digest) == 64


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (f"{ATOM}.element", "eqf_levl", "element 'eqf_levl' is not known"),
        (f"{ATOM}.element", "eqf_levl", "did you mean 'eqf_level'"),
        (f"{ATOM}.op", "gtee", "did you mean 'gte'"),
        (f"{ATOM}.value", "6", "expected a whole number from 1 to 8 for eqf_level; got '6'"),
        (f"{ATOM}.value", 6.5, "expected a whole number from 1 to 8"),
        (f"{ATOM}.value", True, "expected a whole number"),
        (f"{ATOM}.value", 9, "from 1 to 8"),
        (f"{ATOM}.element", "learner", "personal data"),
        (f"{ATOM}.element", "grade", "grade is a structured value: say which scheme"),
        (f"{ATOM}.op", "starts_with", "does not apply to eqf_level"),
        (f"{ATOM}.share", 0.5, "share is only used with the 'covers' operator"),
        (f"{ATOM}.valeu", 1, "did you mean 'value'"),
        (f"{ATOM}.value", DELETE, "'gte' needs a value"),
        ("recognition.0.checks.level", [], "expected at least one condition"),
        ("recognition.0.checks.level", {"a": 1}, "expected a list of conditions"),
        ("recognition.0.checks.levle", [], "Must be one of"),
        ("purpose", "admision", "Must be one of"),
        ("effective_from", "2026-13-01", "effective_from"),
        ("effective_to", "2025-01-01", "effective_to is before effective_from"),
        ("versoin", "2", "did you mean 'version'"),
        ("recognition", [], "at least one recognition rule, target or criterion"),
    ],
)
def test_bad_policies_name_the_path_and_what_was_expected(path, value, expected):
    messages = problems_of(with_changes(path, value))
    assert any(expected in m for m in messages), messages


@pytest.mark.parametrize(
    ("element", "op", "value", "expected"),
    [
        ("issuer_country", "eq", "Sweden", "ISO 3166-1 alpha-2"),
        ("issued_on", "gte", "01/02/2020", "ISO date"),
        ("assessment_type", "eq", "writen_exam", "did you mean 'written_exam'"),
        ("field_of_study", "starts_with", "0613", "2- or 3-digit ISCED-F code"),
        ("field_of_study", "eq", 613, "ISCED-F code of 2 to 4 digits"),
        ("ects", "in", [], "list of 1 to 100 values"),
        ("ects", "gte", -1, "from 0 to 10000"),
        ("ects", "gte", 20000, "from 0 to 10000"),
        ("issued_on", "within_years", 0, "whole number of years from 1 to 100"),
        ("skills", "known", "x", "takes no value"),
    ],
)
def test_values_are_checked_against_the_element_type(element, op, value, expected):
    doc = with_changes(ATOM, {"element": element, "op": op, "value": value})
    messages = problems_of(doc)
    assert any(expected in m for m in messages), messages


def test_every_problem_is_reported_not_only_the_first():
    doc = with_changes(f"{ATOM}.element", "eqf_levl")
    doc["recognition"][0]["checks"]["workload"] = [{"element": "ects", "op": "gte", "value": "5"}]
    doc["targets"] = [
        {
            "id": "t",
            "title": "T",
            "slots": [{"id": "s", "title": "S", "maks": 3, "when": [{"element": "x"}]}],
        }
    ]
    text = "\n".join(problems_of(doc))
    assert "recognition[0].checks.level[0].element" in text
    assert "recognition[0].checks.workload[0].value" in text
    assert "targets[0].slots[0].maks: unknown key (did you mean 'max'?)" in text
    assert "targets[0].slots[0].when[0].element" in text


def test_cross_references_are_checked():
    doc = copy.deepcopy(BASE)
    doc["recognition"][0]["outcomes"] = [{"level": "full", "requires": ["workload"]}]
    doc["targets"] = [
        {"id": "a", "title": "A", "builds_on": ["b"], "slots": []},
        {"id": "b", "title": "B", "builds_on": ["a"], "slots": []},
        {
            "id": "c",
            "title": "C",
            "builds_on": ["dipoma"],
            "slots": [{"id": "s", "title": "S", "when": [{"equivalent_to": "DA101"}]}],
        },
    ]
    doc["examples"] = [
        {"name": "x", "as_of": "2026-02-01", "wallet": {"credentials": []}, "expect": {"r2": "met"}}
    ]
    text = "\n".join(problems_of(doc))
    assert "'workload' is not one of this rule's checks" in text
    assert "builds_on forms a cycle: a → b → a" in text
    assert "no target 'dipoma'" in text
    assert "no equivalence defines module 'DA101'" in text
    assert "examples[0].expect.r2: no recognition rule or target has this id" in text


def test_equivalences_expand_into_the_conditions():
    doc = copy.deepcopy(BASE)
    doc["equivalences"] = [
        {
            "module": "M1",
            "title": "Module",
            "when": [{"element": "title", "op": "eq", "value": "A"}],
        },
        {
            "module": "M1",
            "title": "Module",
            "when": [{"element": "title", "op": "eq", "value": "B"}],
        },
    ]
    doc["recognition"][0]["checks"]["learning_outcomes"] = [{"equivalent_to": "M1"}]
    policy = load_policy(doc)
    group = dict(policy.recognition[0].checks)["learning_outcomes"].items[0]
    assert group.kind == "any" and group.label == "equivalent to M1"
    assert len(group.items) == 2


def test_digest_ignores_the_order_of_rules_and_targets():
    doc = copy.deepcopy(BASE)
    doc["recognition"].append(copy.deepcopy(doc["recognition"][0]) | {"id": "r0"})
    shuffled = copy.deepcopy(doc)
    shuffled["recognition"].reverse()
    assert load_policy(doc).digest == load_policy(shuffled).digest
    changed = with_changes(f"{ATOM}.value", 7)
    assert load_policy(changed).digest != load_policy(BASE).digest


@pytest.mark.parametrize(
    ("raw", "name", "expected"),
    [
        (b"\xff\xfe\x00bad", "p.yaml", "not UTF-8"),
        (b"a: &x [1]\nb: *x\n", "p.yaml", "aliases"),
        (b"{", "p.json", "cannot be parsed"),
        (b"id: [unclosed", "p.yaml", "cannot be parsed"),
        (b"[" * 100 + b"]" * 100, "p.json", "nests"),
        (b"x" * (MAX_POLICY_BYTES + 1), "p.yaml", "at most"),
    ],
)
def test_unreadable_documents_get_a_clear_error(raw, name, expected):
    with pytest.raises(PolicyError) as info:
        parse_document(raw, name)
    assert expected in str(info.value)


def test_json_and_yaml_give_the_same_policy():
    as_json = parse_document(json.dumps(BASE).encode(), "p.json")
    as_yaml = parse_document(
        b"id: p\ntitle: Policy\norganisation: Org\npurpose: credit\nversion: '1'\n"
        b"effective_from: 2026-01-01\nrecognition:\n  - id: r1\n    title: Rule\n"
        b"    checks:\n      level: [{element: eqf_level, op: gte, value: 6}]\n",
        "p.yaml",
    )
    assert load_policy(as_json).digest == load_policy(as_yaml).digest
