"""An explanation for every credential: for each rule, target and criterion it was considered
for, whether it counted and, if not, why not (the condition it failed, with the value it has and
the value needed), or what information would settle it. Credentials an exclusion sets aside are
listed as set aside, with the reason, not as unused.
"""

from __future__ import annotations

from typing import Any

from engine.criteria import assess
from engine.explain import NOT_EXCLUDED, EvalContext, first_failure
from engine.semantics import MET, NOT_MET, UNKNOWN


def credential_reports(
    policy: Any,
    ev: EvalContext,
    excluded: dict,
    outcomes: dict[str, dict],
    allocation: dict,
    requested: set[str] | None,
    compact: bool = False,
) -> list[dict[str, Any]]:
    """Per credential, every rule, criterion and target it was considered for. Compact: only
    those it counts in, meets or could meet with more information (the rows that say why not
    are what costs, and the full result gives them)."""
    counted: dict[int, list[str]] = {}
    for target_id, f in sorted(allocation.items()):
        for slot_id, chosen in f.slots:
            for i in chosen:
                counted.setdefault(i, []).append(f"{target_id} / {slot_id}")
    through: dict[tuple[int, str], str] = {}  # credentials a target counts through builds_on
    for target_id, f in allocation.items():
        for i in f.total - f.own:
            through[(i, target_id)] = "builds on an award it counts in"
    # Each rule's assessment of each credential, found by id (not searched for every pair).
    assessed = {
        rule_id: {a["credential"]: a for a in o.get("assessments", [])}
        for rule_id, o in outcomes.items()
    }
    out = []
    for i, view in enumerate(ev.credentials):
        ex = excluded.get(i, NOT_EXCLUDED)
        entry: dict[str, Any] = {"credential": view.id, "title": view.title}
        if ex.hard:
            entry["set_aside"] = list(ex.hard)
            out.append(entry)
            continue
        rows = []
        for r in sorted(policy.recognition, key=lambda x: x.id):
            if compact and not _may_count(r, i, ev, outcomes, assessed, requested):
                continue
            rows.append(_recognition(r, i, ev, outcomes, assessed, requested))
        for c in sorted(policy.criteria, key=lambda x: x.id):
            if c.about != "application":
                rows.append(_criterion(c, i, ev, excluded, requested, compact))
        for t in sorted(policy.targets, key=lambda x: x.id):
            rows.append(_target(t, i, ev, counted, requested, through, compact))
        if compact:
            rows = [row for row in rows if row["status"] in COMPACT_ROWS]
        entry["counted_in"] = counted.get(i, []) + [
            row["rule"] for row in rows if row["status"] == "counted" and row["kind"] != "target"
        ]
        entry["considered"] = rows
        if ex.soft:
            entry["possibly_set_aside"] = list(ex.soft)
        out.append(entry)
    return out


COMPACT_ROWS = ("counted", MET, UNKNOWN)


def _may_count(
    r: Any, i: int, ev: EvalContext, outcomes: dict, assessed: dict, requested: Any
) -> bool:
    """Whether the recognition row of credential `i` is one a compact report keeps, decided
    without writing the row (its status comes from the rule's assessment)."""
    if requested is not None and r.id not in requested:
        return False
    found = assessed[r.id].get(ev.credentials[i].id)
    return found is not None and found["status"] in (MET, UNKNOWN)


def _not_requested(rule_id: str, kind: str, requested: set[str] | None) -> dict | None:
    if requested is not None and rule_id not in requested:
        return {"rule": rule_id, "kind": kind, "status": "not_requested", "why": "not requested"}
    return None


def _scope_why(group: Any, i: int, ev: EvalContext) -> str:
    failed = first_failure(group, ev.credentials[i], ev.ctx)
    if failed is None:
        return "outside the rule's scope"
    return f"outside the rule's scope: {failed['condition']} (it has {failed['actual']})"


def _recognition(
    r: Any, i: int, ev: EvalContext, outcomes: dict, assessed: dict, requested: Any
) -> dict:
    skipped = _not_requested(r.id, "recognition", requested)
    if skipped:
        return skipped
    view = ev.credentials[i]
    row: dict[str, Any] = {"rule": r.id, "kind": "recognition"}
    if r.applies_to is not None and ev.status(r.applies_to, i) == NOT_MET:
        return {**row, "status": "not_applicable", "why": _scope_why(r.applies_to, i, ev)}
    outcome = outcomes[r.id]
    found = assessed[r.id].get(view.id)
    status = found["status"] if found else "not_applicable"
    chosen = view.id in outcome.get("credentials", []) and outcome["status"] == MET
    row["status"] = "counted" if chosen else status
    if found and found.get("level"):
        row["level"] = found["level"]
    if status == NOT_MET or (status == MET and not chosen):
        failures = (
            first_failure(g, view, ev.ctx) for a, g in r.checks if found["aspects"][a] == NOT_MET
        )
        failure = next((f for f in failures if f), None)  # the first is what the report says
        if failure:
            row["why"] = _failure_text(failure)
        elif status == MET:
            row["why"] = "meets the rule; another credential was chosen for it"
    elif status == UNKNOWN:
        row["why"] = "information is missing"
    return row


def _criterion(
    c: Any, i: int, ev: EvalContext, excluded: dict, requested: Any, compact: bool = False
) -> dict:
    skipped = _not_requested(c.id, "criterion", requested)
    if skipped:
        return skipped
    found = assess(c, ev, excluded, i)
    row: dict[str, Any] = {"rule": c.id, "kind": "criterion"}
    if found is None:
        why = _scope_why(c.applies_to, i, ev) if c.applies_to is not None else "set aside"
        return {**row, "status": "not_applicable", "why": why}
    row["status"] = "counted" if found["status"] == MET else found["status"]
    if found["status"] == NOT_MET and compact:
        return row  # a compact report leaves it out: no reason to put into words
    if found["status"] == NOT_MET:
        failed = first_failure(c.when, ev.credentials[i], ev.ctx)
        row["why"] = _failure_text(failed) if failed else "not met"
    elif found["status"] == UNKNOWN:
        row["why"] = "information is missing"
    return row


def _target(
    t: Any, i: int, ev: EvalContext, counted: dict, requested: Any, through: dict,
    compact: bool = False,
) -> dict:  # fmt: skip
    skipped = _not_requested(t.id, "target", requested)
    if skipped:
        return skipped
    row: dict[str, Any] = {"rule": t.id, "kind": "target"}
    mine = [c for c in counted.get(i, []) if c.startswith(f"{t.id} / ")]
    if mine:
        return {**row, "status": "counted", "slots": [m.split(" / ", 1)[1] for m in mine]}
    if (i, t.id) in through:
        return {**row, "status": "counted", "why": "counted through " + ", ".join(t.builds_on)}
    view = ev.credentials[i]
    if t.all_credentials is not None and ev.status(t.all_credentials, i) == NOT_MET:
        if compact:
            return {**row, "status": NOT_MET}  # left out of a compact report
        failed = first_failure(t.all_credentials, view, ev.ctx)
        return {**row, "status": NOT_MET, "why": _failure_text(failed) if failed else "not met"}
    statuses = {s.id: ev.status(s.when, i) for s in t.slots}
    could = sorted(k for k, v in statuses.items() if v == MET)
    if could:
        why = "could fill " + ", ".join(could) + " but was not needed or counted elsewhere"
        return {**row, "status": MET, "why": why}
    maybe = sorted(k for k, v in statuses.items() if v == UNKNOWN)
    if maybe:
        return {
            **row,
            "status": UNKNOWN,
            "why": "could fill " + ", ".join(maybe) + " with more information",
        }
    if not t.slots:
        return {**row, "status": NOT_MET, "why": "the target takes no credentials of its own"}
    if compact:
        return {**row, "status": NOT_MET}  # left out of a compact report
    slot = t.slots[0]
    failed = first_failure(slot.when, view, ev.ctx)
    why = f"slot {slot.id}: {_failure_text(failed)}" if failed else "fits no slot"
    return {**row, "status": NOT_MET, "why": why}


def _failure_text(failed: dict[str, Any]) -> str:
    actual = "absent" if failed["actual"] is None else failed["actual"]
    return f"{failed['condition']}: it has {actual}, needs {failed['expected']}"
