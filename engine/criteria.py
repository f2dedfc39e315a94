"""Criteria: plain met / not met checks, of the application or of each (or any) credential.

A criterion speaks the policy's own words ("meets the English language requirement"), not the
Lisbon vocabulary. An `each_credential` criterion holds when every credential in its scope meets
it (each credential gets its own status, reasons, failed condition and evidence requests, those
that fail included); `any_credential` when at least one does; `application` criteria test the
applicant's facts and choices.
"""

from __future__ import annotations

from typing import Any

from engine.explain import (
    NOT_EXCLUDED,
    EvalContext,
    condition_rows,
    dedupe,
    evidence_requests,
    failing_phrases,
    merge_requests,
    warnings_of,
    who,
)
from engine.semantics import MET, NOT_MET, UNKNOWN
from rules.policy import Criterion


def criterion_outcome(c: Criterion, ev: EvalContext, excluded: dict) -> dict[str, Any]:
    if c.about == "application":
        return _application(c, ev)
    return _credentials(c, ev, excluded)


def _base(c: Criterion) -> dict[str, Any]:
    return {"rule": c.id, "kind": "criterion", "about": c.about, "title": c.title}


def _words(c: Criterion, status: str) -> str:
    if status == MET:
        return c.met or f"'{c.title}' is met."
    if status == NOT_MET:
        return c.not_met or f"'{c.title}' is not met."
    return f"'{c.title}' cannot yet be decided: information is missing."


def _application(c: Criterion, ev: EvalContext) -> dict[str, Any]:
    view = ev.application
    status = ev.app_status(c.when)
    reasons = [_words(c, status)]
    if status == NOT_MET:
        reasons += [f"The application: {p}." for p in failing_phrases(c.when, view, ev.ctx)]
    requests = evidence_requests(c.when, view, ev.ctx, c.id) if status == UNKNOWN else []
    return {
        **_base(c),
        "status": status,
        "outcome": {"met": status == MET},
        "credentials": [],
        "conditions": condition_rows(c.when, view, ev.ctx),
        "missing": [],
        "evidence_requests": merge_requests(requests),
        "reasons": reasons,
        "warnings": warnings_of(c.when, view, ev.ctx),
    }


def assess(c: Criterion, ev: EvalContext, excluded: dict, i: int) -> dict[str, Any] | None:
    """One credential against an each/any criterion; None when it is outside the scope."""
    view = ev.credentials[i]
    scope = ev.status(c.applies_to, i) if c.applies_to is not None else MET
    ex = excluded.get(i, NOT_EXCLUDED)
    if scope == NOT_MET or ex.hard:
        return None
    status = ev.status(c.when, i)
    if status == MET and (scope == UNKNOWN or ex.soft):
        status = UNKNOWN
    row: dict[str, Any] = {"credential": view.id, "status": status}
    if status == NOT_MET:
        row["why_not"] = failing_phrases(c.when, view, ev.ctx)
    if status == UNKNOWN:
        asked = evidence_requests(c.when, view, ev.ctx, c.id)
        if c.applies_to is not None and scope == UNKNOWN:
            asked += evidence_requests(c.applies_to, view, ev.ctx, f"{c.id} scope")
        row["evidence_requests"] = merge_requests(asked + list(ex.requests))
    return row


def _credentials(c: Criterion, ev: EvalContext, excluded: dict) -> dict[str, Any]:
    rows = [r for i in range(len(ev.credentials)) if (r := assess(c, ev, excluded, i))]
    statuses = [r["status"] for r in rows]
    if not rows:
        status = "not_applicable"
    elif c.about == "each_credential":
        status = NOT_MET if NOT_MET in statuses else UNKNOWN if UNKNOWN in statuses else MET
    else:
        status = MET if MET in statuses else UNKNOWN if UNKNOWN in statuses else NOT_MET
    by_id = {v.id: v for v in ev.credentials}
    reasons = [_words(c, status)] if rows else ["Not applicable: no credential falls within it."]
    for r in rows:
        view = by_id[r["credential"]]
        if r["status"] == NOT_MET:
            reasons += [f"{who(view)}: {p}." for p in r["why_not"]]
        elif r["status"] == UNKNOWN and c.about == "each_credential":
            reasons.append(f"{who(view)}: information is missing.")
    decisive = [r for r in rows if r["status"] == (MET if c.about == "any_credential" else status)]
    shown = decisive[:1] if c.about == "any_credential" and status == MET else rows
    conditions = [
        row for r in shown for row in condition_rows(c.when, by_id[r["credential"]], ev.ctx)
    ]
    warnings = dedupe(
        [
            w
            for r in rows
            if r["status"] == MET
            for w in warnings_of(c.when, by_id[r["credential"]], ev.ctx)
        ]
    )
    requests = [q for r in rows for q in r.get("evidence_requests", [])]
    return {
        **_base(c),
        "status": status,
        "outcome": {"met": status == MET},
        "credentials": [r["credential"] for r in rows if r["status"] == MET],
        "conditions": conditions,
        "missing": dedupe([p for r in rows for p in r.get("why_not", [])])
        if status == NOT_MET
        else [],
        "evidence_requests": merge_requests(requests) if status == UNKNOWN else [],
        "reasons": reasons,
        "assessments": rows,
        "warnings": warnings,
    }
