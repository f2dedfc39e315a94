"""Logging in and out: server-side sessions; failed log-ins throttled in the database.

The throttle (`models.desk.logins`) counts failures per account, per client address and per
(account, address) pair in the database, shared by every server process. A waiting attempt gets
429 with Retry-After before any password is checked. Its numbers are the app config keys in
`models.desk.logins.CONFIG`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from models.desk import admin as desk_admin
from models.desk import logins as desk_logins
from models.errors import Forbidden, InvalidInput
from views.context import get_db
from views.pages.forms import LoginForm, load_form
from views.pages.web import SESSION_COOKIE, safe_next, set_cookie

bp = Blueprint("auth", __name__)


def throttle_secret() -> bytes:
    """The key of the hashes that stand for addresses and unknown e-mail addresses."""
    return str(current_app.config["SECRET_KEY"]).encode("utf-8")


@bp.get("/")
def index() -> Any:
    return redirect(url_for("cases.queue" if g.get("user") else "auth.login"))


@bp.get("/login")
def login() -> Any:
    if g.get("user") is not None:
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", form={"next": request.args.get("next", "")}, errors={})


@bp.post("/login")
def login_post() -> Any:
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    shown = {"email": form.get("email", ""), "next": form.get("next", "")}
    try:
        values = load_form(LoginForm(), form)
    except InvalidInput as exc:
        errors = {k: _("Fill in your e-mail address and password.") for k in exc.fields}
        return render_template("login.html", form=shown, errors=errors), 422
    db = get_db()
    try:
        user = desk_logins.login(
            db,
            values["email"],
            values["password"],
            request.remote_addr,
            secret=throttle_secret(),
            settings=desk_logins.ThrottleSettings.from_config(current_app.config),
            hasher=current_app.config.get("PASSWORD_HASHER", desk_admin.PASSWORDS),
        )
    except desk_logins.Throttled as exc:
        page = render_template("login.html", form=shown, errors={"_schema": throttled(exc)})
        return page, 429, {"Retry-After": str(exc.retry_after)}
    except Forbidden:
        message = _("wrong e-mail address or password")
        return render_template("login.html", form=shown, errors={"_schema": message}), 401
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        desk_admin.end_session(db, old)
    token = desk_admin.start_session(db, user)
    response = redirect(safe_next(values["next"]), 303)
    set_cookie(response, SESSION_COOKIE, token)
    return response


def throttled(exc: desk_logins.Throttled) -> str:
    """The throttle's message (`models.desk.logins.Throttled`) in the page's language."""
    if exc.kind == "account":
        return _(
            "This account has had many failed log-ins. To slow guessing down, every log-in to it "
            "waits a few seconds: wait %(seconds)s seconds and submit again.",
            seconds=exc.retry_after,
        )
    return _(
        "Too many failed attempts from your network address. Wait %(seconds)s seconds and try "
        "again.",
        seconds=exc.retry_after,
    )


@bp.post("/logout")
def logout() -> Any:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        desk_admin.end_session(get_db(), token)
    response = redirect(url_for("auth.login"), 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
