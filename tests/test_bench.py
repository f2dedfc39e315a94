"""The benchmark's inputs and baselines are sound: synthetic data is deterministic and valid, the
hand-written loop and zen-engine compute what the engine computes, and a tiny run has the shape
`credstack bench` prints. No wall-clock assertions."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from bench import facts_case
from bench.baselines import LoopMatcher, ZenMatcher, met_pairs
from bench.costs import profile
from bench.report import format_profile, format_report
from bench.run import run
from bench.synthetic import AS_OF, policy_document, wallet
from engine.compile import compile_policy
from engine.evaluate import evaluate
from engine.matching import match_durable, match_reference
from engine.views import plain_views
from rules.loader import load_policy
from tests.strategies import AS_OF as STRATEGY_AS_OF
from tests.strategies import policies, wallets


def _inputs(rules: int, credentials: int, seed: int = 0):
    policy = load_policy(policy_document(rules, seed))
    compiled = compile_policy(policy)
    creds = plain_views(
        policy, sorted(wallet(credentials, seed).credentials, key=lambda c: c.id), AS_OF
    )
    return compiled, creds


def test_synthetic_data_is_a_function_of_size_and_seed() -> None:
    assert json.dumps(policy_document(200, 3)) == json.dumps(policy_document(200, 3))
    assert policy_document(200, 3) != policy_document(200, 4)
    assert wallet(20, 1) == wallet(20, 1)
    assert wallet(20, 1) != wallet(20, 2)
    assert len(policy_document(50, 0)["recognition"]) == 50
    assert len(wallet(5, 0).credentials) == 5


@pytest.mark.parametrize("rules", [10, 50, 200, 1000])
def test_synthetic_policies_validate_and_compile(rules: int) -> None:
    doc = policy_document(rules, seed=1)
    policy = load_policy(doc)
    assert len(policy.recognition) == rules
    for rule in doc["recognition"]:
        assert 2 <= len(rule["checks"]) <= 4
        assert all(1 <= len(conditions) <= 3 for conditions in rule["checks"].values())
    compiled = compile_policy(policy)
    assert len(compiled.blocks) >= rules // 2


def test_synthetic_conditions_hold_sometimes_fail_often_and_are_sometimes_unknown() -> None:
    compiled, creds = _inputs(200, 20)
    statuses = [s for row in match_reference(compiled, creds, AS_OF).values() for s in row]
    shares = {s: statuses.count(s) / len(statuses) for s in ("met", "not_met", "unknown")}
    assert 0.03 < shares["met"] < 0.5
    assert shares["unknown"] > 0.02
    assert shares["not_met"] > 0.3


@pytest.mark.parametrize("rules,credentials,seed", [(10, 5, 0), (50, 20, 1), (200, 20, 2)])
def test_loop_agrees_with_reference_and_engine(rules: int, credentials: int, seed: int) -> None:
    compiled, creds = _inputs(rules, credentials, seed)
    loop = LoopMatcher(compiled)(creds, AS_OF)
    assert loop == match_reference(compiled, creds, AS_OF)
    assert loop == match_durable(compiled, creds, AS_OF)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), wallets())
def test_loop_agrees_with_reference_on_random_policies(doc, w) -> None:
    """Every operator and nesting the property tests use, text lists (case folding) included."""
    policy = load_policy(doc)
    compiled = compile_policy(policy)
    creds = plain_views(policy, sorted(w.credentials, key=lambda c: c.id), STRATEGY_AS_OF)
    assert LoopMatcher(compiled)(creds, STRATEGY_AS_OF) == match_reference(
        compiled, creds, STRATEGY_AS_OF
    )


@pytest.mark.parametrize("form", ["expression", "table"])
def test_zen_agrees_with_loop(form: str) -> None:
    compiled, creds = _inputs(50, 20, 3)
    loop = LoopMatcher(compiled)(creds, AS_OF)
    met_only = ZenMatcher(compiled, AS_OF, tristate=False, form=form)(creds, AS_OF)
    assert met_pairs(met_only) == met_pairs(loop)
    assert met_pairs(loop)  # the comparison is not vacuous
    assert ZenMatcher(compiled, AS_OF, form=form)(creds, AS_OF) == loop


def test_zen_refuses_another_application_date() -> None:
    compiled, creds = _inputs(10, 5)
    with pytest.raises(ValueError, match="another application date"):
        ZenMatcher(compiled, AS_OF)(creds, STRATEGY_AS_OF.replace(year=2020))


def test_tiny_run_has_every_part_of_the_report() -> None:
    sizes = {
        "cells": [(10, 5), (10, 200)],
        "contained_cells": [(10, 5)],
        "zen_table_cells": [(10, 5)],
        "target_cell": (10, 5),
        "wallets": 2,
        "warmup": 1,
        "min_repetitions": 3,
        "max_repetitions": 3,
        "throughput_cell": (10, 5),
        "throughput_s": 0.05,
        "compile_rules": 50,
        "compile_seeds": 2,
        "rss_cell": (10, 5),
        "rss_evaluations": 50,
        "facts_cell": (5, 4),
        "facts_rows": 200,
        "facts_compile_rules": 20,
    }
    result = run(quick=True, sizes=sizes)
    assert set(result) >= {
        "mode",
        "machine",
        "plan",
        "cells",
        "throughput",
        "compile",
        "rss",
        "targets",
    }
    assert {"python", "cpu_count"} <= set(result["machine"])
    cell = result["cells"]["10x5"]
    assert set(cell["series"]) == {
        "durable",
        "evaluate",
        "compact",
        "contained",
        "loop",
        "zen",
        "zen_met",
        "zen_table",
    }
    for stats in cell["series"].values():
        assert set(stats) == {"median_ms", "p95_ms", "min_ms", "n"} and stats["n"] == 3
    assert set(cell["ratios"]) >= {"evaluate/loop", "evaluate/zen", "durable/loop", "durable/zen"}
    assert all(cell["agreement"].values()) and "loop_equals_reference" in cell["agreement"]
    assert set(result["throughput"]) == {"cell", "evaluate", "contained", "contained_parallel"}
    assert {"validate_ms", "compile_ms", "register_ms", "total_ms"} <= set(result["compile"])
    assert "growth_mib_per_100k" in result["rss"]
    facts = result["facts"]
    assert facts["cell"] == "5x4" and facts["table_rows"] == 200
    assert facts["agreement"] == {"loop_equals_evaluate": True}
    assert set(facts["series"]) == {"evaluate", "durable", "views", "loop"}
    assert result["facts_compile"]["rules"] == 20 and result["facts_compile"]["total_ms"] > 0
    statuses = {t["name"]: t["status"] for t in result["targets"]}
    assert len(statuses) == 11
    # no 1,000-rule policy in a tiny run, with or without a table
    assert [s for n, s in statuses.items() if "compiled" in n] == ["n/a", "n/a"]
    measured = [s for n, s in statuses.items() if "compiled" not in n]
    assert all(s in ("PASS", "MISS") for s in measured), statuses
    per_credential = [n for n in statuses if "cost per credential" in n]
    assert len(per_credential) == 2  # full and compact, from 10×5 and 10×200
    json.dumps(result)  # --json prints the dict as it is
    text = format_report(result)
    assert "Targets:" in text and "10×5" in text and "200-row reference table at 5×4" in text
    assert "The scale table" in text and "10 × 200" in text


def test_profile_says_where_the_time_goes_phase_by_phase() -> None:
    p = profile((10, 5), evaluations=3)
    full, compact = p["breakdowns"]
    assert (full["detail"], compact["detail"]) == ("full", "compact")
    for b in (full, compact):
        phases = {row["phase"]: row for row in b["phases"]}
        assert phases["matching: facts built, durable-rules run"]["ms_per_evaluation"] > 0
        assert phases["recognition outcomes"]["ms_per_evaluation"] > 0
        assert 0.97 <= sum(row["share"] for row in b["phases"]) <= 1.03
    text = format_profile(p)
    assert text.count("Where the time goes") == 2 and "per-credential reports" in text


@pytest.mark.parametrize("seed", [0, 1])
def test_the_facts_loop_agrees_with_evaluate_and_is_not_vacuous(seed: int) -> None:
    document = facts_case.policy_document(12, rows=500, seed=seed)
    policy = load_policy(document)
    loop = facts_case.FactsLoop(document, AS_OF)
    w = facts_case.wallet(15, rows=500, seed=seed)
    expected = facts_case.engine_aspects(evaluate(policy, w, AS_OF))
    assert loop(w) == expected
    seen = {s for aspects in expected.values() for s in aspects.values()}
    assert seen == {"met", "not_met", "unknown"}


def test_the_api_benchmark_loads_the_production_server(tmp_path) -> None:
    from bench.api_load import format_api, measure
    from views.cli.bench_api import prepare

    path, token, request, evaluate_once = prepare(tmp_path)
    figures = measure(path, token, request, evaluate_once, seconds=0.3, levels=(1, 2), workers=1)
    assert figures["engine_alone_ms"] > 0 and figures["engine_alone_per_second"] > 0
    levels = figures["levels"]
    assert [level["concurrency"] for level in levels] == [1, 2]
    assert all(level["errors"] == 0 and level["requests"] > 0 for level in levels), levels
    assert all(level["p50_ms"] <= level["p99_ms"] for level in levels)
    assert figures["target"] in ("PASS", "MISS")
    text = format_api(figures)
    assert "evaluations/s" in text and "p99 ≤ 50 ms" in text and "baseline, same run" in text
