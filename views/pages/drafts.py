"""Policy drafts on the desk: the list, starting one, the editor (text and `policy check` problems
side by side, each with its line), Check without saving, Save, Publish through the gates, Delete.

Everything works without JavaScript: Check is a button that renders the page again with the
problems of the text as sent. `static/policy-editor.js` only adds a re-check after a pause in
typing (the same route, answering JSON with the rendered problem list) and focuses the line a
problem's link names. Every role may read a draft; admins change them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate, validates_schema

from models.desk import admin as desk_admin
from models.desk import drafts as desk_drafts
from models.desk.draft_check import DraftCheck
from models.desk.draft_records import PolicyDraft
from models.desk.publishing import PublishRefused, Supersedes
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from rules.document import MAX_POLICY_BYTES
from rules.errors import PolicyError
from rules.schema import IsoDate
from views.context import get_db, get_evaluator
from views.pages.forms import _Form, load_form
from views.pages.web import current_user, form_fields, login_required, see_other, uploaded

bp = Blueprint("drafts", __name__)
IMPACT_RULE = "/policies/drafts/<int:draft_id>/impact"  # the impact report's page


class DraftForm(_Form):
    text = fields.String(required=True, validate=validate.Length(max=MAX_POLICY_BYTES))
    supersedes_version = fields.String(load_default=None, validate=validate.Length(max=100))
    supersedes_from = IsoDate(load_default=None)
    keep = ("text",)

    @validates_schema
    def both_or_neither(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("supersedes_version") and not data.get("supersedes_from"):
            raise ValidationError(_("give the date it supersedes from"), "supersedes_from")
        if data.get("supersedes_from") and not data.get("supersedes_version"):
            raise ValidationError(_("choose the version it supersedes"), "supersedes_version")


class NewDraftForm(_Form):
    start = fields.String(required=True, validate=validate.OneOf(("template", "copy", "upload")))
    based_on = fields.String(load_default=None, validate=validate.Length(max=300))


def _require_admin() -> None:
    if current_user().role != "admin":
        raise Forbidden(_("Only an admin may change policy drafts."))


def impact_url(draft_id: int) -> str:
    """The impact report of a draft: by its endpoint once that page exists, else its path."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == IMPACT_RULE:
            return url_for(rule.endpoint, draft_id=draft_id)
    return IMPACT_RULE.replace("<int:draft_id>", str(draft_id))


@bp.get("/policies/drafts")
@login_required
def draft_list() -> Any:
    user = current_user()
    db = get_db()
    versions = desk_admin.list_policies(db, user)
    return render_template(
        "policy_drafts.html",
        drafts=desk_drafts.list_drafts(db, user),
        versions=versions,
        errors={},
    )


@bp.post("/policies/drafts")
@login_required
def create_draft() -> Any:
    _require_admin()
    user, db = current_user(), get_db()
    try:
        values = load_form(NewDraftForm(), form_fields())
        if values["start"] == "copy":
            pid, _sep, version = (values["based_on"] or "").rpartition("@")
            if not pid:
                raise InvalidInput({"based_on": _("choose the version to start from")})
            draft = desk_drafts.new_draft(db, user, based_on=(pid, version))
        elif values["start"] == "upload":
            draft = desk_drafts.new_draft(db, user, _uploaded_text())
        else:
            draft = desk_drafts.new_draft(db, user)
    except InvalidInput as exc:
        page = render_template(
            "policy_drafts.html",
            drafts=desk_drafts.list_drafts(db, user),
            versions=desk_admin.list_policies(db, user),
            errors=exc.fields,
        )
        return page, 422
    flash(_("Draft %(n)s started.", n=draft.id))
    return see_other("drafts.editor", draft_id=draft.id)


def _uploaded_text() -> str:
    upload = uploaded("document_file")
    if upload is None:
        raise InvalidInput({"document_file": _("choose a file")})
    raw, name = upload
    if not name.lower().endswith((".yaml", ".yml", ".json")):
        raise InvalidInput({"document_file": _("expected a .yaml, .yml or .json file")})
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput({"document_file": _("the file is not UTF-8 text")}) from None


def _editor(
    draft: PolicyDraft,
    text: str,
    *,
    check: DraftCheck | None = None,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    refused: PublishRefused | None = None,
    checked: bool = False,
    status: int = 200,
) -> Any:
    user, db = current_user(), get_db()
    check = check or desk_drafts.check_draft(db, user, text)
    versions = []
    if draft.policy_id:
        versions = [v for v in desk_admin.list_policies(db, user)
                    if v.policy_id == draft.policy_id]  # fmt: skip
    published = None
    if draft.published_policy is not None:
        published = next((v for v in desk_admin.list_policies(db, user)
                          if v.id == draft.published_policy), None)  # fmt: skip
    defaults = {
        "supersedes_version": draft.supersedes_version or "",
        "supersedes_from": draft.supersedes_from.isoformat() if draft.supersedes_from else "",
    }
    return render_template(
        "policy_draft.html",
        draft=draft,
        text=text,
        check=check,
        form={**defaults, **(form or {})},
        errors=errors or {},
        refused=refused,
        checked=checked,
        versions=versions,
        published=published,
        impact_url=impact_url(draft.id),
        editable=user.role == "admin" and draft.open,
    ), status


@bp.get("/policies/drafts/<int:draft_id>")
@login_required
def editor(draft_id: int) -> Any:
    draft = desk_drafts.get_draft(get_db(), current_user(), draft_id)
    return _editor(draft, draft.text)


def _posted() -> tuple[dict[str, Any], dict[str, str]]:
    form = form_fields()
    try:
        return form, load_form(DraftForm(), form)
    except InvalidInput as exc:
        raise _FormRefused(form, exc.fields) from None


class _FormRefused(Exception):
    def __init__(self, form: dict[str, Any], fields: dict[str, str]):
        self.form, self.fields = form, fields


def _supersedes(values: dict[str, Any]) -> Supersedes | None:
    if not values.get("supersedes_version"):
        return None
    return Supersedes(values["supersedes_version"], values["supersedes_from"])


@bp.post("/policies/drafts/<int:draft_id>/check")
@login_required
def check(draft_id: int) -> Any:
    """The problems of the text as sent; nothing is saved (JSON for the editor's script)."""
    user, db = current_user(), get_db()
    draft = desk_drafts.get_draft(db, user, draft_id)
    text = request.form.get("text", "")[:MAX_POLICY_BYTES].replace("\r\n", "\n")
    result = desk_drafts.check_draft(db, user, text)
    if request.accept_mimetypes.best == "application/json":
        html = render_template("_draft_problems.html", check=result, checked=True)
        return jsonify(errors=len(result.errors), problems=len(result.problems), html=html)
    return _editor(draft, text, check=result, form=form_fields(), checked=True)


@bp.post("/policies/drafts/<int:draft_id>/save")
@login_required
def save(draft_id: int) -> Any:
    _require_admin()
    user, db = current_user(), get_db()
    draft = desk_drafts.get_draft(db, user, draft_id)
    try:
        form, values = _posted()
        desk_drafts.save_draft(db, user, draft_id, values["text"], _supersedes(values))
    except _FormRefused as exc:
        return _editor(draft, exc.form.get("text", ""), form=exc.form, errors=exc.fields,
                       status=422)  # fmt: skip
    except (InvalidInput, Conflict) as exc:
        fields_ = exc.fields if isinstance(exc, InvalidInput) else {"text": exc.message}
        return _editor(draft, form.get("text", ""), form=form, errors=fields_, status=422)
    flash(_("Draft saved."))
    return see_other("drafts.editor", draft_id=draft_id)


@bp.post("/policies/drafts/<int:draft_id>/publish")
@login_required
def publish(draft_id: int) -> Any:
    """Save the text as sent, then publish it through the gates; a refusal lists each failing
    example, static check error and overlapping period (422), the text stays saved."""
    _require_admin()
    user, db = current_user(), get_db()
    draft = desk_drafts.get_draft(db, user, draft_id)
    try:
        form, values = _posted()
        draft = desk_drafts.save_draft(db, user, draft_id, values["text"], _supersedes(values))
        # The trail entry gets the impact report of this text, when one was run.
        version = desk_drafts.publish_draft(db, user, draft_id, evaluator=get_evaluator())
    except _FormRefused as exc:
        return _editor(draft, exc.form.get("text", ""), form=exc.form, errors=exc.fields,
                       status=422)  # fmt: skip
    except PublishRefused as exc:
        return _editor(draft, draft.text, form=form, refused=exc, status=422)
    except PolicyError:
        invalid = {"publish": _("The text is not a valid policy: see its problems.")}
        return _editor(draft, draft.text, form=form, errors=invalid, checked=True, status=422)
    except (InvalidInput, Conflict) as exc:
        fields_ = exc.fields if isinstance(exc, InvalidInput) else {"text": exc.message}
        return _editor(draft, form.get("text", ""), form=form, errors=fields_, status=422)
    flash(_("Published %(id)s version %(v)s.", id=version.policy_id, v=version.version))
    return see_other("policies.policy_page", policy_id=version.policy_id, version=version.version)


@bp.post("/policies/drafts/<int:draft_id>/delete")
@login_required
def delete(draft_id: int) -> Any:
    _require_admin()
    desk_drafts.delete_draft(get_db(), current_user(), draft_id)
    flash(_("Draft %(n)s deleted.", n=draft_id))
    return see_other("drafts.draft_list")


@bp.get("/policies/drafts/<int:draft_id>/diff")
@login_required
def draft_diff(draft_id: int) -> Any:
    """The saved draft against the version it was started from or the one in force."""
    user, db = current_user(), get_db()
    draft = desk_drafts.get_draft(db, user, draft_id)
    result = desk_drafts.check_draft(db, user, draft.text)
    base, changes = desk_drafts.draft_diff(db, user, draft, result, dt.date.today())
    return render_template(
        "policy_diff.html", changes=changes, base=base, draft=draft,
        valid=result.policy is not None, policy_id=draft.policy_id, versions=[], old=None,
        new=None,
    )  # fmt: skip


@bp.get("/policies/<policy_id>/diff")
@login_required
def version_diff(policy_id: str) -> Any:
    """`?from=A&to=B`: what changed from version A to B; by default the newest published
    version against the one published before it."""
    user, db = current_user(), get_db()
    versions = [v for v in desk_admin.list_policies(db, user) if v.policy_id == policy_id]
    if not versions:
        raise NotFound(f"no policy {policy_id}")
    names = [v.version for v in versions]
    new = request.args.get("to") or names[-1]
    old = request.args.get("from") or (names[-2] if len(names) > 1 else new)
    changes = desk_drafts.version_diff(db, user, policy_id, old, new)
    return render_template(
        "policy_diff.html", changes=changes, base=None, draft=None, valid=True,
        policy_id=policy_id, versions=versions, old=old, new=new,
    )  # fmt: skip
