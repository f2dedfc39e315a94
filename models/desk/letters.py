"""Letters as desk operations: what a letter on a decision says (`letter_content`), and issuing
it — keeping the PDF that was sent, with its sha256 in the trail.

The desk does not render: the web front turns `LetterContent` into HTML and a PDF (in the
applicant's language) and hands the bytes here. A letter is issued only on a decision in effect —
the newest entry of its case that is not a confirmation, confirmed where four eyes apply — or on
an evidence request; the letter's purpose follows from the decision (see
`letter_content.letter_purpose`). Downloading returns the stored bytes, never a new rendering.
"""

from __future__ import annotations

import datetime as dt

from models.desk import letter_content as content
from models.desk.cases import ANY_ROLE, DECIDING, answers_of, case_policy, require
from models.desk.letter_records import LETTER_LANGUAGES, IssuedLetter
from models.desk.queue import numbers_in_case
from models.desk.records import Decision, User
from models.errors import Conflict, InvalidInput, NotFound
from models.messages import N_
from models.store import cases as store_cases
from models.store import database as store
from models.store import decisions as store_decisions
from models.store import letters as store_letters
from models.store import organisation as store_org
from models.store import policies as store_policies
from models.store import users as store_users
from models.store.database import DB

LETTER_ACTIONS = (*DECIDING, "request_evidence")


def _decision_of(db: DB, user: User, case_id: int, decision_id: int | None) -> Decision:
    history = store_decisions.decisions(db, user.organisation_id, case_id)
    lettered = [d for d in history if d.action in LETTER_ACTIONS]
    if decision_id is None:
        if not lettered:
            raise NotFound(N_("no decision has been made on this case yet"))
        return lettered[-1]
    found = next((d for d in lettered if d.id == decision_id), None)
    if found is None:
        raise NotFound(
            N_("no decision %(d)s with a letter in case %(c)s", d=decision_id, c=case_id)
        )
    return found


def _name(db: DB, organisation_id: int, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    try:
        return store_users.get_user(db, organisation_id, user_id).display_name
    except NotFound:
        return None


def letter_content(
    db: DB, user: User, case_id: int, decision_id: int | None = None
) -> content.LetterContent:
    """What the letter on a decision of the case says (default: the newest decision)."""
    require(user, *ANY_ROLE)
    org = user.organisation_id
    case = store_cases.get_case(db, org, case_id)
    decision = _decision_of(db, user, case_id, decision_id)
    evaluation = (
        store_decisions.get_evaluation(db, org, decision.evaluation_id)
        if decision.evaluation_id is not None
        else None
    )
    snapshots = store_cases.snapshots(db, org, case_id)
    snapshot = next((s for s in snapshots if evaluation and s.id == evaluation.snapshot_id),
                    snapshots[-1])  # fmt: skip
    names = content.credential_names(snapshot.credentials)
    policy = case_policy(db, case)
    version = store_policies.get_policy(db, org, case.policy_id, case.policy_version)
    elements = content.elements_of(decision, evaluation, policy, names)
    allowed = answers_of(policy, evaluation.result) if evaluation else {}
    answers = content.answers_of_decision(decision, evaluation, allowed)
    learner = store_policies.get_learner(db, org, case.learner_key)
    # Decisions by their number within the case, as every page numbers them.
    numbers = numbers_in_case([d.id for d in store_decisions.decisions(db, org, case_id)])
    previous = None
    if decision.previous_decision_id is not None and decision.kind != "initial":
        earlier = store_decisions.get_decision(db, org, decision.previous_decision_id)
        previous = (str(numbers.get(earlier.id, earlier.id)), content.decided_on(earlier))
    return content.LetterContent(
        purpose=content.letter_purpose(decision, elements, answers),
        subject=content.letter_subject(case, elements, answers),
        organisation=store_org.get_settings(db, org),
        case_id=case.id,
        case_reference=content.case_reference(case),
        decision_id=decision.id,
        decision_number=str(numbers.get(decision.id, decision.id)),
        decided_on=content.decided_on(decision),
        draft=decision.requires_confirmation and decision.confirmed_by is None,
        application_date=case.application_date,
        received_on=case.received_on,
        complete_on=case.complete_on,
        applicant_name=None if learner.erased_at else learner.display_name,
        applicant_address=store_org.learner_address(db, org, case.learner_key),
        officer=_name(db, org, decision.officer_id) or "—",
        confirmer=_name(db, org, decision.confirmed_by),
        policy_title=version.title,
        policy_version=version.version,
        policy_from=version.effective_from,
        policy_to=version.effective_to,
        policy_digest=version.digest,
        fingerprint=decision.fingerprint,
        elements=elements,
        answers=answers,
        evidence=content.evidence_of(evaluation, names)
        if decision.action == "request_evidence"
        else (),
        justification=decision.justification,
        exception_type=decision.exception_type,
        policy_texts=dict(version.document.get("translations") or {}),
        previous=previous,
    )


def check_issuable(db: DB, user: User, decision_id: int) -> Decision:
    """The decision, if a letter or credential may be issued on it now; else why not."""
    require(user, "officer")
    org = user.organisation_id
    decision = store_decisions.get_decision(db, org, decision_id)
    if decision.action not in LETTER_ACTIONS:
        raise NotFound(N_("no decision %(d)s with a letter", d=decision_id))
    history = [d for d in store_decisions.decisions(db, org, decision.case_id)
               if d.action != "confirm"]  # fmt: skip
    if history and history[-1].id != decision.id:
        raise Conflict(N_("a later decision supersedes this one; issue the letter on that one"))
    if decision.requires_confirmation and decision.confirmed_by is None:
        raise Conflict(N_("this decision awaits a second officer's confirmation; it is not final"))
    return decision


def issue_letter(
    db: DB,
    user: User,
    decision_id: int,
    *,
    language: str,
    purpose: str,
    pdf: bytes,
    reply_by: dt.date | None = None,
) -> IssuedLetter:
    """Keep the PDF sent on a final decision; the trail entry holds its sha256."""
    if language not in LETTER_LANGUAGES:
        raise InvalidInput(
            {"language": N_("expected one of %(choices)s", choices=", ".join(LETTER_LANGUAGES))}
        )
    if not pdf.startswith(b"%PDF-"):
        raise InvalidInput({"pdf": N_("expected a PDF")})

    with store.transaction(db):
        decision = check_issuable(db, user, decision_id)
        return store_letters.insert_letter(
            db,
            user,
            case_id=decision.case_id,
            decision_id=decision.id,
            language=language,
            purpose=purpose,
            reply_by=reply_by.isoformat() if reply_by else None,
            pdf=pdf,
        )


def get_letter(db: DB, user: User, letter_id: int) -> IssuedLetter:
    """The stored PDF; handing it out is recorded in the trail as an export."""
    require(user, *ANY_ROLE)
    letter = store_letters.get_letter(db, user.organisation_id, letter_id)
    store.record_event(db, user, "export", f"letter:{letter_id}",
                       {"case": letter.case_id, "sha256": letter.sha256})  # fmt: skip
    return letter


def letters_of_case(db: DB, user: User, case_id: int) -> list[IssuedLetter]:
    require(user, *ANY_ROLE)
    store_cases.get_case(db, user.organisation_id, case_id)
    return store_letters.letters_of_case(db, user.organisation_id, case_id)


def record_preview(db: DB, user: User, letter: content.LetterContent) -> None:
    """A letter shown on screen is an export of the case, recorded in the trail."""
    store.record_event(db, user, "export", f"case:{letter.case_id}",
                       {"letter_preview": letter.decision_id})  # fmt: skip


def letters_of_decision(db: DB, user: User, decision_id: int) -> list[IssuedLetter]:
    require(user, *ANY_ROLE)
    decision = store_decisions.get_decision(db, user.organisation_id, decision_id)
    found = store_letters.letters_of_case(db, user.organisation_id, decision.case_id)
    return [letter for letter in found if letter.decision_id == decision_id]
