"""What an officer does on a case: evaluate, decide, confirm (four-eyes), reopen or record an
appeal, add evidence; and what anyone may read: the replay check. (Letters: `views.pages.letters`.)

Each POST parses its form, calls one desk function and redirects to the case page; a rejected
form renders the case page again with the errors beside the fields and nothing stored.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template

from models.desk import cases as desk
from models.desk import reads as desk_read
from models.errors import Conflict, InvalidInput
from views.context import get_db, get_evaluator, learner_key_secret
from views.pages.cases import render_case
from views.pages.forms import (
    EvidenceForm,
    KeyForm,
    ReopenForm,
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
    fields = exc.fields if isinstance(exc, InvalidInput) else {"_schema": str(exc)}
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
    flash(f"Evaluated under the case's policy version (evaluation {evaluation.id}).")
    return see_other("cases.case_page", case_id=case_id, _anchor="proposal")


@bp.post("/cases/<int:case_id>/decisions")
@login_required
def decide(case_id: int) -> Any:
    form = form_fields()
    try:
        decision = desk.decide(get_db(), current_user(), case_id, decision_input(form))
    except (InvalidInput, Conflict) as exc:
        return _rejected(case_id, "decide", exc, form)
    note = (
        " It now awaits a second officer's confirmation." if decision.requires_confirmation else ""
    )
    flash(f"Decision {decision.id} recorded.{note}")
    return see_other("cases.case_page", case_id=case_id, _anchor="history")


@bp.post("/decisions/<int:decision_id>/confirm")
@login_required
def confirm(decision_id: int) -> Any:
    values = load_form(KeyForm(), form_fields())
    decision = desk.confirm(
        get_db(), current_user(), decision_id, idempotency_key=values["idempotency_key"]
    )
    flash(f"Decision {decision_id} confirmed; the case is decided.")
    return see_other("cases.case_page", case_id=decision.case_id, _anchor="history")


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
    flash("Appeal recorded." if values["appeal"] else "Case reopened.")
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
    flash("Evidence added as a new snapshot of the credentials; evaluate the case again.")
    return see_other("cases.case_page", case_id=case_id)


@bp.get("/cases/<int:case_id>/replay")
@login_required
def replay(case_id: int) -> Any:
    report = desk_read.replay(get_db(), current_user(), case_id, get_evaluator())
    return render_template("replay.html", report=report)
