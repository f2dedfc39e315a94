"""The account page of every member of staff: who they are, their language, their API tokens.

A new token is shown once, in the reply to the form that created it, sent with
`Cache-Control: no-store` and never put into a URL, a cookie or the database: the browser keeps
no copy (no cache, no history entry to come back to) and the server keeps only its sha256. A
redirect after the POST would need the token to survive until the next GET — in a cookie (Flask's
is signed, not encrypted) or a server-side store (the token in the database, however briefly) —
so the page that answers the POST shows it; reloading that page asks before sending the form
again, and doing so creates another token (listed, and revocable, like any other). Revoking and
the language answer with a redirect as usual.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, make_response, render_template, request
from flask_babel import gettext as _

from models.desk import staff as desk_staff
from models.desk import tokens as desk_tokens
from models.desk.scopes import DEFAULT_DAYS, EXPIRY_CHOICES, expiry, scopes_of
from models.errors import InvalidInput
from models.store.database import now
from views.context import get_db
from views.i18n import LANGUAGE_COOKIE
from views.pages.web import current_user, login_required, see_other, set_cookie

bp = Blueprint("account", __name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _page(
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    new_token: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    user = current_user()
    shown = form or {"name": "", "scopes": ["read"], "expires": str(DEFAULT_DAYS)}
    response = make_response(
        render_template(
            "account.html",
            user=user,
            tokens=desk_tokens.my_tokens(get_db(), user),
            now=now(),
            form=shown,
            errors=errors or {},
            new_token=new_token,
            expiry_choices=EXPIRY_CHOICES,
            api_base=request.host_url.rstrip("/") + "/api/v1",
        ),
        status,
    )
    response.headers.update(NO_STORE)
    return response


@bp.get("/account")
@login_required
def account() -> Any:
    return _page()


@bp.post("/account/language")
@login_required
def language() -> Any:
    chosen = request.form.get("language", "")
    try:
        user = desk_staff.set_language(get_db(), current_user(), chosen)
    except InvalidInput:
        flash(_("Choose English or Svenska."), "error")
        return see_other("account.account")
    response = see_other("account.account")
    if user.language:  # also before the next log-in, on this browser
        set_cookie(response, LANGUAGE_COOKIE, user.language)
    flash(_("Your language is saved."))
    return response


def _expires(value: str) -> str:
    if value not in {str(days) for days in EXPIRY_CHOICES}:
        raise InvalidInput({"expires": _("Choose one of the listed expiry periods.")})
    return value


@bp.post("/account/tokens")
@login_required
def create_token() -> Any:
    user = current_user()
    form = {
        "name": request.form.get("name", "").strip(),
        "scopes": request.form.getlist("scopes"),
        "expires": request.form.get("expires", ""),
    }
    errors: dict[str, str] = {}
    scopes: tuple[str, ...] = ()
    until = None
    if not form["name"] or len(form["name"]) > desk_tokens.MAX_NAME:
        errors["name"] = _("Give the token a name of 1 to 100 characters.")
    try:
        scopes = scopes_of(form["scopes"])
    except InvalidInput:
        errors["scopes"] = _("Choose read, decide or both.")
    try:
        until = expiry(_expires(form["expires"]))
    except InvalidInput:
        errors["expires"] = _("Choose one of the listed expiry periods.")
    if not errors:
        try:
            token_id, token = desk_tokens.issue_api_token(
                get_db(), user, form["name"], scopes=scopes, expires_at=until
            )
        except InvalidInput as exc:  # a name with a control character, an expiry gone by
            if "expires" in exc.fields:
                errors = {"expires": _("Choose one of the listed expiry periods.")}
            else:
                errors = {"name": _("Give the token a name without control characters.")}
    if errors:
        return _page(form=form, errors=errors, status=422)
    created = {"id": token_id, "token": token, "name": form["name"], "scopes": scopes}
    return _page(new_token=created)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    desk_tokens.revoke_api_token(get_db(), current_user(), token_id, own_only=True)
    flash(_("Token %(n)s is revoked: it no longer works.", n=token_id))
    return see_other("account.account")
