"""Opening a case, adding the applicant's evidence to it, and evaluating it.

Checks that depend on stored state run inside the same `BEGIN IMMEDIATE` transaction as the
write. The engine itself runs outside any transaction: the write lock is never held during
evaluation. Each write refreshes the case's row of the queue (`queue.refresh_queue_row`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from engine.inputs import Wallet, wallet_from_plain, wallet_to_plain
from models.credentials.intake import DEVELOPMENT_LEARNER_KEY_SECRET, wallet_from_document
from models.credentials.structured import applicant_from
from models.desk.access import Evaluator, require, validated_policy
from models.desk.evidence import merged
from models.desk.queue import refresh_queue_row
from models.desk.records import Case, CaseInputSchema, Evaluation, PolicyVersion, User, load_input
from models.desk.words import purpose_word, status_word
from models.errors import Conflict, IntakeError, InvalidInput, NotFound, problems_from
from models.messages import N_
from models.store import cases as store_cases
from models.store import database as store
from models.store import decisions as store_decisions
from models.store import policies as store_policies
from models.store.database import DB


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
        raise InvalidInput({"wallet.learner": N_("a case needs the learner's own id")})
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
        raise InvalidInput({"complete_on": N_("expected a date on or after received_on")})
    policy = _policy_for(db, user, values)
    with store.transaction(db):
        case = store_cases.create_case(
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
        refresh_queue_row(db, user.organisation_id, case.id)
        return case


def _policy_for(db: DB, user: User, values: Mapping[str, Any]) -> PolicyVersion:
    org, purpose, day = user.organisation_id, values["purpose"], values["application_date"]
    pid, version = values["policy_id"], values["policy_version"]
    if pid and version:
        try:
            chosen = store_policies.get_policy(db, org, pid, version)
        except NotFound:
            raise InvalidInput(
                {"policy_version": N_("no version %(v)s of policy %(p)s", v=version, p=pid)}
            ) from None
        if chosen.purpose != purpose:
            raise InvalidInput(
                {"policy_id": N_("policy %(p)s is for %(its)s, not %(asked)s", p=pid,
                                 its=purpose_word(chosen.purpose), asked=purpose_word(purpose))}
            )  # fmt: skip

        return chosen
    if version:
        raise InvalidInput({"policy_id": N_("name the policy whose version is given")})
    found = store_policies.policies_in_force(db, org, purpose, day, pid)
    if not found:
        what = (
            N_("policy %(p)s", p=pid)
            if pid
            else N_("%(purpose)s policy", purpose=purpose_word(purpose))
        )
        raise InvalidInput(
            {"policy_id": N_("no %(what)s is in force on %(day)s", what=what, day=day.isoformat())}
        )
    if len(found) > 1:
        names = ", ".join(sorted(p.policy_id for p in found))
        raise InvalidInput(
            {"policy_id": N_("several policies are in force; name one of: %(names)s", names=names)}
        )
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
        raise InvalidInput(
            {"wallet": N_("give new or corrected credentials, applicant facts or both")}
        )
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
            raise InvalidInput(
                {"wallet.learner.id": N_("these credentials belong to another learner")}
            )
        if case.status in ("decided", "awaiting_confirmation"):
            raise Conflict(
                N_("the case is %(status)s; reopen it before adding evidence",
                   status=status_word(case.status))
            )  # fmt: skip
        previous = wallet_from_plain(dict(store_cases.snapshots(db, org, case_id)[-1].credentials))
        snapshot = merged(previous, wallet, facts, sources)
        day = received_on or dt.datetime.now(dt.UTC).date()
        store_cases.add_snapshot(db, user, case_id, wallet_to_plain(snapshot), day)
        if complete_on is not None:
            store_cases.set_complete_on(db, user, case_id, complete_on)
        store_cases.add_event(db, user, case_id, "open", "evidence added")
        refresh_queue_row(db, org, case_id)
        return store_cases.get_case(db, org, case_id)


def evaluate_case(db: DB, user: User, case_id: int, evaluator: Evaluator) -> Evaluation:
    """Evaluate the latest snapshot under the case's policy version, as of the application date."""
    require(user, "officer")
    org = user.organisation_id
    case = store_cases.get_case(db, org, case_id)
    if case.status in ("decided", "awaiting_confirmation"):
        raise Conflict(
            N_(
                "the case is %(status)s; reopen it to evaluate again",
                status=status_word(case.status),
            )
        )
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
            raise Conflict(N_("the case changed while it was being evaluated; evaluate it again"))

        evaluation = store_decisions.store_evaluation(db, user, case_id, snapshot.id, result)
        store_cases.add_event(db, user, case_id, "evaluated")
        refresh_queue_row(db, org, case_id)
        return evaluation
