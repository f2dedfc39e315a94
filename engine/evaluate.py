"""Evaluate one learner's credentials against one policy: the function every front end calls.

The result is plain JSON-ready data. It is deterministic: credentials are put in id order, rules
and targets in id order, and the fingerprint hashes the normalised inputs, the policy digest and
the engine version, so an old decision can be replayed and compared byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from typing import Any

from engine import durable_backend
from engine.binding import bind
from engine.compile import CompiledPolicy, compile_policy
from engine.criteria import criterion_outcome
from engine.decide import Decider, applicable, considered, no_rule
from engine.errors import EvaluationInputError
from engine.every_credential import credential_reports
from engine.explain import EvalContext, Excluded, evidence_requests
from engine.inputs import Credential, Wallet, to_plain
from engine.matching import MATCHERS
from engine.recognition import recognition_outcome
from engine.semantics import MET, UNKNOWN, Context
from engine.stacking import Stacking
from engine.views import views_for
from rules.catalogue import APPLICATION, CREDENTIAL, OUTCOME
from rules.policy import Policy

ENGINE_VERSION = "0.2.0"
MAX_CREDENTIALS = 5000
ALTERNATIVE_KEYS = ("request", "title", "disposition", "label", "favourable", "reasons", "options")


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


DETAILS = ("full", "compact")


def evaluate(
    policy: Policy, wallet: Wallet, as_of: dt.date, matcher: str = "durable", detail: str = "full"
) -> dict:
    """The explained result. `detail="compact"` leaves out the rows that say why a credential
    does not meet a recognition rule (its assessment and its per-credential row); everything
    else is as in the full result, which `full_result` rebuilds from the same inputs."""
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise EvaluationInputError("as_of must be a date")
    if detail not in DETAILS:
        raise EvaluationInputError(f"detail must be one of {', '.join(DETAILS)}; got {detail!r}")
    compact = detail == "compact"
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
    creds = sorted(wallet.credentials, key=lambda c: c.id)
    bound = bind(policy, wallet, creds)
    views, application = views_for(policy, bound, creds, as_of)
    match = MATCHERS[matcher]
    ctx = Context(as_of, policy, words=compiled.words, by_value=compiled.by_value)
    statuses = match(compiled, {CREDENTIAL: views, APPLICATION: [application]}, as_of, ctx)
    ev = EvalContext(ctx, views, statuses, lambda g: compiled.group_block[id(g)], application)

    requested = considered(policy, bound.items) if wallet.request is not None else None
    excluded, exclusion_rows = _exclusions(policy, ev)
    recognition = [
        recognition_outcome(r, ev, excluded, compact) for r in _by_id(policy.recognition)
    ]
    criteria = [criterion_outcome(c, ev, excluded) for c in _by_id(policy.criteria)]
    stacking = Stacking(policy, ev, excluded, requested)
    stacking_results, allocation, exhausted = stacking.outcomes()
    outcomes = recognition + criteria + stacking_results
    if requested is not None:
        outcomes = [o if o["rule"] in requested else _not_requested(o) for o in outcomes]
        outcomes += [
            _not_requested({"rule": t.id, "kind": "stacking", "title": t.title})
            for t in _by_id(policy.targets)
            if t.id not in requested
        ]
    outcomes.sort(key=lambda o: o["rule"])
    by_rule = {o["rule"]: o for o in outcomes}
    dispositions = _dispositions(policy, compiled, match, ev, by_rule, bound, as_of, exclusion_rows)

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
        "fingerprint": fingerprint(policy, creds, as_of, wallet),
        "summary": _summary(outcomes),
        "dispositions": dispositions,
        "outcomes": outcomes,
        "credentials": credential_reports(
            policy, ev, excluded, by_rule, allocation, requested, compact
        ),
        "set_aside": [r for r in exclusion_rows if r["status"] == MET],
        "exclusions": exclusion_rows,
        "unused": _unused(ev, recognition, criteria, allocation, stacking, excluded),
        "warnings": _warnings(policy, as_of, exhausted, outcomes, bound),
    }
    if compact:
        result["detail"] = "compact"
    return result


def full_result(
    compact: dict, policy: Policy, wallet: Wallet, as_of: dt.date, matcher: str = "durable"
) -> dict:
    """The full result behind a compact one, from the same inputs: refused (EvaluationInputError)
    unless they are the inputs the compact result was computed from (same fingerprint)."""
    full = evaluate(policy, wallet, as_of, matcher)
    if full["fingerprint"] != compact.get("fingerprint"):
        raise EvaluationInputError(
            "these are not the inputs of that result: the fingerprints differ "
            f"({compact.get('fingerprint')} was evaluated, these give {full['fingerprint']})"
        )
    return full


def _not_requested(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "rule": o["rule"],
        "kind": o["kind"],
        "title": o.get("title"),
        "status": "not_applicable",
        "outcome": None,
        "credentials": [],
        "conditions": [],
        "missing": [],
        "evidence_requests": [],
        "reasons": ["Not applicable: not requested."],
        "not_requested": True,
    }


def _dispositions(
    policy: Policy, compiled: Any, match: Any, ev: EvalContext, by_rule: dict, bound: Any,
    as_of: dt.date, exclusions: list,
) -> list[dict[str, Any]]:  # fmt: skip
    """One disposition per request item; the decision tables run through the engine."""
    aside: dict[str, list[str]] = {}
    for row in exclusions:
        if row["status"] == MET:
            aside.setdefault(row["credential"], []).append(row["reason"])
    decider = Decider(policy, ev, by_rule, aside)
    plans, views = [], []
    for item, kind, choices in bound.items:
        if not applicable(item, kind):
            plans.append((item, kind, None))
            continue
        views.append(decider.view(item, kind, choices, item.id))
        plans.append((item, kind, len(views) - 1))
    statuses = match(compiled, {OUTCOME: views}, as_of) if views else {}
    out = []
    for item, kind, index in plans:
        if index is None:
            out.append(decider.result(item, kind, no_rule(item, kind)))
            continue
        rows = {r.id: statuses[compiled.group_block[id(r.when)]][index] for r in kind.rows}
        result = decider.result(item, kind, decider.decide(kind, rows, views[index], item))
        if not result["favourable"] and result["disposition"] != "pending_evidence":
            result["alternatives"] = _alternatives(
                decider, compiled, match, kind, item, bound, as_of
            )
        out.append(result)
    return out


def _alternatives(decider: Any, compiled: Any, match: Any, kind: Any, item: Any, bound: Any,
                  as_of: dt.date) -> list[dict[str, Any]]:  # fmt: skip
    """How each next-best request kind would be answered for the same item."""
    out = []
    for other_id in kind.next_best:
        other = decider.kinds[other_id]
        alt = replace(item, kind=other_id, names=None)
        if not applicable(alt, other):
            found = decider.result(alt, other, no_rule(alt, other))
            out.append({k: found[k] for k in ALTERNATIVE_KEYS})
            continue
        view = decider.view(alt, other, {}, f"{item.id}~{other_id}")
        statuses = match(compiled, {OUTCOME: [view]}, as_of)
        rows = {r.id: statuses[compiled.group_block[id(r.when)]][0] for r in other.rows}
        found = decider.result(alt, other, decider.decide(other, rows, view, alt))
        out.append({k: found[k] for k in ALTERNATIVE_KEYS})
    return out


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
    ev: EvalContext,
    recognition: list,
    criteria: list,
    allocation: dict,
    stacking: Stacking,
    excluded: dict,
) -> list[dict[str, Any]]:
    counted = {c for r in recognition if r["status"] == MET for c in r["credentials"]}
    counted |= {
        a["credential"] for r in criteria for a in r.get("assessments", []) if a["status"] == MET
    }
    for f in allocation.values():
        counted |= {ev.credentials[i].id for i in f.own}
    pending: dict[str, list[str]] = {}
    for r in recognition:
        for a in r["assessments"]:
            if a["status"] == UNKNOWN:
                pending.setdefault(a["credential"], []).append(
                    f"{r['rule']} (with more information)"
                )
    set_aside = {ev.credentials[i].id for i, x in excluded.items() if x.hard}
    return [
        {"credential": c.id, "could_count_towards": stacking.could_count(i) + pending.get(c.id, [])}
        for i, c in enumerate(ev.credentials)
        if c.id not in counted and c.id not in set_aside
    ]


def _summary(outcomes: list[dict]) -> dict[str, int]:
    """Counts of statuses; not-requested outcomes are not applicable."""
    counts = {"met": 0, "not_met": 0, "unknown": 0, "not_applicable": 0}
    for o in outcomes:
        counts[o["status"]] += 1
    return counts


def _warnings(
    policy: Policy, as_of: dt.date, exhausted: bool, outcomes: list, bound: Any
) -> list[str]:
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
    for o in outcomes:
        out += [w for w in o.get("warnings", []) if w not in out]
    if bound.unused_facts:
        out.append(
            "Applicant facts the policy does not use: " + ", ".join(bound.unused_facts) + "."
        )
    return out


def fingerprint(
    policy: Policy, credentials: list[Credential], as_of: dt.date, wallet: Wallet | None = None
) -> str:
    """sha256 over the normalised credentials (declared elements too), the applicant's facts, the
    request, the as-of date, the policy digest and the engine version."""
    body: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "policy": policy.digest,
        "engine": [ENGINE_VERSION, durable_backend.ENGINE_VERSION],
        "credentials": [
            {"id": c.id, "values": {k: _plain(v) for k, v in sorted(c.values.items())}}
            | ({"extensions": to_plain(dict(c.extensions))} if c.extensions else {})
            for c in sorted(credentials, key=lambda c: c.id)
        ],
    }
    if wallet is not None and wallet.applicant:
        body["applicant"] = to_plain(dict(wallet.applicant))
    if wallet is not None and wallet.request is not None:
        body["request"] = [
            [i.id, i.kind, i.names, i.credential, to_plain(dict(i.choices))]
            for i in wallet.request.items
        ]
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return sorted(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, float, str)):
        return value
    return to_plain(value)
