"""The case queue, the new-case form and the case page.

The case page shows the learner's credentials, the engine's proposal with its explanation, the
decision form (for officers), the four-eyes confirmation, and the append-only history. The forms
on it post to `views.pages.decisions`, which renders this page again (with the errors beside the
fields) when a form is rejected.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _

from models.desk import admin as desk_admin
from models.desk import cases as desk
from models.desk import queue as desk_queue
from models.desk import reads as desk_read
from models.desk.decision_rules import ALLOWED_FROM, proposal_of
from models.desk.queue_records import DecisionReturn
from models.desk.records import CaseFile, Decision, User
from models.errors import InvalidInput
from views.context import get_db, learner_key_secret
from views.pages.forms import QueueFilter, case_input, load_form, queue_query
from views.pages.policy_texts import use_policy_texts
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
    """The work queue: everything in the query string (bookmarkable), no script needed."""
    user = current_user()
    args = {k: v for k, v in request.args.to_dict().items() if v != ""}
    try:
        values = load_form(QueueFilter(), args)
        errors: dict[str, str] = {}
    except InvalidInput as exc:
        values, errors = load_form(QueueFilter(), {}), exc.fields
    query = queue_query(values)
    found = desk_queue.search_queue(get_db(), user, query)
    if found.rows == () and query.page > found.pages:  # a page beyond the end: the last one
        query = dataclasses.replace(query, page=found.pages)
        found = desk_queue.search_queue(get_db(), user, query)
    shown = {k: v for k, v in args.items() if k in QUEUE_ARGS and k not in errors}

    def link(**changes: Any) -> str:
        """The queue's URL with `changes` (None drops a parameter; a new view or filter
        starts again at page 1)."""
        merged = {**shown, **changes}
        if "page" not in changes:
            merged.pop("page", None)
        return url_for("cases.queue", **{k: v for k, v in merged.items() if v is not None})

    return render_template(
        "queue.html",
        link=link,
        found=found,
        query=query,
        args=shown,
        filters=values,
        policies=desk_queue.queue_policies(get_db(), user),
        errors=errors,
    ), 422 if errors else 200


QUEUE_ARGS = ("view", "q", "status", "purpose", "policy", "overdue", "sort", "dir", "page")


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
    flash(_("Case %(ref)s opened under %(policy)s version %(v)s.", ref=case.reference or case.id,
            policy=case.policy_id, v=case.policy_version))  # fmt: skip
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
    """The case page; `errors`/`forms` per form name (decide, reopen, evidence, confirm,
    return, assign)."""
    user, db = current_user(), get_db()
    found = desk_read.case_file(db, user, case_id)
    forms = dict(forms or {})
    forms.setdefault("decide", {"idempotency_key": new_idempotency_key()})
    forms.setdefault("confirm", {"idempotency_key": new_idempotency_key()})
    view = case_view(found, user, policy=desk.case_policy(db, found.case))
    case = found.case
    use_policy_texts(desk_admin.get_policy(db, user, case.policy_id, case.policy_version).document)

    returns = desk_queue.returns_of(db, user, case_id)
    view.update(
        names=desk_queue.staff_names(db, user),
        officers=desk_queue.officers(db, user),
        assignment=desk_queue.assignment_of(db, user, case_id),
        returns={r.decision_id: r for r in returns},
        returned=_returned(found, returns),
        decision_numbers=desk_queue.numbers_in_case([d.id for d in found.decisions]),
        evaluation_numbers=desk_queue.numbers_in_case([e.id for e in found.evaluations]),
    )
    view["confirm_rows"] = _decided_rows(found, view["pending"]) if view["pending"] else []
    return render_template(
        "case.html", file=found, view=view, errors=errors or {}, forms=forms
    ), status


def _returned(found: CaseFile, returns: list[DecisionReturn]) -> DecisionReturn | None:
    """The return of the case's latest decision while nobody has decided again since."""
    decided = [d for d in found.decisions if d.action in desk.DECIDING]
    if not decided or not returns or found.case.status == "awaiting_confirmation":
        return None
    return returns[-1] if returns[-1].decision_id == decided[-1].id else None


def _decided_rows(found: CaseFile, decision: Decision) -> list[dict[str, Any]]:
    """What a decision decided, rule by rule and item by item, with the titles of the
    evaluation it rests on: what the confirming officer checks."""
    evaluation = next((e for e in found.evaluations if e.id == decision.evaluation_id), None)
    result = evaluation.result if evaluation else {}
    outcomes = {o["rule"]: o for o in result.get("outcomes", [])}
    items = {d["item"]: d for d in result.get("dispositions", [])}
    proposal = proposal_of(result) if result else {}
    rows = []
    for key, level in sorted(decision.outcomes.items()):
        if key.startswith("options:"):
            continue
        if key.startswith("request:"):
            item = items.get(key.removeprefix("request:"), {})
            rows.append({"title": item.get("title", key), "rule": key, "kind": "request",
                         "level": level, "label": item.get("label") if proposal.get(key) == level
                         else level, "proposed": proposal.get(key)})  # fmt: skip
            continue
        o = outcomes.get(key, {"title": key, "kind": "recognition"})
        rows.append({"title": o["title"], "rule": key, "kind": o["kind"], "level": level,
                     "proposed": proposal.get(key)})  # fmt: skip
    return rows


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
        # While a decision awaits confirmation the form is locked: deciding again would set it
        # aside unseen; the checking officer returns it instead.
        "can_decide": officer and case.status in ALLOWED_FROM["accept"] and pending is None,
        "can_request": officer and case.status in ALLOWED_FROM["request_evidence"],
        "can_assign": officer,
        "can_add_evidence": officer and case.status not in CLOSED,
        "can_reopen": officer and case.status == "decided",
        "pending": pending,
        "can_confirm": officer and pending is not None and pending.officer_id != user.id,
        "has_letter": bool(decided),
        "decision_ids": {d.id for d in found.decisions},
    }
