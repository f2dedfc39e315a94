"""A compact result is the full result less the rows that say why a credential does not meet a
recognition rule, and nothing else: checked on every golden case (fixtures, long records, stress
policies). The full result is rebuilt from the same inputs, and only from them."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from engine.errors import EvaluationInputError
from engine.evaluate import evaluate, full_result
from engine.inputs import Credential, Wallet
from tests import golden

KEPT = ("met", "unknown")


def project(full: dict) -> dict:
    """What the compact result must be, worked out from the full one."""
    out = copy.deepcopy(full)
    for outcome in out["outcomes"]:
        if outcome["kind"] == "recognition" and "assessments" in outcome:
            outcome["assessments"] = [a for a in outcome["assessments"] if a["status"] in KEPT]
    for entry in out["credentials"]:
        if "considered" in entry:
            entry["considered"] = [
                row for row in entry["considered"] if row["status"] in ("counted", *KEPT)
            ]
    out["detail"] = "compact"
    return out


def test_a_compact_result_is_the_full_one_without_the_not_met_rows():
    compared = 0
    for name, policy, learner, as_of in golden.cases():
        try:
            full = evaluate(policy, learner, as_of)
        except EvaluationInputError:
            continue
        compact = evaluate(policy, learner, as_of, detail="compact")
        assert golden.canonical(compact) == golden.canonical(project(full)), name
        compared += 1
    assert compared > 400


def test_the_full_result_is_rebuilt_from_the_same_inputs_only():
    name, policy, learner, as_of = next(c for c in golden.cases() if c[0] == "synthetic/200x50/0")
    compact = evaluate(policy, learner, as_of, detail="compact")
    rebuilt = full_result(compact, policy, learner, as_of)
    assert golden.canonical(rebuilt) == golden.canonical(evaluate(policy, learner, as_of))
    assert len(golden.canonical(compact)) < len(golden.canonical(rebuilt)) / 2
    other = Wallet(learner.learner_key, learner.credentials[1:])
    with pytest.raises(EvaluationInputError, match="fingerprints differ"):
        full_result(compact, policy, other, as_of)
    with pytest.raises(EvaluationInputError, match="fingerprints differ"):
        full_result(compact, policy, learner, as_of + dt.timedelta(days=1))


def test_an_unknown_detail_is_refused():
    learner = Wallet("learner", (Credential.of("c1", {"ects": 5}),))
    _, policy, _, as_of = next(golden.cases())
    with pytest.raises(EvaluationInputError, match="detail must be one of full, compact"):
        evaluate(policy, learner, as_of, detail="brief")
