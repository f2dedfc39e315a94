"""Deciding on a case: accept or override the proposal, request evidence, confirm (four eyes),
return a decision to its author, reopen a decided case or record an appeal.

The engine proposes, a person decides; `decision_rules` says what a decision must satisfy. Checks
that depend on stored state run inside the same `BEGIN IMMEDIATE` transaction as the write, so
two officers cannot both decide on a stale view. Decisions are append-only: a confirmation and a
return are rows of their own pointing at the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.desk.access import DECIDING, case_policy, require
from models.desk.decision_rules import Answer, check_decision, decision_kind
from models.desk.queue_records import DecisionReturn
from models.desk.records import (
    MAX_JUSTIFICATION,
    Case,
    Decision,
    DecisionInputSchema,
    User,
    load_input,
)
from models.desk.words import status_word
from models.errors import Conflict, Forbidden, InvalidDecision, InvalidInput
from models.messages import N_
from models.store import cases as store_cases
from models.store import database as store
from models.store import decisions as store_decisions
from models.store import queue as store_queue
from models.store.database import DB
from rules.characters import unsafe_character
from rules.policy import Policy


def answers_of(policy: Policy, result: Mapping[str, Any]) -> dict[str, dict[str, Answer]]:
    """Per request item of an evaluation: the dispositions an officer may give it."""
    kinds = {r.id: r for r in policy.requests}
    by_code = {d.code: d for d in policy.dispositions}
    out: dict[str, dict[str, Answer]] = {}
    for d in result.get("dispositions", []):
        kind = kinds.get(d["request"])
        codes = {row.disposition for row in kind.rows} | {kind.otherwise} if kind else set()
        codes |= {"no_applicable_rule"}
        out[d["item"]] = {}
        for code in sorted(codes):
            found = by_code.get(code)
            if found is None:
                continue
            options = (kind.options if kind and not found.favourable else ()) + found.options
            out[d["item"]][code] = Answer(code, found.label, found.favourable, options)
    return out


def decide(db: DB, user: User, case_id: int, data: Mapping[str, Any]) -> Decision:
    """Accept or override the proposal, or request evidence; see `decision_rules` for the rules.

    `data`: action, outcomes ({rule or target id: Lisbon level}, overrides only),
    exception_type (overrides only), justification, idempotency_key. A repeat with the same key
    returns the decision recorded the first time.
    """
    require(user, "officer")
    values = load_input(DecisionInputSchema(), data, InvalidDecision)
    request = {"case": case_id, "officer": user.id, **values}
    org = user.organisation_id
    with store.transaction(db):
        repeated = _repeat(db, org, values["idempotency_key"], request)
        if repeated:
            return repeated
        case = store_cases.get_case(db, org, case_id)
        history = store_decisions.decisions(db, org, case_id)
        evaluation = store_decisions.latest_evaluation(db, org, case_id)
        latest_snapshot = store_cases.snapshots(db, org, case_id)[-1]
        if evaluation is not None and evaluation.snapshot_id != latest_snapshot.id:
            evaluation = None  # evidence arrived after it: the proposal is stale
        returned = {r.decision_id for r in store_queue.returns(db, org, case_id)}
        kind = decision_kind(store_cases.events(db, org, case_id), history, returned)
        answers = answers_of(case_policy(db, case), evaluation.result) if evaluation else {}
        outcomes = check_decision(case.status, values, evaluation, kind, answers)
        four_eyes = store.get_organisation(db, org).four_eyes and values["action"] in DECIDING
        previous = next((d.id for d in reversed(history) if d.action != "confirm"), None)
        decision = store_decisions.insert_decision(
            db,
            user,
            case_id=case_id,
            action=values["action"],
            kind=kind,
            outcomes=outcomes,
            exception_type=values["exception_type"],
            justification=values["justification"].strip(),
            policy_id=case.policy_id,
            policy_version=case.policy_version,
            evaluation_id=evaluation.id if evaluation else None,
            fingerprint=evaluation.fingerprint if evaluation else None,
            previous_decision_id=previous,
            idempotency_key=values["idempotency_key"],
            request=request,
            requires_confirmation=four_eyes,
        )
        status = {"request_evidence": "waiting_for_applicant"}.get(
            values["action"], "awaiting_confirmation" if four_eyes else "decided"
        )
        store_cases.add_event(db, user, case_id, status, f"decision {decision.id}")
        return decision


def request_evidence(
    db: DB, user: User, case_id: int, justification: str, *, idempotency_key: str | None = None
) -> Decision:
    """Ask the applicant for evidence; the case waits for the applicant."""
    data = {"action": "request_evidence", "justification": justification}
    if idempotency_key is not None:
        data["idempotency_key"] = idempotency_key
    return decide(db, user, case_id, data)


def _repeat(db: DB, org: int, key: str | None, request: Mapping[str, Any]) -> Decision | None:
    if key is None:
        return None
    found = store_decisions.decision_by_key(db, org, key)
    if found is None:
        return None
    decision, digest = found
    if digest != store_decisions.request_digest(request):
        raise Conflict(N_("this idempotency key was used for a different request"))
    return decision


def confirm(
    db: DB, user: User, decision_id: int, *, idempotency_key: str | None = None
) -> Decision:
    """Four-eyes: a second officer confirms a decision; only then is the case decided."""
    require(user, "officer")
    org = user.organisation_id
    request = {"confirm": decision_id, "officer": user.id, "idempotency_key": idempotency_key}
    with store.transaction(db):
        repeated = _repeat(db, org, idempotency_key, request)
        if repeated:
            return repeated
        target = store_decisions.get_decision(db, org, decision_id)
        case = store_cases.get_case(db, org, target.case_id)
        if not target.requires_confirmation:
            raise InvalidDecision({"decision_id": N_("this decision needs no confirmation")})
        if target.confirmed_by is not None:
            raise Conflict(N_("this decision is confirmed already"))
        if store_queue.get_return_of(db, org, target.id) is not None:
            raise Conflict(
                N_("this decision was returned to its author; confirm their new decision")
            )
        pending = [d for d in store_decisions.decisions(db, org, case.id) if d.action in DECIDING]
        if case.status != "awaiting_confirmation" or pending[-1].id != target.id:
            raise Conflict(N_("a later decision supersedes this one; confirm that one instead"))
        if target.officer_id == user.id:
            raise Forbidden(N_("four-eyes: a different officer must confirm this decision"))
        confirmation = store_decisions.insert_decision(
            db,
            user,
            case_id=case.id,
            action="confirm",
            kind=target.kind,
            outcomes=target.outcomes,
            exception_type=None,
            justification="",
            policy_id=target.policy_id,
            policy_version=target.policy_version,
            evaluation_id=target.evaluation_id,
            fingerprint=target.fingerprint,
            previous_decision_id=target.id,
            idempotency_key=idempotency_key,
            request=request,
            requires_confirmation=False,
        )
        store_cases.add_event(db, user, case.id, "decided", f"decision {target.id} confirmed")
        return confirmation


def return_decision(db: DB, user: User, decision_id: int, reason: str) -> DecisionReturn:
    """Four eyes: the officer checking a decision that awaits confirmation returns it to its
    author with the reason, instead of confirming it. The return is a row of its own; the case
    can be decided again (the new decision follows the returned one, of the same kind)."""
    require(user, "officer")
    reason = reason.strip()
    if not reason:
        raise InvalidInput({"reason": N_("state why the decision goes back to its author")})
    if len(reason) > MAX_JUSTIFICATION:
        raise InvalidInput(
            {"reason": N_("expected at most %(most)s characters", most=MAX_JUSTIFICATION)}
        )
    if why := unsafe_character(reason):
        raise InvalidInput({"reason": N_("the text %(why)s; remove it", why=why)})
    org = user.organisation_id
    with store.transaction(db):
        target = store_decisions.get_decision(db, org, decision_id)
        case = store_cases.get_case(db, org, target.case_id)
        if not target.requires_confirmation or target.confirmed_by is not None:
            raise Conflict(N_("only a decision awaiting confirmation can be returned"))
        if store_queue.get_return_of(db, org, target.id) is not None:
            raise Conflict(N_("this decision was returned to its author already"))
        pending = [d for d in store_decisions.decisions(db, org, case.id) if d.action in DECIDING]
        if case.status != "awaiting_confirmation" or pending[-1].id != target.id:
            raise Conflict(N_("a later decision supersedes this one"))
        if target.officer_id == user.id:
            raise Forbidden(
                N_("four-eyes: the officer who checks a decision returns it, not its author")
            )
        returned = store_queue.insert_return(db, user, target, reason)
        store_cases.add_event(
            db, user, case.id, "evaluated", f"decision {target.id} returned to its author"
        )
        return returned


def reopen_case(db: DB, user: User, case_id: int, reason: str, *, appeal: bool = False) -> Case:
    """Reopen a decided case (or record an appeal); the next decision links to the last one."""
    require(user, "officer")
    if not reason.strip():
        raise InvalidInput({"reason": N_("state why the case is reopened")})
    if why := unsafe_character(reason):
        raise InvalidInput({"reason": N_("the text %(why)s; remove it", why=why)})
    with store.transaction(db):
        case = store_cases.get_case(db, user.organisation_id, case_id)
        if case.status != "decided":
            raise Conflict(
                N_("only a decided case can be reopened; this one is %(status)s",
                   status=status_word(case.status))
            )  # fmt: skip

        store_cases.add_event(
            db, user, case_id, "appealed" if appeal else "reopened", reason.strip()
        )
        return store_cases.get_case(db, user.organisation_id, case_id)
