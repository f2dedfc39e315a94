"""The decision desk: intent-named operations on cases that the web pages, the API and the CLI call.

The engine proposes, a person decides. Every function takes the acting `User`: the organisation
comes from them (never from the caller's input), their role is checked here, and ids of another
organisation's objects are `NotFound`. Checks that depend on stored state run inside the same
`BEGIN IMMEDIATE` transaction as the write, so two officers cannot both decide on a stale view.
The engine itself runs outside any transaction: the write lock is never held during evaluation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

from marshmallow import ValidationError

from engine.inputs import Wallet, wallet_from_plain, wallet_to_plain
from models.credentials.intake import DEVELOPMENT_LEARNER_KEY_SECRET, wallet_from_document
from models.credentials.structured import applicant_from
from models.desk.decision_rules import Answer, check_decision, decision_kind
from models.desk.evidence import merged
from models.desk.records import (
    Case,
    CaseInputSchema,
    Decision,
    DecisionInputSchema,
    Evaluation,
    PolicyVersion,
    User,
    load_input,
)
from models.errors import (
    Conflict,
    Forbidden,
    IntakeError,
    InvalidDecision,
    InvalidInput,
    ModelError,
    NotFound,
    problems_from,
)
from models.store import cases as store_cases
from models.store import database as store
from models.store import decisions as store_decisions
from models.store import policies as store_policies
from models.store.database import DB
from rules.characters import unsafe_character
from rules.loader import load_policy
from rules.policy import Policy

ANY_ROLE = ("admin", "officer", "viewer")
DECIDING = ("accept", "override")


class Evaluator(Protocol):
    """What the desk needs from the engine: `engine.service.ContainedEvaluator` in production."""

    def evaluate(
        self, policy: Policy, wallet: Wallet, as_of: dt.date, *, organisation: str = ""
    ) -> dict[str, Any]: ...


def require(user: User, *roles: str) -> None:
    if not user.active:
        raise Forbidden("this account is deactivated")
    if user.role not in roles:
        raise Forbidden(f"a {user.role} may not do this (needs: {', '.join(roles)})")


_validated: dict[str, Policy] = {}


def validated_policy(version: PolicyVersion) -> Policy:
    """The engine's policy for a stored version, checked against the digest it was stored with."""
    found = _validated.get(version.digest)
    if found is None:
        found = load_policy(dict(version.document), source=f"{version.policy_id}@{version.version}")
        if found.digest != version.digest:
            raise ModelError(
                f"stored policy {version.policy_id}@{version.version} fails its digest"
            )
        if len(_validated) >= 256:
            _validated.clear()
        _validated[version.digest] = found
    return found


def case_policy(db: DB, case: Case) -> Policy:
    """The exact policy version a case is judged under."""
    version = store_policies.get_policy(
        db, case.organisation_id, case.policy_id, case.policy_version
    )
    return validated_policy(version)


# ---- cases ------------------------------------------------------------------------------------


def _read_wallet(document: Any, secret: bytes) -> tuple[Wallet, str, str | None]:
    """The engine wallet, and the learner's own id and name (personal: for the learners table)."""
    try:
        wallet = wallet_from_document(document, secret, "wallet")
    except IntakeError as exc:
        raise InvalidInput(
            {f"wallet.{p.path}".rstrip("."): p.message for p in exc.problems}
        ) from None
    learner = document.get("learner") if isinstance(document, Mapping) else None
    if not isinstance(learner, Mapping) or not str(learner.get("id", "")).strip():
        raise InvalidInput({"wallet.learner": "a case needs the learner's own id"})
    return wallet, str(learner["id"]).strip(), learner.get("name")


def open_case(
    db: DB,
    user: User,
    data: Mapping[str, Any],
    *,
    learner_key_secret: bytes = DEVELOPMENT_LEARNER_KEY_SECRET,
) -> Case:
    """Open a case: one learner, one purpose, the policy version in force on the application date.

    `data`: wallet (the native wallet document), purpose, application_date, received_on,
    optional complete_on, optional applicant (facts) and request (what is asked, with its
    items), and optional policy_id / policy_version to name another version.
    """
    require(user, "officer")
    values = load_input(CaseInputSchema(), data)
    document = dict(values["wallet"])
    for key in ("applicant", "request"):
        if values[key] is not None:
            document[key] = values[key]
    wallet, external_id, name = _read_wallet(document, learner_key_secret)
    received, complete = values["received_on"], values["complete_on"]
    if complete is not None and complete < received:
        raise InvalidInput({"complete_on": "expected a date on or after received_on"})
    policy = _policy_for(db, user, values)
    return store_cases.create_case(
        db,
        user,
        learner_key=wallet.learner_key,
        learner_name=name,
        learner_external_id=external_id,
        purpose=values["purpose"],
        policy=policy,
        application_date=values["application_date"],
        received_on=received,
        complete_on=complete,
        credentials=wallet_to_plain(wallet),
    )


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


def _policy_for(db: DB, user: User, values: Mapping[str, Any]) -> PolicyVersion:
    org, purpose, day = user.organisation_id, values["purpose"], values["application_date"]
    pid, version = values["policy_id"], values["policy_version"]
    if pid and version:
        try:
            chosen = store_policies.get_policy(db, org, pid, version)
        except NotFound:
            raise InvalidInput(
                {"policy_version": f"no version {version} of policy {pid}"}
            ) from None
        if chosen.purpose != purpose:
            raise InvalidInput(
                {"policy_id": f"policy {pid} is for {chosen.purpose}, not {purpose}"}
            )
        return chosen
    if version:
        raise InvalidInput({"policy_id": "name the policy whose version is given"})
    found = store_policies.policies_in_force(db, org, purpose, day, pid)
    if not found:
        what = f"policy {pid}" if pid else f"{purpose} policy"
        raise InvalidInput({"policy_id": f"no {what} is in force on {day.isoformat()}"})
    if len(found) > 1:
        names = ", ".join(sorted(p.policy_id for p in found))
        raise InvalidInput({"policy_id": f"several policies are in force; name one of: {names}"})
    return found[0]


def add_evidence(
    db: DB,
    user: User,
    case_id: int,
    wallet_document: Any = None,
    *,
    applicant: Mapping[str, Any] | None = None,
    complete_on: dt.date | None = None,
    received_on: dt.date | None = None,
    learner_key_secret: bytes = DEVELOPMENT_LEARNER_KEY_SECRET,
) -> Case:
    """New or corrected credentials (a wallet document) and applicant facts (with their
    provenance) received on `received_on` (default today), merged into the latest snapshot as
    `evidence.merged` says: a new snapshot; the case is open again."""
    require(user, "officer")
    if wallet_document is None and not applicant:
        raise InvalidInput({"wallet": "give new or corrected credentials, applicant facts or both"})
    wallet = _read_wallet(wallet_document, learner_key_secret)[0] if wallet_document else None
    try:
        facts, sources = applicant_from(dict(applicant or {}))
    except ValidationError as exc:
        problems = problems_from(exc.messages, "applicant")
        raise InvalidInput({p.path: p.message for p in problems}) from None
    org = user.organisation_id
    with store.transaction(db):
        case = store_cases.get_case(db, org, case_id)
        if wallet is not None and wallet.learner_key != case.learner_key:
            raise InvalidInput({"wallet.learner.id": "these credentials belong to another learner"})
        if case.status in ("decided", "awaiting_confirmation"):
            raise Conflict(f"the case is {case.status}; reopen it before adding evidence")
        previous = wallet_from_plain(dict(store_cases.snapshots(db, org, case_id)[-1].credentials))
        snapshot = merged(previous, wallet, facts, sources)
        day = received_on or dt.datetime.now(dt.UTC).date()
        store_cases.add_snapshot(db, user, case_id, wallet_to_plain(snapshot), day)
        if complete_on is not None:
            store_cases.set_complete_on(db, user, case_id, complete_on)
        store_cases.add_event(db, user, case_id, "open", "evidence added")
        return store_cases.get_case(db, org, case_id)


def evaluate_case(db: DB, user: User, case_id: int, evaluator: Evaluator) -> Evaluation:
    """Evaluate the latest snapshot under the case's policy version, as of the application date."""
    require(user, "officer")
    org = user.organisation_id
    case = store_cases.get_case(db, org, case_id)
    if case.status in ("decided", "awaiting_confirmation"):
        raise Conflict(f"the case is {case.status}; reopen it to evaluate again")
    snapshot = store_cases.snapshots(db, org, case_id)[-1]
    policy = validated_policy(
        store_policies.get_policy(db, org, case.policy_id, case.policy_version)
    )
    wallet = wallet_from_plain(dict(snapshot.credentials))  # organisations take turns for workers
    result = evaluator.evaluate(policy, wallet, case.application_date, organisation=str(org))
    with store.transaction(db):
        now_case = store_cases.get_case(db, org, case_id)
        if (
            now_case.status != case.status
            or store_cases.snapshots(db, org, case_id)[-1].id != snapshot.id
        ):
            raise Conflict("the case changed while it was being evaluated; evaluate it again")
        evaluation = store_decisions.store_evaluation(db, user, case_id, snapshot.id, result)
        store_cases.add_event(db, user, case_id, "evaluated")
        return evaluation


# ---- decisions --------------------------------------------------------------------------------


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
        kind = decision_kind(store_cases.events(db, org, case_id), history)
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
        raise Conflict("this idempotency key was used for a different request")
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
            raise InvalidDecision({"decision_id": "this decision needs no confirmation"})
        if target.confirmed_by is not None:
            raise Conflict("this decision is confirmed already")
        pending = [d for d in store_decisions.decisions(db, org, case.id) if d.action in DECIDING]
        if case.status != "awaiting_confirmation" or pending[-1].id != target.id:
            raise Conflict("a later decision supersedes this one; confirm that one instead")
        if target.officer_id == user.id:
            raise Forbidden("four-eyes: a different officer must confirm this decision")
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


def reopen_case(db: DB, user: User, case_id: int, reason: str, *, appeal: bool = False) -> Case:
    """Reopen a decided case (or record an appeal); the next decision links to the last one."""
    require(user, "officer")
    if not reason.strip():
        raise InvalidInput({"reason": "state why the case is reopened"})
    if why := unsafe_character(reason):
        raise InvalidInput({"reason": f"the text {why}; remove it"})
    with store.transaction(db):
        case = store_cases.get_case(db, user.organisation_id, case_id)
        if case.status != "decided":
            raise Conflict(f"only a decided case can be reopened; this one is {case.status}")
        store_cases.add_event(
            db, user, case_id, "appealed" if appeal else "reopened", reason.strip()
        )
        return store_cases.get_case(db, user.organisation_id, case_id)
