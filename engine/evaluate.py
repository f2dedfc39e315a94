"""Evaluate one learner's credentials against one policy: the function every front end calls.

The result is plain JSON-ready data. It is deterministic: credentials are put in id order, rules
and targets in id order, and the fingerprint hashes the normalised inputs, the policy digest and
the engine version, so an old decision can be replayed and compared byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from engine import durable_backend
from engine.compile import CompiledPolicy, compile_policy
from engine.errors import EvaluationInputError
from engine.explain import EvalContext, Excluded, evidence_requests
from engine.facts import effective
from engine.inputs import Credential, Wallet
from engine.matching import MATCHERS
from engine.recognition import recognition_outcome
from engine.semantics import MET, UNKNOWN, Context
from engine.stacking import Stacking
from rules.policy import Policy

ENGINE_VERSION = "0.1.0"
MAX_CREDENTIALS = 5000


_compiled: dict[str, CompiledPolicy] = {}


def compiled_for(policy: Policy) -> CompiledPolicy:
    """Compile once per policy version: the digest names the content."""
    found = _compiled.get(policy.digest)
    if found is None:
        if len(_compiled) >= 256:
            _compiled.clear()
        found = _compiled[policy.digest] = compile_policy(policy)
    return found


def engine_info() -> dict[str, str]:
    return {
        "name": "credstack",
        "version": ENGINE_VERSION,
        "matcher": durable_backend.ENGINE_NAME,
        "matcher_version": durable_backend.ENGINE_VERSION,
    }


def evaluate(policy: Policy, wallet: Wallet, as_of: dt.date, matcher: str = "durable") -> dict:
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise EvaluationInputError("as_of must be a date")
    if len(wallet.credentials) > MAX_CREDENTIALS:
        raise EvaluationInputError(
            f"{len(wallet.credentials)} credentials; at most {MAX_CREDENTIALS} per evaluation"
        )
    ids = [c.id for c in wallet.credentials]
    duplicates = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) != len(ids) else []
    if duplicates:
        raise EvaluationInputError(f"credential ids must be unique; repeated: {duplicates}")
    compiled = compiled_for(policy)
    # The compiled copy has the same content (same digest); its group objects key the blocks.
    policy = compiled.policy
    creds = [effective(c, policy.settings) for c in sorted(wallet.credentials, key=lambda c: c.id)]
    statuses = MATCHERS[matcher](compiled, creds, as_of)
    ctx = Context(as_of)
    ev = EvalContext(ctx, creds, statuses, lambda g: compiled.group_block[id(g)])

    excluded, exclusion_rows = _exclusions(policy, ev)
    recognition = [recognition_outcome(r, ev, excluded) for r in _by_id(policy.recognition)]
    stacking = Stacking(policy, ev, excluded)
    stacking_results, allocation, exhausted = stacking.outcomes()
    outcomes = recognition + stacking_results

    result: dict[str, Any] = {
        "policy": {
            "id": policy.id,
            "version": policy.version,
            "digest": policy.digest,
            "title": policy.title,
            "organisation": policy.organisation,
            "purpose": policy.purpose,
        },
        "engine": engine_info(),
        "as_of": as_of.isoformat(),
        "fingerprint": fingerprint(policy, creds, as_of),
        "summary": _summary(outcomes),
        "outcomes": outcomes,
        "exclusions": exclusion_rows,
        "unused": _unused(ev, recognition, allocation, stacking),
        "warnings": _warnings(policy, as_of, exhausted),
    }
    return result


def _by_id(items: tuple) -> list:
    return sorted(items, key=lambda x: x.id)


def _exclusions(policy: Policy, ev: EvalContext) -> tuple[dict[int, Excluded], list]:
    excluded: dict[int, Excluded] = {}
    rows = []
    for i, cred in enumerate(ev.credentials):
        hard, soft, requests = [], [], []
        for x in _by_id(policy.exclusions):
            status = ev.status(x.when, i)
            if status not in (MET, UNKNOWN):
                continue
            row = {"credential": cred.id, "exclusion": x.id, "status": status, "reason": x.reason}
            if status == MET:
                hard.append(x.reason)
            else:
                soft.append(x.reason)
                asked = evidence_requests(x.when, cred, ev.ctx, f"exclusion '{x.id}'")
                requests += asked
                row["evidence_requests"] = asked
            rows.append(row)
        if hard or soft:
            excluded[i] = Excluded(tuple(hard), tuple(soft), tuple(requests))
    return excluded, rows


def _unused(
    ev: EvalContext, recognition: list, allocation: dict, stacking: Stacking
) -> list[dict[str, Any]]:
    counted = {c for r in recognition if r["status"] == MET for c in r["credentials"]}
    for f in allocation.values():
        counted |= {ev.credentials[i].id for i in f.own}
    pending: dict[str, list[str]] = {}
    for r in recognition:
        for a in r["assessments"]:
            if a["status"] == UNKNOWN:
                pending.setdefault(a["credential"], []).append(
                    f"{r['rule']} (with more information)"
                )
    return [
        {"credential": c.id, "could_count_towards": stacking.could_count(i) + pending.get(c.id, [])}
        for i, c in enumerate(ev.credentials)
        if c.id not in counted
    ]


def _summary(outcomes: list[dict]) -> dict[str, int]:
    counts = {"met": 0, "not_met": 0, "unknown": 0, "not_applicable": 0}
    for o in outcomes:
        counts[o["status"]] += 1
    return counts


def _warnings(policy: Policy, as_of: dt.date, exhausted: bool) -> list[str]:
    out = []
    if as_of < policy.effective_from or (policy.effective_to and as_of > policy.effective_to):
        end = policy.effective_to.isoformat() if policy.effective_to else "open"
        out.append(
            f"The policy is in force from {policy.effective_from.isoformat()} to {end}; "
            f"the application date {as_of.isoformat()} is outside that period."
        )
    if exhausted:
        out.append(
            "The allocation search reached its budget; the allocation shown is the best "
            "found, and may not be optimal."
        )
    return out


def fingerprint(policy: Policy, credentials: list[Credential], as_of: dt.date) -> str:
    """sha256 over the normalised credentials, the as-of date, policy digest and engine version."""
    body = {
        "as_of": as_of.isoformat(),
        "policy": policy.digest,
        "engine": [ENGINE_VERSION, durable_backend.ENGINE_VERSION],
        "credentials": [
            {"id": c.id, "values": {k: _plain(v) for k, v in sorted(c.values.items())}}
            for c in sorted(credentials, key=lambda c: c.id)
        ],
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return sorted(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
