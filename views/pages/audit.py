"""The audit page: the trail in sentences a person reads (who did what to which case, policy or
account), filtered and paged, and the verdict on the chain and the rows it binds."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, fields, validate

from models.desk import audit_reads
from models.desk import reads as desk_read
from models.desk.records import AuditEntry
from models.errors import InvalidInput
from rules.schema import IsoDate
from views.context import get_db
from views.pages.forms import _Form, load_form
from views.pages.web import current_user, login_required

bp = Blueprint("audit", __name__)


class TrailForm(_Form):
    class Meta:
        unknown = EXCLUDE  # a bookmarked query string may carry anything

    event = fields.String(load_default=None, validate=validate.Length(max=80))
    person = fields.Integer(load_default=None, strict=False)
    since = IsoDate(load_default=None)
    until = IsoDate(load_default=None)
    case = fields.Integer(load_default=None, strict=False, validate=validate.Range(min=1))
    page = fields.Integer(load_default=1, strict=False, validate=validate.Range(min=1))


def _events() -> dict[str, str]:
    """What each kind of entry says; `%(subject)s` is the thing acted on."""
    return {
        "case_created": _("Opened %(subject)s."),
        "case_completed": _("Recorded when the file of %(subject)s was complete."),
        "case_status": _("Changed the status of %(subject)s."),
        "snapshot_added": _("Added credentials to %(subject)s."),
        "evaluation_stored": _("Evaluated %(subject)s against its policy."),
        "decision_recorded": _("Recorded a decision on %(subject)s."),
        "decision_confirmed": _("Confirmed a decision on %(subject)s (four eyes)."),
        "policy_published": _("Published %(subject)s."),
        "user_created": _("Created the account of %(subject)s."),
        "user_activated": _("Reactivated the account of %(subject)s."),
        "user_deactivated": _("Deactivated the account of %(subject)s."),
        "user_role_changed": _("Changed the role of %(subject)s."),
        "user_password_reset": _("Reset the password of %(subject)s."),
        "learner_erased": _("Erased the identity of a learner (%(subject)s)."),
        "login_failed": _("A login to %(subject)s failed."),
        "login_throttled": _("Logins to %(subject)s were slowed down after failures."),
        "login_throttle_cleared": _("Cleared the login delay of %(subject)s."),
        "api_token_issued": _("Issued an API token to %(subject)s."),
        "organisation_created": _("Created %(subject)s."),
        "organisation_renamed": _("Renamed %(subject)s."),
        "organisation_settings_changed": _("Changed the settings of %(subject)s."),
        "batch_created": _("Started %(subject)s."),
        "batch_finished": _("Finished %(subject)s."),
        "export": _("Exported %(subject)s."),
        "cases_imported": _("Opened cases from a spreadsheet (%(subject)s)."),
        "api_token_revoked": _("Revoked an API token (%(subject)s)."),
        "applicant_address_set": _("Set the applicant's postal address on %(subject)s."),
        "case_assigned": _("Assigned %(subject)s to an officer."),
        "decision_returned": _("Returned a decision on %(subject)s to its author."),
        "letter_issued": _("Issued a letter on %(subject)s."),
        "credential_issued": _("Issued a decision credential on %(subject)s."),
        "impact_report_run": _("Ran an impact report (%(subject)s)."),
        "policy_draft_created": _("Started %(subject)s."),
        "policy_draft_saved": _("Saved %(subject)s."),
        "policy_draft_deleted": _("Deleted %(subject)s."),
        "policy_draft_published": _("Published %(subject)s as a policy version."),
    }


def subject_text(subject: str, people: dict[int, str]) -> str:
    kind, _sep, ident = subject.partition(":")
    if kind == "user" and ident.isdigit():
        name = people.get(int(ident))
        return name if name else _("staff account %(n)s", n=ident)
    words = {
        "case": _("case %(n)s"),
        "policy": _("policy %(n)s"),
        "batch": _("batch %(n)s"),
        "letter": _("letter %(n)s"),
        "learner": _("learner %(n)s"),
        "organisation": _("organisation %(n)s"),
        "upload": _("upload %(n)s"),
        "api_token": _("token %(n)s"),
        "policy_draft": _("policy draft %(n)s"),
        "impact": _("impact report %(n)s"),
    }
    return words[kind] % {"n": ident} if kind in words else subject


def event_label(event: str) -> str:
    return _labels().get(event) or event.replace("_", " ").capitalize()


def _labels() -> dict[str, str]:
    """The short name of each kind of entry (the filter's choices, the entry's title)."""
    return {
        "case_created": _("Case opened"),
        "case_completed": _("File complete"),
        "case_status": _("Case status changed"),
        "snapshot_added": _("Credentials added"),
        "evaluation_stored": _("Case evaluated"),
        "decision_recorded": _("Decision recorded"),
        "decision_confirmed": _("Decision confirmed"),
        "policy_published": _("Policy published"),
        "user_created": _("Account created"),
        "user_activated": _("Account reactivated"),
        "user_deactivated": _("Account deactivated"),
        "learner_erased": _("Learner erased"),
        "login_failed": _("Login failed"),
        "export": _("Export"),
        "cases_imported": _("Cases opened from a spreadsheet"),
        "user_role_changed": _("Role changed"),
        "user_password_reset": _("Password reset"),
        "login_throttled": _("Logins slowed down"),
        "login_throttle_cleared": _("Login delay cleared"),
        "api_token_issued": _("API token issued"),
        "api_token_revoked": _("API token revoked"),
        "organisation_created": _("Organisation created"),
        "organisation_renamed": _("Organisation renamed"),
        "organisation_settings_changed": _("Organisation settings changed"),
        "applicant_address_set": _("Applicant's address set"),
        "case_assigned": _("Case assigned"),
        "decision_returned": _("Decision returned to its author"),
        "letter_issued": _("Letter issued"),
        "credential_issued": _("Decision credential issued"),
        "impact_report_run": _("Impact report run"),
        "policy_draft_created": _("Policy draft started"),
        "policy_draft_saved": _("Policy draft saved"),
        "policy_draft_deleted": _("Policy draft deleted"),
        "policy_draft_published": _("Policy draft published"),
        "batch_created": _("Batch started"),
        "batch_finished": _("Batch finished"),
    }


def sentence(entry: AuditEntry, people: dict[int, str]) -> str:
    subject = subject_text(entry.subject, people)
    found = _events().get(entry.event)
    if found is None:
        return _("%(event)s: %(subject)s.", event=event_label(entry.event), subject=subject)
    return found % {"subject": subject}


def _page_url(args: dict[str, Any], page: int) -> str:
    return url_for("audit.audit_page", **{**args, "page": page})


@bp.get("/audit")
@login_required
def audit_page() -> Any:
    user = current_user()
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    try:
        values = load_form(TrailForm(), request.args)
        errors: dict[str, str] = {}
    except InvalidInput as exc:
        values, errors = load_form(TrailForm(), {}), exc.fields
    wanted = audit_reads.TrailFilter(
        values["event"], values["person"], values["since"], values["until"], values["case"]
    )
    found = audit_reads.trail_page(get_db(), user, wanted, values["page"])
    people = dict(found.people)
    rows = [
        {
            "entry": e,
            "who": people.get(e.actor_id, _("staff account %(n)s", n=e.actor_id))
            if e.actor_id
            else _("the system"),
            "sentence": sentence(e, people),
            "details": audit_reads.detail_pairs(e.details),
        }
        for e in found.entries
    ]
    return render_template(
        "audit.html",
        report=desk_read.verify_audit(get_db(), user),
        rows=rows,
        found=found,
        events={e: event_label(e) for e in found.events},
        form=request.args,
        errors=errors,
        previous=_page_url(args, found.page - 1) if found.page > 1 else None,
        next=_page_url(args, found.page + 1) if found.page < found.pages else None,
    )
