"""Evaluation for batches: one canonical text per result, policies held per worker by digest.

A batch sends its policy to each worker once (as `engine.service.evaluate_payload` does), then
only the digest; a worker keeps the validated policies it was sent. `evaluate_text` returns the
result of `engine.evaluate.evaluate` as canonical JSON (keys sorted, no spaces, UTF-8 text) with
the few figures a batch summarises, so that a result written by a batch is byte for byte the
result of one evaluation, whichever process or machine computed it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from engine.evaluate import evaluate
from engine.inputs import Wallet
from engine.service import PolicyNotLoaded
from rules.policy import Policy

# rule id, status, level (recognition outcomes have one; None elsewhere)
OutcomeRow = tuple[str, str, str | None]
_policies: dict[str, Policy] = {}  # in the worker: validated policies by digest
_KEEP = 32  # policy versions a worker holds at most


def policy_for(digest: str, policy: Policy | None = None) -> Policy:
    """The policy of `digest`, remembering `policy` if given; raises `PolicyNotLoaded` when this
    process has not been sent it yet (the caller then sends it once)."""
    found = _policies.get(digest)
    if found is not None:
        return found
    if policy is None:
        raise PolicyNotLoaded(digest)
    if policy.digest != digest:
        raise ValueError(f"the policy sent has digest {policy.digest}, not {digest}")
    if len(_policies) >= _KEEP:
        _policies.clear()
    _policies[digest] = policy
    return policy


def canonical(result: dict[str, Any]) -> str:
    """The one text of a result: sorted keys, no spaces, non-ASCII as is, no NaN."""
    return json.dumps(
        result, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def outcome_rows(result: dict[str, Any]) -> tuple[OutcomeRow, ...]:
    """Each outcome's rule, status and (recognition) level, in the result's order."""
    rows = []
    for o in result["outcomes"]:
        decided = o.get("outcome")
        level = decided.get("level") if isinstance(decided, dict) else None
        rows.append((o["rule"], o["status"], level if isinstance(level, str) else None))
    return tuple(rows)


def evaluate_text(
    policy: Policy, wallet: Wallet, as_of: dt.date, matcher: str = "durable", detail: str = "full"
) -> tuple[str, tuple[OutcomeRow, ...]]:
    """`evaluate(...)` as canonical text, with its outcome rows."""
    result = evaluate(policy, wallet, as_of, matcher, detail)
    return canonical(result), outcome_rows(result)
