"""What a decision must satisfy: pure functions of the case's state, the proposal and the input.

The proposal is the stored evaluation, read as one Lisbon level per applicable outcome:

- a met recognition rule proposes its tier's level (full, partial, conditional, alternative);
- a met stacking target proposes "full" in the sense of *eligible to be considered*: the award is
  made by the person who decides, never by the engine;
- a rule or target not met proposes "refused"; an unknown one proposes nothing (evidence is
  needed), and not applicable ones are left out.

When the applicant asked for something, each request item's disposition is part of the proposal
too (`request:ITEM` → disposition code; pending evidence proposes nothing), and an override may
state another disposition the policy declares.

A justification is mandatory whenever the decision is not a full positive one (every outcome
decided "full", every disposition favourable), departs from the proposal (every override), asks
for evidence, withholds the options the policy offers with an answer that is not favourable, or
corrects, reopens or answers an appeal against an earlier decision.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from models.desk.records import CaseEvent, Decision, Evaluation
from models.desk.words import status_word
from models.errors import Conflict, InvalidDecision
from models.messages import N_

_DECIDE_FROM = ("evaluated", "decided", "reopened", "appealed", "awaiting_confirmation")

ALLOWED_FROM = {
    "accept": _DECIDE_FROM,
    "override": _DECIDE_FROM,
    "request_evidence": ("open", "evaluated", "waiting_for_applicant", "reopened", "appealed"),
}


REQUEST = "request:"


def proposal_of(result: Mapping[str, Any]) -> dict[str, str | None]:
    """{rule or target id: proposed Lisbon level, or None when evidence is needed;
    "request:ITEM": proposed disposition, or None when pending evidence}."""
    out: dict[str, str | None] = {}
    for d in result.get("dispositions", []):
        pending = d["disposition"] == "pending_evidence"
        out[REQUEST + d["item"]] = None if pending else d["disposition"]
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


def decision_kind(
    events: Sequence[CaseEvent],
    history: Sequence[Decision],
    returned: Collection[int] = frozenset(),
) -> str:
    """initial, or — after an accept/override — correction, reopening or appeal. A decision
    made after the latest one was returned to its author (four eyes) takes its place: it is of
    the returned one's kind (the returned one never took effect)."""
    made = [d for d in history if d.action in ("accept", "override")]
    if not made:
        return "initial"
    if made[-1].id in returned:
        return made[-1].kind
    for event in reversed(events):
        if event.status == "reopened":
            return "reopening"
        if event.status == "appealed":
            return "appeal"
        if event.status in ("decided", "awaiting_confirmation"):
            break
    return "correction"


@dataclass(frozen=True)
class Answer:
    """A disposition a request item may be given: its words, and what the policy offers with it."""

    code: str
    label: str
    favourable: bool
    options: tuple[str, ...] = ()


def check_decision(
    status: str,
    values: Mapping[str, Any],
    evaluation: Evaluation | None,
    kind: str,
    answers: Mapping[str, Mapping[str, Answer]] | None = None,
) -> dict[str, str]:
    """The outcomes to record, or `InvalidDecision` / `Conflict` saying what is wrong.

    `answers`: per request item, the dispositions it may be given (from the case's policy)."""
    answers = answers or {}
    action = values["action"]
    if status not in ALLOWED_FROM[action]:
        raise Conflict(
            N_("a case that is %(status)s cannot take '%(action)s'",
               status=status_word(status), action=action)
        )  # fmt: skip
    if action == "request_evidence":
        errors = _not_for_this_action(values, action)
        if not values["justification"].strip():
            errors["justification"] = N_("state which evidence is requested and why")
        if errors:
            raise InvalidDecision(errors)
        return {}
    if evaluation is None:
        raise Conflict(N_("evaluate the case's latest credentials before deciding"))

    proposal = proposal_of(evaluation.result)
    errors: dict[str, str] = {}
    if action == "accept":
        errors = _not_for_this_action(values, action)
        open_ = sorted(rule for rule, level in proposal.items() if level is None)
        if open_:
            what = ", ".join(r.replace(REQUEST, "request ") for r in open_)
            errors["outcomes"] = N_(
                "no proposal for %(what)s (unknown: evidence is needed); "
                "request evidence or override with a stated outcome",
                what=what,
            )
        decided = {rule: level for rule, level in proposal.items() if level is not None}
    else:
        decided = _overridden(values, proposal, errors, answers)
    why = _needs_justification(action, decided, proposal, kind, answers)
    withheld = not values.get("offer_options", True) and _declared_options(decided, answers)
    if not why and withheld:
        why = N_("the options the policy offers with this answer are withheld")
    if why and not values["justification"].strip():
        errors["justification"] = N_("a justification is required: %(why)s", why=why)
    if errors:
        raise InvalidDecision(errors)
    if withheld:  # the letter must not offer them: recorded with the decision
        for key in [k for k in decided if k.startswith(REQUEST)]:
            decided[f"options:{key.removeprefix(REQUEST)}"] = "withheld"
    return decided


def _declared_options(decided: Mapping[str, str], answers: Mapping) -> bool:
    for key, code in decided.items():
        answer = (
            answers.get(key.removeprefix(REQUEST), {}).get(code)
            if key.startswith(REQUEST)
            else None
        )
        if answer is not None and not answer.favourable and answer.options:
            return True
    return False


def _not_for_this_action(values: Mapping[str, Any], action: str) -> dict[str, str]:
    errors = {}
    if values["outcomes"] or values.get("dispositions"):
        errors["outcomes"] = N_(
            "'%(action)s' takes no outcomes; override to state other outcomes", action=action
        )
    if values["exception_type"] is not None:
        errors["exception_type"] = N_("only an override names an exception")
    return errors


def _overridden(
    values: Mapping[str, Any],
    proposal: Mapping[str, str | None],
    errors: dict[str, str],
    answers: Mapping[str, Mapping[str, Answer]],
) -> dict[str, str]:
    if values["exception_type"] is None:
        errors["exception_type"] = N_("an override names its exception type")
    given: dict[str, str] = dict(values["outcomes"])
    for rule in sorted(set(given) - set(proposal)):
        known = ", ".join(sorted(r for r in proposal if not r.startswith(REQUEST))) or "none"
        errors[f"outcomes.{rule}"] = N_(
            "not an applicable outcome of this evaluation (%(known)s)", known=known
        )
    for item, code in sorted(values.get("dispositions", {}).items()):
        allowed = answers.get(item)
        if REQUEST + item not in proposal or allowed is None:
            items = ", ".join(
                sorted(r.removeprefix(REQUEST) for r in proposal if r.startswith(REQUEST))
            )
            errors[f"dispositions.{item}"] = N_(
                "not a request item of this case (%(items)s)", items=items or "none"
            )
        elif code not in allowed:
            errors[f"dispositions.{item}"] = N_(
                "expected one of: %(allowed)s", allowed=", ".join(allowed)
            )
        else:
            given[REQUEST + item] = code
    decided = {**proposal, **{r: v for r, v in given.items() if r in proposal}}
    for rule, level in sorted(decided.items()):
        if level is None and rule.startswith(REQUEST):
            errors[f"dispositions.{rule.removeprefix(REQUEST)}"] = N_(
                "the proposal has none (pending evidence): state the answer"
            )
        elif level is None:
            errors[f"outcomes.{rule}"] = N_("the proposal has none (unknown): state the outcome")
    if not given:
        errors["outcomes"] = N_("an override states at least one outcome")
    elif decided == proposal:
        errors["outcomes"] = N_("the same as the proposal: accept it instead")
    return {rule: level for rule, level in decided.items() if level is not None}


def _needs_justification(
    action: str,
    decided: Mapping[str, str],
    proposal: Mapping[str, str | None],
    kind: str,
    answers: Mapping[str, Mapping[str, Answer]],
) -> str | None:
    if kind != "initial":
        return {
            "correction": N_("a correction states why the earlier decision changes"),
            "reopening": N_("a reopening states why the earlier decision changes"),
            "appeal": N_("an appeal decision states why the earlier decision changes"),
        }.get(kind) or N_("a %(kind)s states why the earlier decision changes", kind=kind)
    if action == "override" or dict(decided) != dict(proposal):
        return N_("the decision departs from the proposal")
    levels = [v for k, v in decided.items() if not k.startswith(REQUEST)]
    unfavourable = [
        k for k, v in decided.items()
        if k.startswith(REQUEST) and not getattr(
            answers.get(k.removeprefix(REQUEST), {}).get(v), "favourable", False
        )
    ]  # fmt: skip
    if not decided or any(level != "full" for level in levels) or unfavourable:
        return N_("the decision is not a full positive one")
    return None
