"""Staff of the admin's own organisation: the list, a new member of staff, a role changed, an
account deactivated or reactivated, a password reset.

A user id in a URL is looked up in the admin's organisation only (another organisation's user is
a 404). A new or reset password is shown once, in the reply to the form (no-store, never in a
URL: see `views.pages.account`), and only its Argon2 hash is kept; the audit trail names the
user by id. Every other change answers with a redirect back to the list.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, make_response, render_template, request
from flask_babel import gettext as _

from models.desk import staff as desk_staff
from models.desk import tokens as desk_tokens
from models.desk.records import ROLES
from models.errors import Conflict, InvalidInput
from models.store.database import now
from views.context import get_db
from views.pages.account import NO_STORE
from views.pages.web import current_user, login_required, see_other

bp = Blueprint("staff", __name__)


def _hasher() -> Any:
    return current_app.config.get("PASSWORD_HASHER", desk_staff.PASSWORDS)


def _page(
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    shown: dict[str, Any] | None = None,
    status: int = 200,
) -> Any:
    """The staff list; `shown` is a password to show once: {user, password, created}."""
    staff = desk_staff.list_users(get_db(), current_user())
    page = render_template(
        "staff.html",
        staff=staff,
        tokens=desk_tokens.organisation_tokens(get_db(), current_user()),
        owners={u.id: u.display_name for u in staff},
        now=now(),
        roles=ROLES,
        form=form or {"role": "officer"},
        errors=errors or {},
        shown=shown,
    )
    response = make_response(page, status)
    response.headers.update(NO_STORE)
    return response


@bp.get("/admin/staff")
@login_required
def staff_list() -> Any:
    return _page()


@bp.post("/admin/staff")
@login_required
def create() -> Any:
    admin = current_user()
    form = {k: request.form.get(k, "").strip() for k in ("email", "display_name", "role")}
    password = desk_staff.generate_password()
    try:
        user = desk_staff.create_user(
            get_db(), admin, {**form, "password": password}, hasher=_hasher()
        )
    except InvalidInput as exc:
        return _page(form=form, errors=_field_errors(exc.fields), status=422)
    except Conflict:
        errors = {"email": _("A member of staff with this e-mail address exists already.")}
        return _page(form=form, errors=errors, status=409)
    return _page(shown={"user": user, "password": password, "created": True})


def _field_errors(fields: dict[str, str]) -> dict[str, str]:
    messages = {
        "email": _("Give a valid e-mail address."),
        "display_name": _("Give a name of 1 to 200 characters, without control characters."),
        "role": _("Choose admin, officer or viewer."),
    }
    return {k: messages.get(k, _("Check this field.")) for k in fields}


def _refused(exc: Exception) -> Any:
    """A change the desk refused for a reason the admin can act on: the list, with why."""
    if isinstance(exc, Conflict):
        message = _("Not changed: the organisation would have no active admin left.")
        return _page(errors={"_schema": message}, status=409)
    return _page(errors={"_schema": _("Not changed: choose admin, officer or viewer.")}, status=422)


@bp.post("/admin/staff/<int:user_id>/role")
@login_required
def change_role(user_id: int) -> Any:
    try:
        user = desk_staff.change_role(
            get_db(), current_user(), user_id, request.form.get("role", "")
        )
    except (Conflict, InvalidInput) as exc:
        return _refused(exc)
    flash(_("%(name)s is now %(role)s.", name=user.display_name, role=role_label(user.role)))
    return see_other("staff.staff_list")


@bp.post("/admin/staff/<int:user_id>/deactivate")
@login_required
def deactivate(user_id: int) -> Any:
    try:
        user = desk_staff.deactivate_user(get_db(), current_user(), user_id)
    except Conflict as exc:
        return _refused(exc)
    flash(_("%(name)s is deactivated: their sessions and API tokens no longer work.",
            name=user.display_name))  # fmt: skip
    return see_other("staff.staff_list")


@bp.post("/admin/staff/<int:user_id>/activate")
@login_required
def activate(user_id: int) -> Any:
    user = desk_staff.activate_user(get_db(), current_user(), user_id)
    flash(_("%(name)s can log in again.", name=user.display_name))
    return see_other("staff.staff_list")


@bp.post("/admin/staff/<int:user_id>/password")
@login_required
def reset_password(user_id: int) -> Any:
    user, password = desk_staff.reset_password(get_db(), current_user(), user_id, hasher=_hasher())
    return _page(shown={"user": user, "password": password, "created": False})


@bp.post("/admin/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    desk_tokens.revoke_organisation_token(get_db(), current_user(), token_id)
    flash(_("Token %(n)s is revoked: it no longer works.", n=token_id))
    return see_other("staff.staff_list", _anchor="org-tokens-h")


@bp.app_template_filter("role_label")
def role_label(role: str) -> str:
    return {"admin": _("admin"), "officer": _("officer"), "viewer": _("viewer")}.get(role, role)
