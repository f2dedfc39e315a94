"""Invariants of policy language 2 on generated policies and wallets: the engine agrees with the
reference semantics on every block, results are deterministic and independent of order, more
information never overturns a decided answer, and what was not requested changes nothing."""

from __future__ import annotations

import json
import random
from types import MappingProxyType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.binding import bind
from engine.compile import compile_policy
from engine.evaluate import evaluate
from engine.inputs import Credential, Request, RequestItem, Wallet
from engine.matching import match_durable, match_reference
from engine.views import views_for
from rules.catalogue import APPLICATION, CREDENTIAL
from rules.loader import load_policy
from tests.strategies_v2 import AS_OF, policies, wallets

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _views(policy, wallet):
    creds = sorted(wallet.credentials, key=lambda c: c.id)
    views, application = views_for(policy, bind(policy, wallet, creds), creds, AS_OF)
    return {CREDENTIAL: views, APPLICATION: [application]}


@SETTINGS
@given(policies(), wallets())
def test_engine_agrees_with_reference_on_every_block_of_every_new_construct(doc, wallet):
    policy = load_policy(doc)
    compiled = compile_policy(policy)
    views = _views(policy, wallet)
    assert match_durable(compiled, views, AS_OF) == match_reference(compiled, views, AS_OF)


@SETTINGS
@given(policies(), wallets())
def test_full_results_with_requests_are_the_same_from_engine_and_reference(doc, wallet):
    policy = load_policy(doc)
    assert evaluate(policy, wallet, AS_OF, "durable") == evaluate(
        policy, wallet, AS_OF, "reference"
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), wallets(), st.randoms(use_true_random=False))
def test_order_of_credentials_rows_and_criteria_changes_nothing(doc, wallet, rnd):
    first = evaluate(load_policy(doc), wallet, AS_OF)
    shuffled = json.loads(json.dumps(doc, default=str))
    rnd.shuffle(shuffled["criteria"])
    rows = shuffled["tables"]["providers"]["rows"]
    rnd.shuffle(rows)
    creds = list(wallet.credentials)
    rnd.shuffle(creds)
    again = Wallet(wallet.learner_key, tuple(creds), wallet.applicant, wallet.request)
    second = evaluate(load_policy(shuffled), again, AS_OF)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


@SETTINGS
@given(policies(), wallets(), st.integers(0, 2**32 - 1))
def test_filling_in_facts_never_overturns_a_decided_answer(doc, wallet, seed):
    """Monotonicity: with facts missing, a decided disposition stays; a pending one becomes one
    of the answers it said it could become (or stays pending among fewer). An element declared
    with `if_absent` is never dropped: the policy makes its absence a fact, not an unknown."""
    policy = load_policy(doc)
    rnd = random.Random(seed)
    decisive = {k for k, d in doc.get("elements", {}).items() if "if_absent" in d}
    partial_facts = {k: v for k, v in wallet.applicant.items() if rnd.random() < 0.5}
    partial_creds = tuple(
        Credential.of(c.id, {k: v for k, v in c.values.items() if rnd.random() < 0.7},
                      extensions={k: v for k, v in c.extensions.items()
                                  if k in decisive or rnd.random() < 0.7})
        for c in wallet.credentials
    )  # fmt: skip
    partial = Wallet("learner", partial_creds, MappingProxyType(partial_facts), wallet.request)
    [before] = evaluate(policy, partial, AS_OF)["dispositions"]
    [after] = evaluate(policy, wallet, AS_OF)["dispositions"]
    if before["disposition"] != "pending_evidence":
        assert after["disposition"] == before["disposition"]
    elif after["disposition"] == "pending_evidence":
        assert set(after["possible"]) <= set(before["possible"])
    else:
        assert after["disposition"] in before["possible"]


@SETTINGS
@given(policies(), wallets())
def test_what_was_not_requested_never_changes_an_answer(doc, wallet):
    policy = load_policy(doc)
    more = dict(doc)
    more["targets"] = doc["targets"] + [{
        "id": "greedy", "title": "A target nobody asked for",
        "slots": [{"id": "all", "title": "All", "min": 1, "max": "any", "when": [{"element": "title", "op": "known"}]}],
    }]  # fmt: skip
    more["criteria"] = doc["criteria"] + [
        {
            "id": "extra",
            "title": "Unasked",
            "about": "application",
            "when": [{"fact": "native", "op": "eq", "value": False}],
        }
    ]
    a = evaluate(policy, wallet, AS_OF)["dispositions"]
    b = evaluate(load_policy(more), wallet, AS_OF)["dispositions"]
    assert a == b


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), wallets())
def test_same_inputs_give_byte_identical_results_and_fingerprints(doc, wallet):
    runs = {json.dumps(evaluate(load_policy(doc), wallet, AS_OF), sort_keys=True) for _ in range(3)}
    assert len(runs) == 1


@settings(max_examples=10, deadline=None)
@given(policies())
def test_a_request_is_part_of_the_fingerprint(doc):
    policy = load_policy(doc)
    asked = Wallet("k", (), MappingProxyType({}), Request((RequestItem("r1", "ask"),)))
    assert (
        evaluate(policy, asked, AS_OF)["fingerprint"]
        != evaluate(policy, Wallet("k", ()), AS_OF)["fingerprint"]
    )
