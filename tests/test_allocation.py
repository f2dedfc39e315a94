"""The allocation search: pruning never changes a result, and the node budget does not decide
answerable targets.

The reference is the same depth-first search with nothing pruned and no budget (it is what the
search order means); on small generated policies and wallets the pruned search must give the
same result byte for byte. And on wallets of up to 200 credentials, where the search used to run
out of its budget and call a target that could be met "unknown", it now finishes."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from bench.synthetic import AS_OF, policy_document, wallet
from engine import stacking
from engine.allocation import Problem
from engine.evaluate import evaluate
from engine.inputs import Credential, Wallet
from rules.loader import load_policy
from tests.strategies import AS_OF as GENERATED_AS_OF
from tests.strategies import policies, wallets


def _unpruned(**fields):
    return Problem(**{**fields, "possible": None, "budget": 10**9})


def _canonical(result):
    return json.dumps(result, sort_keys=True)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(max_rules=1, max_targets=3), wallets(max_size=7))
def test_pruning_never_changes_a_result(doc, learner):
    policy = load_policy(doc)
    pruned = evaluate(policy, learner, GENERATED_AS_OF)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stacking, "Problem", _unpruned)
        reference = evaluate(policy, learner, GENERATED_AS_OF)
    assert _canonical(pruned) == _canonical(reference)


@pytest.mark.parametrize(
    ("rules", "credentials", "seed"),
    [(10, 200, 0), (10, 200, 1), (50, 200, 1), (200, 50, 2), (50, 20, 3)],
)
def test_the_budget_does_not_decide_targets_on_long_records(rules, credentials, seed):
    result = evaluate(
        load_policy(policy_document(rules, seed=seed)), wallet(credentials, seed), AS_OF
    )
    assert not any("budget" in w for w in result["warnings"])
    stacked = [o for o in result["outcomes"] if o["kind"] == "stacking"]
    assert stacked
    # A met target's slots hold distinct credentials, and no credential counts twice.
    used = [c for o in stacked if o["status"] == "met" for c in o["credentials"]]
    assert len(used) == len(set(used))


def test_targets_that_long_records_can_meet_are_met():
    # Seed 1 of the 10-rule policy with 200 credentials: both targets can be met; the search
    # used to exhaust its budget and report one unknown and one not met.
    result = evaluate(load_policy(policy_document(10, seed=1)), wallet(200, seed=1), AS_OF)
    statuses = {o["rule"]: o["status"] for o in result["outcomes"] if o["kind"] == "stacking"}
    assert statuses == {"t0": "met", "t1": "met"}


@pytest.mark.parametrize(
    ("ects", "needed", "status"),
    [((5, 5), 10, "met"), ((5, 4.5), 10, "not_met"), ((6, 5), 10, "met"), ((10,), 10, "not_met")],
)
def test_an_ects_minimum_reached_exactly_is_met(ects, needed, status):
    """The pruning bound and the leaf test agree at the boundary (a total equal to the minimum
    meets it); one credential cannot fill a slot that needs two."""
    doc = {
        "id": "exact", "title": "Exact", "organisation": "Test", "purpose": "credit",
        "version": "1", "effective_from": "2020-01-01",
        "targets": [{
            "id": "t", "title": "Target", "min_total_ects": needed,
            "slots": [{"id": "s", "title": "Any", "min": 2, "max": "any",
                       "when": [{"element": "ects", "op": "gte", "value": 1}]}],
        }],
    }  # fmt: skip
    learner = Wallet(
        "learner", tuple(Credential.of(f"c{i}", {"ects": e}) for i, e in enumerate(ects))
    )
    result = evaluate(load_policy(doc), learner, GENERATED_AS_OF)
    assert [o["status"] for o in result["outcomes"]] == [status]
