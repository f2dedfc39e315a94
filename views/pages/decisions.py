"""What an officer does on a case: evaluate, decide, confirm (four-eyes), reopen or record an
appeal, add evidence; and what anyone may read: the replay check. (Letters: `views.pages.letters`.)

Each POST parses its form, calls one desk function and redirects (303) to the case page, so a
reload shows the page and never posts again. A rejected form renders the case page again (422,
409) with an error summary at the top of the form and the errors beside the fields, nothing
stored; the browser's URL is then the form's action, and a reload posts the same form again:
that is refused again for the same reason, and should the case have changed so that it is
accepted, the form's idempotency key (kept in the re-rendered form) records it at most once.
Redirecting a rejected form instead would need the typed text kept in the session; the
re-render keeps it in the page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template
from flask_babel import gettext as _

from models.desk import cases as desk
from models.desk import queue as desk_queue
from models.desk import reads as desk_read
from models.errors import Conflict, InvalidInput
from views.context import get_db, get_evaluator, learner_key_secret
from views.pages.cases import render_case
from views.pages.forms import (
    EvidenceForm,
    KeyForm,
    ReopenForm,
    ReturnForm,
    assigned_officer,
    decision_input,
    json_object,
    load_form,
)
from views.pages.forms import wallet_document as read_wallet
from views.pages.web import current_user, form_fields, login_required, see_other
from views.pages.web import uploaded as uploaded_file
from views.rates import count_evaluation

bp = Blueprint("decisions", __name__)


def _rejected(case_id: int, name: str, exc: Exception, form: dict[str, Any]) -> Any:
    fields = exc.fields if isinstance(exc, InvalidInput) else {"_schema": exc.message}
    status = 409 if isinstance(exc, Conflict) else 422
    return render_case(case_id, errors={name: fields}, forms={name: form}, status=status)


@bp.post("/cases/<int:case_id>/evaluate")
@login_required
def evaluate(case_id: int) -> Any:
    try:
        count_evaluation(current_user().id)
        evaluation = desk.evaluate_case(get_db(), current_user(), case_id, get_evaluator())
    except Conflict as exc:
        return _rejected(case_id, "evaluate", exc, {})
    n = _number(case_id, evaluation.id, "evaluations")
    flash(_("Evaluated under the case's policy version (evaluation %(n)s).", n=n))
    return see_other("cases.case_page", case_id=case_id, _anchor="proposal")


@bp.post("/cases/<int:case_id>/decisions")
@login_required
def decide(case_id: int) -> Any:
    form = form_fields()
    try:
        decision = desk.decide(get_db(), current_user(), case_id, decision_input(form))
    except (InvalidInput, Conflict) as exc:
        return _rejected(case_id, "decide", exc, form)
    n = _number(case_id, decision.id)
    if decision.requires_confirmation:
        flash(_("Decision %(n)s recorded. It now awaits a second officer's confirmation.", n=n))
    else:
        flash(_("Decision %(n)s recorded.", n=n))
    return see_other("cases.case_page", case_id=case_id, _anchor=f"decision-{decision.id}")


def _number(case_id: int, row_id: int, of: str = "decisions") -> int:
    found = desk_read.case_file(get_db(), current_user(), case_id)
    rows = found.decisions if of == "decisions" else found.evaluations
    return desk_queue.numbers_in_case([r.id for r in rows])[row_id]


@bp.post("/decisions/<int:decision_id>/confirm")
@login_required
def confirm(decision_id: int) -> Any:
    values = load_form(KeyForm(), form_fields())
    decision = desk.confirm(
        get_db(), current_user(), decision_id, idempotency_key=values["idempotency_key"]
    )
    n = _number(decision.case_id, decision_id)
    flash(_("Decision %(n)s confirmed; the case is decided.", n=n))
    return see_other("cases.case_page", case_id=decision.case_id, _anchor="history")


@bp.post("/decisions/<int:decision_id>/return")
@login_required
def return_to_author(decision_id: int) -> Any:
    """Four eyes: send the decision back to its author with the reason."""
    form = form_fields()
    db, user = get_db(), current_user()
    case_id = desk_queue.case_of_decision(db, user, decision_id)
    try:
        values = load_form(ReturnForm(), form)
        desk.return_decision(db, user, decision_id, values["reason"])
    except (InvalidInput, Conflict) as exc:
        return _rejected(case_id, "return", exc, form)
    n = _number(case_id, decision_id)
    flash(_("Decision %(n)s returned to its author with your reason.", n=n))
    return see_other("cases.case_page", case_id=case_id, _anchor="history")


@bp.post("/cases/<int:case_id>/assign")
@login_required
def assign(case_id: int) -> Any:
    form = form_fields()
    user = current_user()
    try:
        officer = assigned_officer(form, user.id)
        desk.assign_case(get_db(), user, case_id, officer)
    except (InvalidInput, Conflict) as exc:
        return _rejected(case_id, "assign", exc, form)
    flash(_("Assignment recorded."))
    return see_other("cases.case_page", case_id=case_id)


@bp.post("/cases/<int:case_id>/reopen")
@login_required
def reopen(case_id: int) -> Any:
    form = form_fields()
    try:
        values = load_form(ReopenForm(), form)
        desk.reopen_case(
            get_db(), current_user(), case_id, values["reason"], appeal=values["appeal"]
        )
    except (InvalidInput, Conflict) as exc:
        return _rejected(case_id, "reopen", exc, form)
    flash(_("Appeal recorded.") if values["appeal"] else _("Case reopened."))
    return see_other("cases.case_page", case_id=case_id, _anchor="history")


@bp.post("/cases/<int:case_id>/evidence")
@login_required
def add_evidence(case_id: int) -> Any:
    form = form_fields()
    secret = learner_key_secret()
    try:
        values = load_form(EvidenceForm(), form)
        upload = uploaded_file("wallet_file")
        applicant = json_object(values["applicant_text"], "applicant")
        document = None
        if upload is not None or values["wallet_text"].strip() or applicant is None:
            document = read_wallet(values["wallet_text"], upload, secret)
        desk.add_evidence(
            get_db(),
            current_user(),
            case_id,
            document,
            applicant=applicant,
            complete_on=values["complete_on"],
            received_on=values["received_on"],
            learner_key_secret=secret,
        )
    except (InvalidInput, Conflict) as exc:
        return _rejected(case_id, "evidence", exc, form)
    flash(_("Evidence added as a new snapshot of the credentials; evaluate the case again."))
    return see_other("cases.case_page", case_id=case_id)


@bp.get("/cases/<int:case_id>/replay")
@login_required
def replay(case_id: int) -> Any:
    report = desk_read.replay(get_db(), current_user(), case_id, get_evaluator())
    found = desk_read.case_file(get_db(), current_user(), case_id)
    decisions = desk_queue.numbers_in_case([d.id for d in found.decisions])
    evaluations = desk_queue.numbers_in_case([e.id for e in found.evaluations])
    return render_template(
        "replay.html",
        report=report,
        case=found.case,
        decision_number=decisions.get(report.decision_id or 0),
        evaluation_number=evaluations[report.evaluation_id],
    )
