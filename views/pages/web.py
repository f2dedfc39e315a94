"""What every page shares: the logged-in user, the session cookie, CSRF tokens, form helpers.

The session cookie holds only a random token; the session itself (its user, expiry, revocation)
lives in the database (`models.desk.admin`). Every unsafe request to a page (anything but GET,
HEAD, OPTIONS outside `/api/`) must carry a CSRF token bound to a per-browser nonce cookie and
to the session token: forged or missing → 400 before any view runs, so nothing is stored.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, redirect, request, url_for

from models.desk import admin as desk_admin
from models.desk.impact_cohorts import MAX_COHORT_BYTES
from models.desk.records import User
from models.errors import Forbidden
from models.messages import N_
from views.context import get_db

SESSION_COOKIE = "credstack_session"
CSRF_COOKIE = "credstack_csrf"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_MESSAGE = N_(
    "The form's security token is missing or does not match (CSRF protection). Nothing was "
    "saved. Go back, reload the page and submit the form again."
)


# The forms that take a cohort file (`models.desk.impact_cohorts`), and room for their other fields.
COHORT_UPLOADS = (
    "impact.new_report_post", "impact.draft_report_post", "impact.version_report_post",
)  # fmt: skip
FORM_MARGIN_BYTES = 2 * 1024 * 1024


def init_app(app: Flask) -> None:

    app.before_request(_load_user_and_check_csrf)
    app.after_request(_set_csrf_cookie)
    app.context_processor(lambda: {"current_user": g.get("user")})
    app.jinja_env.globals["csrf_token"] = csrf_token  # macros imported without context use it


def _is_page_request() -> bool:
    return not request.path.startswith("/api/") and request.endpoint not in (None, "static")


def _load_user_and_check_csrf() -> None:
    g.user = None
    if not _is_page_request() or request.routing_exception is not None:
        return
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        g.user = desk_admin.session_user(get_db(), token)
    if request.endpoint in COHORT_UPLOADS and g.user is not None and g.user.role == "admin":
        # A cohort file may exceed the app's request limit; only a signed-in admin may send one.
        request.max_content_length = MAX_COHORT_BYTES + FORM_MARGIN_BYTES
    if request.method not in SAFE_METHODS:
        given = request.form.get(CSRF_FIELD, "")
        nonce = request.cookies.get(CSRF_COOKIE, "")
        if not nonce or not given or not hmac.compare_digest(given, _token_for(nonce)):
            abort(400, description=CSRF_MESSAGE)


def _token_for(nonce: str) -> str:
    session = request.cookies.get(SESSION_COOKIE, "")
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    message = f"csrf|{nonce}|{hashlib.sha256(session.encode()).hexdigest()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def csrf_token() -> str:
    """The token every form carries in a hidden `csrf_token` field."""
    nonce = g.get("csrf_nonce") or request.cookies.get(CSRF_COOKIE, "")
    if len(nonce) < 32:
        nonce = secrets.token_urlsafe(32)
        g.csrf_new_nonce = True
    g.csrf_nonce = nonce
    return _token_for(nonce)


def _set_csrf_cookie(response: Response) -> Response:
    if g.get("csrf_new_nonce"):
        set_cookie(response, CSRF_COOKIE, g.csrf_nonce)
    return response


def set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE", False)),
        path="/",
    )


def current_user() -> User:
    user = g.get("user")
    if user is None:  # login_required runs first; this is a programming error
        raise Forbidden("log in first")
    return user


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous visitors go to the login page (and come back after logging in)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            target = request.full_path if request.method == "GET" else request.path
            return redirect(url_for("auth.login", next=target.rstrip("?")), 303)
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no `//`): no open redirect after login."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("cases.queue")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return url_for("cases.queue")
    return target


def see_other(endpoint: str, **values: Any) -> Response:
    """POST → redirect → GET."""
    return redirect(url_for(endpoint, **values), 303)


def form_fields(*drop: str) -> dict[str, str]:
    """The submitted form as a plain dict, without the CSRF token (and `drop`)."""
    return {k: v for k, v in request.form.items() if k != CSRF_FIELD and k not in drop}


def uploaded(field: str) -> tuple[bytes, str] | None:
    """(bytes, file name) of an uploaded file, or None when no file was chosen."""
    file = request.files.get(field)
    if file is None or not file.filename:
        return None
    return file.read(), file.filename


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(16)
