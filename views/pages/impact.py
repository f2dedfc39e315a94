"""Impact reports on the desk (admins): whom a draft affects before it is published.

A report is started from a draft (`/policies/drafts/<id>/impact`), a published version compared
with another (`/policies/<id>/<version>/impact`) or an uploaded policy file (`/policies/impact`);
it runs in the background (`models.desk.impact.ImpactRunner`) and its page refreshes itself
while it runs (no script). The finished report shows the counts by kind, the changed cases with
a link to the two explanations side by side, and CSV and Excel downloads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _

from engine.impact import KINDS
from models.desk import admin as desk_admin
from models.desk import drafts as desk_drafts
from models.desk import impact as desk_impact
from models.desk import impact_export
from models.desk.impact import ImpactRunner
from models.desk.impact_cohorts import FIELD, cohort_rows, start_cohort_report
from models.errors import Conflict, Forbidden, InvalidInput
from rules.document import parse_document
from rules.errors import PolicyError
from views.context import get_db, get_evaluator, learner_key_secret
from views.pages.forms import policy_document
from views.pages.web import current_user, form_fields, login_required, see_other, uploaded

bp = Blueprint("impact", __name__)
REFRESH_SECONDS = 2


def kind_labels() -> dict[str, str]:
    return {
        "met_to_not_met": _("met → not met"),
        "met_to_unknown": _("met → unknown"),
        "unknown_to_met": _("unknown → met"),
        "not_met_to_met": _("not met → met"),
        "unknown_to_not_met": _("unknown → not met"),
        "not_met_to_unknown": _("not met → unknown"),
        "met_to_not_applicable": _("met → not applicable"),
        "not_met_to_not_applicable": _("not met → not applicable"),
        "unknown_to_not_applicable": _("unknown → not applicable"),
        "not_applicable_to_met": _("not applicable → met"),
        "not_applicable_to_not_met": _("not applicable → not met"),
        "not_applicable_to_unknown": _("not applicable → unknown"),
        "added": _("rule or target added"),
        "removed": _("rule or target removed"),
        "disposition_changed": _("disposition changed"),
        "credits_changed": _("credits changed"),
        "new_evidence_request": _("new evidence request"),
        "dropped_evidence_request": _("evidence request dropped"),
    }


@bp.app_template_filter("impact_kind")
def impact_kind(kind: str) -> str:
    return kind_labels().get(kind, kind)


@bp.app_template_filter("impact_status")
def impact_status(status: str) -> str:
    words = {"queued": _("waiting to start"), "running": _("running"), "done": _("done"),
             "failed": _("failed")}  # fmt: skip
    return words.get(status, status)


def selection_label(selection: str) -> str:
    if selection == "cohort":
        return _("learners of a cohort file")
    if selection.startswith("since:"):
        return _("cases received since %(day)s", day=selection.removeprefix("since:"))
    return _("open cases") if selection == "open" else _("all cases")


def runner() -> ImpactRunner:
    found = current_app.extensions.get("credstack_impact")
    if found is None:
        found = current_app.extensions["credstack_impact"] = ImpactRunner(
            current_app.config["DATABASE"],
            learner_key_secret(),
            workers=int(current_app.config.get("IMPACT_WORKERS", 1)),
        )
    return found


def _admin() -> Any:
    user = current_user()
    if user.role != "admin":
        raise Forbidden(_("Only an admin may run impact reports."))
    return user


def _form_page(source: dict[str, Any], form: dict[str, Any], errors: dict[str, str],
               status: int = 200) -> Any:  # fmt: skip
    reports = desk_impact.list_reports(get_db(), current_user())
    return render_template(
        "impact_new.html", source=source, form=form, errors=errors, reports=reports
    ), status


def _start(document: Any, source: str, form: dict[str, Any], page: dict[str, Any]) -> Any:
    selection = form.get("cases") or "all"
    if selection == "since":
        selection = f"since:{form.get('since', '')}"
    try:
        if not isinstance(document, dict):
            raise InvalidInput({"document": _("expected a policy: a mapping of id, title, …")})
        if selection == "cohort":
            report = _start_cohort(document, source, form)
        else:
            report = desk_impact.start_report(
                get_db(), current_user(), document, source,
                form.get("against") or None, selection,
            )  # fmt: skip
    except InvalidInput as exc:
        return _form_page(page, form, exc.fields, 422)
    runner().wake()
    return see_other("impact.report_page", report_id=report.id)


def _start_cohort(document: dict[str, Any], source: str, form: dict[str, Any]) -> Any:
    """A report over the learners of the uploaded cohort file, as of the date given (today)."""
    file = uploaded(FIELD)
    if file is None:
        raise InvalidInput({FIELD: _("Choose the cohort file: a .jsonl of wallets or a .csv "
                                     "wallet sheet.")})  # fmt: skip
    text = (form.get("cohort_as_of") or "").strip()
    try:
        as_of = dt.date.fromisoformat(text) if text else dt.date.today()
    except ValueError:
        raise InvalidInput({"cohort_as_of": _("Expected a date (YYYY-MM-DD).")}) from None
    content, name = file
    return start_cohort_report(
        get_db(), current_user(), document, source, cohort_name=name, content=content,
        as_of=as_of, against=form.get("against") or None,
    )  # fmt: skip


@bp.get("/policies/impact")
@login_required
def new_report() -> Any:
    _admin()
    return _form_page({"kind": "file"}, {"cases": "all"}, {})


@bp.post("/policies/impact")
@login_required
def new_report_post() -> Any:
    _admin()
    form = form_fields()
    page = {"kind": "file"}
    try:
        document = policy_document(form.get("document_text", ""), uploaded("document_file"))
    except InvalidInput as exc:
        return _form_page(page, form, exc.fields, 422)
    except PolicyError as exc:
        return _form_page(page, form, {"document": str(exc)}, 422)
    name = (uploaded("document_file") or (b"", "pasted"))[1]
    return _start(document, f"file:{name}", form, page)


@bp.get("/policies/drafts/<int:draft_id>/impact")
@login_required
def draft_report(draft_id: int) -> Any:
    _admin()
    draft = desk_drafts.get_draft(get_db(), current_user(), draft_id)
    return _form_page({"kind": "draft", "draft": draft}, {"cases": "all"}, {})


@bp.post("/policies/drafts/<int:draft_id>/impact")
@login_required
def draft_report_post(draft_id: int) -> Any:
    _admin()
    draft = desk_drafts.get_draft(get_db(), current_user(), draft_id)
    form, page = form_fields(), {"kind": "draft", "draft": draft}
    try:
        document = parse_document(draft.text.encode("utf-8"), f"draft-{draft.id}.yaml")
    except PolicyError as exc:
        return _form_page(page, form, {"document": str(exc)}, 422)
    return _start(document, f"draft:{draft.id}", form, page)


@bp.get("/policies/<policy_id>/<version>/impact")
@login_required
def version_report(policy_id: str, version: str) -> Any:
    _admin()
    stored = desk_admin.get_policy(get_db(), current_user(), policy_id, version)
    form = {"cases": "all", "against": request.args.get("against", "")}
    return _form_page({"kind": "version", "version": stored}, form, {})


@bp.post("/policies/<policy_id>/<version>/impact")
@login_required
def version_report_post(policy_id: str, version: str) -> Any:
    _admin()
    stored = desk_admin.get_policy(get_db(), current_user(), policy_id, version)
    form, page = form_fields(), {"kind": "version", "version": stored}
    source = f"policy:{stored.policy_id}@{stored.version}"
    return _start(dict(stored.document), source, form, page)


@bp.get("/policies/impact/<int:report_id>")
@login_required
def report_page(report_id: int) -> Any:
    user = _admin()
    report = desk_impact.get_report(get_db(), user, report_id)
    running = report.status in ("queued", "running")
    if running:
        runner().wake()  # a report whose process stopped is taken up again
    rows: list[Any] = []
    if report.status == "done":
        rows = (cohort_rows(get_db(), user, report_id) if report.cohort_name is not None
                else desk_impact.report_rows(get_db(), user, report_id))  # fmt: skip
    by_kind = report.summary.get("by_kind", {})
    kinds = [(k, by_kind[k]) for k in KINDS if k in by_kind]
    page = render_template(
        "impact.html", report=report, rows=rows, kinds=kinds, running=running,
        selection=selection_label(report.selection),
    )  # fmt: skip
    if not running:
        return page
    # The page reloads itself while the report runs: the Refresh header needs no script.
    return Response(page, headers={"Refresh": str(REFRESH_SECONDS)})


@bp.get("/policies/impact/<int:report_id>/cases/<int:case_id>")
@login_required
def side_by_side(report_id: int, case_id: int) -> Any:
    user = _admin()
    report, row, current, draft = desk_impact.side_by_side(
        get_db(), user, report_id, case_id, get_evaluator()
    )
    return render_template("impact_case.html", report=report, row=row, current=current,
                           draft=draft)  # fmt: skip


@bp.get("/policies/impact/<int:report_id>/report.csv")
@login_required
def export_csv(report_id: int) -> Any:
    return _export(report_id, "csv")


@bp.get("/policies/impact/<int:report_id>/report.xlsx")
@login_required
def export_xlsx(report_id: int) -> Any:
    return _export(report_id, "xlsx")


def _export(report_id: int, suffix: str) -> Any:
    user = _admin()
    report = desk_impact.get_report(get_db(), user, report_id)
    if report.status != "done":
        raise Conflict(_("The report is not finished yet."))
    if report.cohort_name is not None:
        table = impact_export.lines(
            ({"line": r.line, "changes": r.changes, "error": r.error}
             for r in cohort_rows(get_db(), user, report_id)),
            impact_export.LINE_HEADER,
        )  # fmt: skip
    else:
        table = impact_export.lines(
            {"reference": r.reference, "case_id": r.case_id, "changes": r.changes,
             "error": r.error} for r in desk_impact.report_rows(get_db(), user, report_id)
        )  # fmt: skip
    name = f"impact-{report.id}-{report.draft_policy_id}-{report.draft_version}.{suffix}"
    if suffix == "csv":
        body: Any = impact_export.to_csv(table)
        kind = "text/csv; charset=utf-8"
    else:
        body = impact_export.to_xlsx(table, report.summary.get("by_kind", {}))
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=kind.split(";")[0], content_type=kind)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
