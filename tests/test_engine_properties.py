"""Invariants over generated policies and wallets: the engine (durable-rules) agrees with the
reference semantics on every block and credential; results are deterministic and independent of
the order of credentials and rules; tri-state logic is monotone in information."""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.compile import compile_policy
from engine.errors import EngineCompileError
from engine.evaluate import evaluate
from engine.inputs import Credential, Wallet
from engine.matching import match_durable, match_reference
from engine.views import plain_views
from rules.loader import load_policy
from tests.strategies import AS_OF, policies, wallets

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _creds(policy, wallet):
    return plain_views(policy, sorted(wallet.credentials, key=lambda c: c.id), AS_OF)


def _compile(policy):
    """Compile, or prove the policy is refused with the engine's clear compile error."""
    try:
        return compile_policy(policy)
    except EngineCompileError as exc:
        assert "at most" in str(exc)
        return None


@SETTINGS
@given(policies(), wallets())
def test_engine_agrees_with_reference_on_every_block(doc, wallet):
    policy = load_policy(doc)
    compiled = _compile(policy)
    if compiled is None:
        return
    creds = _creds(policy, wallet)
    assert match_durable(compiled, creds, AS_OF) == match_reference(compiled, creds, AS_OF)


@SETTINGS
@given(policies(), wallets())
def test_full_result_is_the_same_from_engine_and_reference(doc, wallet):
    policy = load_policy(doc)
    durable = evaluate(policy, wallet, AS_OF, "durable")
    reference = evaluate(policy, wallet, AS_OF, "reference")
    assert durable == reference


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), wallets(), st.randoms(use_true_random=False))
def test_order_of_credentials_and_rules_changes_nothing(doc, wallet, rnd):
    first = evaluate(load_policy(doc), wallet, AS_OF)
    shuffled_doc = dict(doc, recognition=list(doc["recognition"]), targets=list(doc["targets"]))
    rnd.shuffle(shuffled_doc["recognition"])
    rnd.shuffle(shuffled_doc["targets"])
    for t in shuffled_doc["targets"]:
        rnd.shuffle(t["slots"])
    creds = list(wallet.credentials)
    rnd.shuffle(creds)
    second = evaluate(load_policy(shuffled_doc), Wallet(wallet.learner_key, tuple(creds)), AS_OF)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), wallets())
def test_same_inputs_give_byte_identical_results(doc, wallet):
    runs = {json.dumps(evaluate(load_policy(doc), wallet, AS_OF), sort_keys=True) for _ in range(3)}
    assert len(runs) == 1


@SETTINGS
@given(policies(), wallets(), st.integers(0, 2**32 - 1))
def test_more_information_never_flips_a_decided_block(doc, wallet, seed):
    """Kleene monotonicity: filling in an absent element turns unknown into met or not met, but
    never changes a met or not-met block."""
    policy = load_policy(doc)
    compiled = compile_policy(policy)
    complete = _creds(policy, wallet)
    rnd = random.Random(seed)
    partial = [
        Credential.of(c.id, {k: v for k, v in c.values.items() if rnd.random() < 0.6})
        for c in complete
    ]
    before = match_durable(compiled, partial, AS_OF)
    after = match_durable(compiled, complete, AS_OF)
    for block, statuses in before.items():
        for old, new in zip(statuses, after[block], strict=True):
            assert old == "unknown" or old == new


@SETTINGS
@given(policies(max_rules=0), wallets(), wallets())
def test_adding_credentials_never_reduces_targets_met(doc, wallet, more):
    policy = load_policy(doc)
    extra = tuple(Credential.of("z" + c.id, dict(c.values)) for c in more.credentials)
    bigger = Wallet(wallet.learner_key, wallet.credentials + extra)

    def met(result):
        return sum(o["status"] == "met" for o in result["outcomes"] if o["kind"] == "stacking")

    small, large = evaluate(policy, wallet, AS_OF), evaluate(policy, bigger, AS_OF)
    if not small["warnings"] and not large["warnings"]:  # an exhausted search proves nothing
        assert met(large) >= met(small)
