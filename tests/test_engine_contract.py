"""What the engine promises about durable-rules' known traps (ARCHITECTURE.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import durable_backend
from engine.compile import MAX_FACT_FIELDS, MAX_RULES_PER_GROUP, compile_policy
from engine.errors import EngineCompileError
from engine.inputs import Credential
from engine.matching import match_durable, match_reference
from rules.loader import load_policy
from tests.builders import policy_doc

AS_OF = dt.date(2026, 9, 1)


def policy_with(rules: list[dict]) -> dict:
    return policy_doc(recognition=rules)


def ects_rule(i: int) -> dict:
    return {
        "id": f"r{i}",
        "title": f"R{i}",
        "checks": {"workload": [{"element": "ects", "op": "gte", "value": i / 10}]},
    }


def test_sessions_are_deleted_so_thousands_of_evaluations_do_not_crash():
    # durable-rules allows 1,024 live sessions per ruleset; forgetting to delete crashes ~1,000 in.
    compiled = compile_policy(load_policy(policy_with([ects_rule(i) for i in range(5)])))
    creds = [Credential.of("a", {"ects": 0.3}), Credential.of("b", {})]
    first = match_durable(compiled, creds, AS_OF)
    for _ in range(1500):
        assert match_durable(compiled, creds, AS_OF) == first


def test_a_fact_matching_every_rule_stays_within_the_64_rule_limit():
    # 200 blocks that all hold for one credential: one fact would exceed 64 matches (error 303).
    compiled = compile_policy(load_policy(policy_with([ects_rule(i) for i in range(200)])))
    assert compiled.groups * MAX_RULES_PER_GROUP >= 2 * len(compiled.blocks)
    creds = [Credential.of("a", {"ects": 100.0})]
    assert match_durable(compiled, creds, AS_OF) == match_reference(compiled, creds, AS_OF)


def test_identical_condition_groups_share_one_block_and_registration_happens_once():
    rules = [ects_rule(5), ects_rule(5) | {"id": "copy"}]
    compiled = compile_policy(load_policy(policy_with(rules)))
    assert len(compiled.blocks) == 1
    durable_backend.register(compiled.name, compiled.ruleset)
    durable_backend.register(compiled.name, compiled.ruleset)  # a second time is a no-op


def test_fact_ids_never_collide_in_the_engines_hash():
    ids = durable_backend._fact_ids(200_000)
    assert len({durable_backend.fnv1a_32(i) for i in ids}) == len(ids)


def test_fnv1a_matches_the_engine():
    # Two ids with the same FNV-1a hash: durable-rules sees the second as the first again.
    assert durable_backend.fnv1a_32("x496069") == durable_backend.fnv1a_32("x1035124")
    assert durable_backend.fnv1a_32("x9649") != durable_backend.fnv1a_32("x848400")


def test_a_policy_needing_too_many_fact_fields_is_refused_clearly():
    skills = [f"http://data.europa.eu/esco/skill/s{i}" for i in range(MAX_FACT_FIELDS)]
    rules = [
        {
            "id": f"r{i}",
            "title": "R",
            "checks": {"learning_outcomes": [{"element": "skills", "op": "contains", "value": s}]},
        }
        for i, s in enumerate(skills)
    ]
    with pytest.raises(EngineCompileError, match="fact fields"):
        compile_policy(load_policy(policy_with(rules)))


def test_a_condition_that_explodes_into_alternatives_is_refused_clearly():
    def values(i):
        return {
            "ects": i + 1.0,
            "eqf_level": i + 1,
            "workload_hours": i + 1.0,
            "issued_on": f"2020-01-0{i + 1}",
        }

    anys = [
        {"any": [{"element": f, "op": "gte", "value": v} for f, v in values(i).items()]}
        for i in range(6)
    ]  # 4^6 = 4,096 alternative paths, none contradictory
    rules = [{"id": "r", "title": "R", "checks": {"workload": anys}}]
    with pytest.raises(EngineCompileError, match="alternatives"):
        compile_policy(load_policy(policy_with(rules)))


def test_compiled_rules_never_test_engine_reserved_fields():
    compiled = compile_policy(load_policy(policy_with([ects_rule(i) for i in range(3)])))
    text = str(compiled.ruleset)
    assert "'sid'" not in text and "'id'" not in text


def _eq(element, value):
    return {"element": element, "op": "eq", "value": value}


def test_groups_expanding_into_many_alternatives_still_register():
    """Regression: durable-rules refused (error 113) an OR of 14+ ANDs, which 'may hold' forms
    of two small any-groups produce; alternatives are now spread over several rules."""
    when = [
        {"any": [_eq("assessment_type", "written_exam"), _eq("assessment_type", "project")]},
        {"any": [_eq("awarding_body", "uni-a"), _eq("awarding_body", "uni-b"), _eq("ects", 0.0)]},
    ]
    target = {"id": "t", "title": "T", "slots": [{"id": "s", "title": "S", "when": when}]}
    compiled = compile_policy(load_policy(policy_doc(targets=[target])))
    creds = [
        Credential.of("a", {}),
        Credential.of("b", {"assessment_type": "project"}),
        Credential.of("c", {"assessment_type": "project", "awarding_body": "uni-b"}),
    ]
    assert match_durable(compiled, creds, AS_OF) == match_reference(compiled, creds, AS_OF)
