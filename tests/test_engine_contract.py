"""What the engine promises about durable-rules' known traps (ARCHITECTURE.md)."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from engine import durable_backend
from engine.compile import MAX_FACT_FIELDS, MAX_RULES_PER_GROUP, compile_policy
from engine.errors import EngineCompileError, EngineError
from engine.inputs import Credential
from engine.matching import match_durable, match_reference
from engine.network import STACK, Network
from engine.worker import WorkerPool
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


def test_a_condition_that_explodes_into_alternatives_is_decided_by_the_reference_semantics():
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
    # Too large for the engine's expressions (it used to be refused): decided into a 0/1 field.
    compiled = compile_policy(load_policy(policy_with(rules)))
    assert [d.atom for d in compiled.derived] == [b.group for b in compiled.blocks]
    high = {"ects": 9.0, "eqf_level": 8, "workload_hours": 9.0, "issued_on": dt.date(2021, 1, 1)}
    low = {"ects": 0.5, "eqf_level": 1, "workload_hours": 0.5, "issued_on": dt.date(2019, 1, 1)}
    creds = [Credential.of("a", high), Credential.of("b", {}), Credential.of("c", low)]
    statuses = match_durable(compiled, creds, AS_OF)
    assert statuses == match_reference(compiled, creds, AS_OF)
    assert list(statuses.values()) == [("met", "unknown", "not_met")]


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


def test_the_network_model_bounds_the_engines_stack_exactly_where_it_fails():
    """65 alternatives of one `$or` that all hold fail with error 303 (then crash); 64 do not.
    The model's bound is that number, and random groups it accepts run (in a worker)."""
    run = "tests.worker_targets:run_rules"

    def alternatives(n: int) -> dict:
        return {"$and": [{"g": 0}, {"$or": [{"$gte": {"e0": k}} for k in range(n)]}]}

    assert Network(budget=STACK).add(alternatives(64)) is None
    assert "65 entries" in Network(budget=STACK).add(alternatives(65))
    equal = Network()
    assert equal.add({"$and": [{"g": 0}, {"$or": [{"e0": k} for k in range(100)]}]}) is None
    assert equal.root.stack() == 1  # a value equals one of the constants at most

    rng = random.Random(7)

    def test() -> dict:
        field, value = rng.choice("abc"), rng.randint(0, 6)
        op = rng.choice(("eq", "$neq", "$gt", "$gte", "$lt", "$lte", "$nex"))
        return {field: value} if op == "eq" else {op: {field: 1 if op == "$nex" else value}}

    def expression() -> dict:
        tests: list = [{"g": 0}]
        for _ in range(rng.randint(1, 3)):
            alternatives = [test() for _ in range(rng.randint(1, 12))]
            tests.append(alternatives[0] if len(alternatives) == 1 else {"$or": alternatives})
        return {"$and": tests}

    with WorkerPool(size=1, timeout=20) as pool:
        facts = [{"g": 0, "c": 0, "e0": 1000}]
        assert pool.call(run, {"rules": {"r": {"all": [{"m": alternatives(64)}]}}, "facts": facts})
        with pytest.raises(EngineError):
            pool.call(run, {"rules": {"r": {"all": [{"m": alternatives(65)}]}}, "facts": facts})
        for _ in range(40):  # groups the model lets need up to the engine's whole stack
            network, rules = Network(budget=STACK), {}
            for i in range(rng.randint(5, 40)):
                expr = expression()
                if network.add(expr) is None:
                    rules[f"r{i}"] = {"all": [{"m": expr}]}
            facts = [
                {"g": 0, "c": i, **{f: rng.randint(-1, 7) for f in "abc" if rng.random() < 0.8}}
                for i in range(20)
            ]
            pool.call(run, {"rules": rules, "facts": facts})


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"b1:s": {"m": {"c": 3, "g": 0, "sid": "0", "id": "f4"}}}', ("b1:s", [3])),
        ('{"b2:o:1": [{"m": {"g": 1, "c": 0}}, {"m": {"c": 12,"e0": 5}}]}', ("b2:o:1", [0, 12])),
        # A text value that looks like the index key is escaped inside its string.
        ('{"b1:r": [{"m": {"e0": "x,\\"c\\":99", "c": 7}}]}', ("b1:r", [7])),
        ('{"b1:r": [{"m": {"e1": ["{\\"c\\": 5}"], "c": 2}}]}', ("b1:r", [2])),
        ('{"b1:s": [{"m": {"_dc": 4, "e0": "c", "e1": "\\\\", "c": 9}}]}', ("b1:s", [9])),
    ],
)
def test_the_matched_credentials_are_read_from_a_reply_without_decoding_it(reply, expected):
    assert durable_backend.fired(reply) == expected
    ((rule, found),) = json.loads(reply).items()
    found = found if isinstance(found, list) else [found]
    assert expected == (rule, [m["m"]["c"] for m in found])


def test_a_reply_without_a_rule_name_is_a_malfunction():
    with pytest.raises(EngineError):
        durable_backend.fired("[]")
