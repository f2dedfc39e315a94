"""What a decision must satisfy: pure functions of the case's state, the proposal and the input.

The proposal is the stored evaluation, read as one Lisbon level per applicable outcome:

- a met recognition rule proposes its tier's level (full, partial, conditional, alternative);
- a met stacking target proposes "full" in the sense of *eligible to be considered*: the award is
  made by the person who decides, never by the engine;
- a rule or target not met proposes "refused"; an unknown one proposes nothing (evidence is
  needed), and not applicable ones are left out.

A justification is mandatory whenever the decision is not a full positive one (every outcome
decided "full"), departs from the proposal (every override), asks for evidence, or corrects,
reopens or answers an appeal against an earlier decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from models.desk.records import CaseEvent, Decision, Evaluation
from models.errors import Conflict, InvalidDecision

_DECIDE_FROM = ("evaluated", "decided", "reopened", "appealed", "awaiting_confirmation")
ALLOWED_FROM = {
    "accept": _DECIDE_FROM,
    "override": _DECIDE_FROM,
    "request_evidence": ("open", "evaluated", "waiting_for_applicant", "reopened", "appealed"),
}


def proposal_of(result: Mapping[str, Any]) -> dict[str, str | None]:
    """{rule or target id: proposed Lisbon level, or None when evidence is needed}."""
    out: dict[str, str | None] = {}
    for o in result["outcomes"]:
        if o["status"] == "met":
            level = (o.get("outcome") or {}).get("level") if o["kind"] == "recognition" else None
            out[o["rule"]] = level or "full"
        elif o["status"] == "not_met":
            out[o["rule"]] = "refused"
        elif o["status"] == "unknown":
            out[o["rule"]] = None
    return out


def outcome_statuses(result: Mapping[str, Any]) -> dict[str, str]:
    """{rule or target id: "status/level"}: what a replay must reproduce."""
    return {
        o["rule"]: f"{o['status']}/{(o.get('outcome') or {}).get('level') or '-'}"
        for o in result["outcomes"]
    }


def decision_kind(events: Sequence[CaseEvent], history: Sequence[Decision]) -> str:
    """initial, or — after an accept/override — correction, reopening or appeal."""
    if not any(d.action in ("accept", "override") for d in history):
        return "initial"
    for event in reversed(events):
        if event.status == "reopened":
            return "reopening"
        if event.status == "appealed":
            return "appeal"
        if event.status in ("decided", "awaiting_confirmation"):
            break
    return "correction"


def check_decision(
    status: str, values: Mapping[str, Any], evaluation: Evaluation | None, kind: str
) -> dict[str, str]:
    """The outcomes to record, or `InvalidDecision` / `Conflict` saying what is wrong."""
    action = values["action"]
    if status not in ALLOWED_FROM[action]:
        raise Conflict(f"a case that is {status.replace('_', ' ')} cannot take '{action}'")
    if action == "request_evidence":
        errors = _not_for_this_action(values, action)
        if not values["justification"].strip():
            errors["justification"] = "state which evidence is requested and why"
        if errors:
            raise InvalidDecision(errors)
        return {}
    if evaluation is None:
        raise Conflict("evaluate the case's latest credentials before deciding")
    proposal = proposal_of(evaluation.result)
    errors: dict[str, str] = {}
    if action == "accept":
        errors = _not_for_this_action(values, action)
        open_ = sorted(rule for rule, level in proposal.items() if level is None)
        if open_:
            errors["outcomes"] = (
                f"no proposal for {', '.join(open_)} (unknown: evidence is needed); "
                "request evidence or override with a stated outcome"
            )
        decided = {rule: level for rule, level in proposal.items() if level is not None}
    else:
        decided = _overridden(values, proposal, errors)
    why = _needs_justification(action, decided, proposal, kind)
    if why and not values["justification"].strip():
        errors["justification"] = f"a justification is required: {why}"
    if errors:
        raise InvalidDecision(errors)
    return decided


def _not_for_this_action(values: Mapping[str, Any], action: str) -> dict[str, str]:
    errors = {}
    if values["outcomes"]:
        errors["outcomes"] = f"'{action}' takes no outcomes; override to state other outcomes"
    if values["exception_type"] is not None:
        errors["exception_type"] = "only an override names an exception"
    return errors


def _overridden(
    values: Mapping[str, Any], proposal: Mapping[str, str | None], errors: dict[str, str]
) -> dict[str, str]:
    if values["exception_type"] is None:
        errors["exception_type"] = "an override names its exception type"
    given: Mapping[str, str] = values["outcomes"]
    for rule in sorted(set(given) - set(proposal)):
        known = ", ".join(sorted(proposal)) or "none"
        errors[f"outcomes.{rule}"] = f"not an applicable outcome of this evaluation ({known})"
    decided = {**proposal, **{r: v for r, v in given.items() if r in proposal}}
    for rule, level in sorted(decided.items()):
        if level is None:
            errors[f"outcomes.{rule}"] = "the proposal has none (unknown): state the outcome"
    if not given:
        errors["outcomes"] = "an override states at least one outcome"
    elif decided == proposal:
        errors["outcomes"] = "the same as the proposal: accept it instead"
    return {rule: level for rule, level in decided.items() if level is not None}


def _needs_justification(
    action: str, decided: Mapping[str, str], proposal: Mapping[str, str | None], kind: str
) -> str | None:
    if kind != "initial":
        return f"a {kind} states why the earlier decision changes"
    if action == "override" or dict(decided) != dict(proposal):
        return "the decision departs from the proposal"
    if not decided or any(level != "full" for level in decided.values()):
        return "the decision is not a full positive one"
    return None
