"""What an officer does on a case: evaluate, decide, confirm (four-eyes), reopen or record an
appeal, add evidence; and what anyone may read: the replay check and the decision letter.

Each POST parses its form, calls one desk function and redirects to the case page; a rejected
form renders the case page again with the errors beside the fields and nothing stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, render_template

from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.desk import reads as desk_read
from models.desk.decision_rules import proposal_of
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


@bp.get("/cases/<int:case_id>/letter")
@login_required
def letter(case_id: int) -> Any:
    """The printable decision letter; producing it is recorded in the trail as an export."""
    user = current_user()
    found = desk_read.export_case(get_db(), user, case_id)
    decided = [d for d in found.decisions if d.action in desk.DECIDING]
    if not decided:
        abort(404, description="No decision has been made on this case yet.")
    decision = decided[-1]
    evaluation = next((e for e in found.evaluations if e.id == decision.evaluation_id), None)
    outcomes = {o["rule"]: o for o in (evaluation.result["outcomes"] if evaluation else [])}
    proposal = proposal_of(evaluation.result) if evaluation else {}
    elements = [
        {
            "rule": rule,
            "level": level,
            "proposed": proposal.get(rule),
            "outcome": outcomes.get(rule, {"title": rule, "kind": "recognition"}),
        }
        for rule, level in sorted(decision.outcomes.items())
        if not rule.startswith(("request:", "options:"))
    ]
    case = found.case
    answers = _answers(decision, evaluation, desk.case_policy(get_db(), case))
    clock = desk_read.decision_clock(
        case, found.snapshots, evaluation, case.status, dt.datetime.now(dt.UTC).date()
    )
    return render_template(
        "letter.html",
        file=found,
        decision=decision,
        evaluation=evaluation,
        elements=elements,
        answers=answers,
        policy=desk_admin.get_policy(get_db(), user, case.policy_id, case.policy_version),
        clock=clock,
        appeal_weeks=current_app.config.get("APPEAL_WEEKS", 3),
    )


def _answers(decision: Any, evaluation: Any, policy: Any) -> list[dict[str, Any]]:
    """The decided answer to each request item, in the policy's words, with its reasons and the
    options offered (unless the officer withheld them, with a justification)."""
    if evaluation is None:
        return []
    proposed = {d["item"]: d for d in evaluation.result.get("dispositions", [])}
    allowed = desk.answers_of(policy, evaluation.result)
    out = []
    for key, code in sorted(decision.outcomes.items()):
        if not key.startswith("request:"):
            continue
        item = key.removeprefix("request:")
        entry = proposed.get(item, {})
        answer = allowed.get(item, {}).get(code)
        same = entry.get("disposition") == code
        withheld = decision.outcomes.get(f"options:{item}") == "withheld"
        options = (
            []
            if withheld or (answer and answer.favourable)
            else list(entry.get("options", []) if same else (answer.options if answer else ()))
        )
        out.append({
            "item": item,
            "title": entry.get("title", item),
            "label": answer.label if answer else code,
            "favourable": bool(answer and answer.favourable),
            "reasons": entry.get("reasons", []) if same else [],
            "departs": not same,
            "proposed": entry.get("label"),
            "options": options,
            "alternatives": entry.get("alternatives", []) if same else [],
        })  # fmt: skip
    return out
