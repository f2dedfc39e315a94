"""The case queue, the new-case form and the case page.

The case page shows the learner's credentials, the engine's proposal with its explanation, the
decision form (for officers), the four-eyes confirmation, and the append-only history. The forms
on it post to `views.pages.decisions`, which renders this page again (with the errors beside the
fields) when a form is rejected.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, render_template, request

from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.desk import reads as desk_read
from models.desk.decision_rules import ALLOWED_FROM, proposal_of
from models.desk.records import CaseFile, User
from models.errors import InvalidInput
from views.context import get_db, learner_key_secret
from views.pages.forms import QueueFilter, case_input, load_form
from views.pages.web import (
    current_user,
    form_fields,
    login_required,
    new_idempotency_key,
    see_other,
    uploaded,
)

bp = Blueprint("cases", __name__)
CLOSED = ("decided", "awaiting_confirmation")


@bp.get("/cases")
@login_required
def queue() -> Any:
    user = current_user()
    try:
        filters = load_form(QueueFilter(), request.args.to_dict())
        errors: dict[str, str] = {}
    except InvalidInput as exc:
        filters, errors = {"status": None, "purpose": None, "overdue": None}, exc.fields
    overdue = {"yes": True, "no": False}.get(filters["overdue"] or "")
    items = desk_read.case_queue(
        get_db(), user, status=filters["status"], purpose=filters["purpose"], overdue=overdue
    )
    return render_template(
        "queue.html", items=items, filters=filters, errors=errors
    ), 422 if errors else 200


def _new_case_page(form: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    policies = desk_admin.list_policies(get_db(), current_user())
    return render_template("case_new.html", form=form, errors=errors, policies=policies), status


@bp.get("/cases/new")
@login_required
def new_case() -> Any:
    today = dt.date.today().isoformat()
    form = {"application_date": today, "received_on": today}
    return _new_case_page(form, {})


@bp.post("/cases/new")
@login_required
def new_case_post() -> Any:
    user, form = current_user(), form_fields()
    secret = learner_key_secret()
    try:
        data = case_input(form, uploaded("wallet_file"), secret)
        case = desk.open_case(get_db(), user, data, learner_key_secret=secret)
    except InvalidInput as exc:
        return _new_case_page(form, exc.fields, 422)
    flash(f"Case {case.id} opened under {case.policy_id} version {case.policy_version}.")
    return see_other("cases.case_page", case_id=case.id)


@bp.get("/cases/<int:case_id>")
@login_required
def case_page(case_id: int) -> Any:
    return render_case(case_id)


def render_case(
    case_id: int,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    forms: dict[str, dict[str, Any]] | None = None,
    status: int = 200,
) -> Any:
    """The case page; `errors`/`forms` per form name (decide, reopen, evidence, confirm)."""
    user = current_user()
    found = desk_read.case_file(get_db(), user, case_id)
    forms = dict(forms or {})
    forms.setdefault("decide", {"idempotency_key": new_idempotency_key()})
    forms.setdefault("confirm", {"idempotency_key": new_idempotency_key()})
    return render_template(
        "case.html",
        file=found,
        view=case_view(found, user, policy=desk.case_policy(get_db(), found.case)),
        errors=errors or {},
        forms=forms,
    ), status


def case_view(
    found: CaseFile, user: User, today: dt.date | None = None, policy: Any = None
) -> dict[str, Any]:
    """What the case page derives from the case file: proposal, clock, what the user may do."""
    case = found.case
    today = today or dt.datetime.now(dt.UTC).date()
    snapshot = found.snapshots[-1]
    evaluation = found.evaluations[-1] if found.evaluations else None
    stale = evaluation is not None and evaluation.snapshot_id != snapshot.id
    clock = desk_read.decision_clock(case, found.snapshots, evaluation, case.status, today)
    officer = user.role == "officer" and user.active
    decided = [d for d in found.decisions if d.action in desk.DECIDING]
    pending = None
    if case.status == "awaiting_confirmation" and decided and decided[-1].confirmed_by is None:
        pending = decided[-1]
    return {
        "credentials": list(snapshot.credentials.get("credentials", [])),
        "facts": desk_read.applicant_facts(found.snapshots, policy),
        "snapshot": snapshot,
        "evaluation": evaluation,
        "result": evaluation.result if evaluation else None,
        "proposal": proposal_of(evaluation.result) if evaluation and not stale else {},
        "answers": desk.answers_of(policy, evaluation.result) if evaluation and policy else {},
        "stale": stale,
        "clock": clock,
        "can_evaluate": officer and case.status not in CLOSED,
        "can_decide": officer and case.status in ALLOWED_FROM["accept"],
        "can_request": officer and case.status in ALLOWED_FROM["request_evidence"],
        "can_add_evidence": officer and case.status not in CLOSED,
        "can_reopen": officer and case.status == "decided",
        "pending": pending,
        "can_confirm": officer and pending is not None and pending.officer_id != user.id,
        "has_letter": bool(decided),
        "decision_ids": {d.id for d in found.decisions},
    }
