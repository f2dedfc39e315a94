"""Logging in and out: server-side sessions, a rate limit on failed logins.

The limit counts failed attempts per client address and per e-mail address in a sliding window,
in memory (each server process keeps its own count, which bounds guessing per process; the audit
trail records every failure). A blocked attempt is refused before any password is checked.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from models.desk import admin as desk_admin
from models.errors import Forbidden, InvalidInput
from views.context import get_db
from views.pages.forms import LoginForm, load_form
from views.pages.web import SESSION_COOKIE, safe_next, set_cookie

bp = Blueprint("auth", __name__)


class LoginLimiter:
    """At most `per_key` failures per key (address, e-mail) within `window` seconds."""

    def __init__(self, per_address: int, per_email: int, window: float):
        self.limits = {"address": per_address, "email": per_email}
        self.window = window
        self.failures: dict[tuple[str, str], deque[float]] = {}
        self.lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self.failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked(self, keys: list[tuple[str, str]]) -> bool:
        now = time.monotonic()
        with self.lock:
            return any(len(self._recent(k, now)) >= self.limits[k[0]] for k in keys)

    def failed(self, keys: list[tuple[str, str]]) -> None:
        now = time.monotonic()
        with self.lock:
            for key in keys:
                self._recent(key, now).append(now)
            if len(self.failures) > 100_000:  # bound memory under a spray of addresses
                self.failures = {k: v for k, v in self.failures.items() if v}

    def succeeded(self, email_key: tuple[str, str]) -> None:
        with self.lock:
            self.failures.pop(email_key, None)


def limiter() -> LoginLimiter:
    found = current_app.extensions.get("credstack_login_limiter")
    if found is None:
        config = current_app.config
        found = LoginLimiter(
            config.get("LOGIN_LIMIT_PER_ADDRESS", 20),
            config.get("LOGIN_LIMIT_PER_EMAIL", 5),
            config.get("LOGIN_LIMIT_WINDOW_SECONDS", 15 * 60),
        )
        current_app.extensions["credstack_login_limiter"] = found
    return found


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
        return render_template("login.html", form=shown, errors=exc.fields), 422
    email = values["email"].lower()
    keys = [("address", request.remote_addr or "-"), ("email", email)]
    if limiter().blocked(keys):
        message = "Too many failed attempts. Wait a few minutes and try again."
        return render_template("login.html", form=shown, errors={"_schema": message}), 429
    db = get_db()
    hasher = current_app.config.get("PASSWORD_HASHER", desk_admin.PASSWORDS)
    try:
        user = desk_admin.authenticate(db, values["email"], values["password"], hasher=hasher)
    except Forbidden as exc:
        limiter().failed(keys)
        return render_template("login.html", form=shown, errors={"_schema": str(exc)}), 401
    limiter().succeeded(keys[1])
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        desk_admin.end_session(db, old)
    token = desk_admin.start_session(db, user)
    response = redirect(safe_next(values["next"]), 303)
    set_cookie(response, SESSION_COOKIE, token)
    return response


@bp.post("/logout")
def logout() -> Any:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        desk_admin.end_session(get_db(), token)
    response = redirect(url_for("auth.login"), 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
