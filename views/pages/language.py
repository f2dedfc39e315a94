"""The language switch on every page: remembered in a cookie (also before logging in) and, for a
logged-in member of staff, as their own language (`User.language`, which wins over the cookie)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, request

from models.desk import staff as desk_staff
from views.context import get_db
from views.i18n import LANGUAGE_COOKIE, supported
from views.pages.web import safe_next, set_cookie

bp = Blueprint("language", __name__)


@bp.post("/language")
def choose_language() -> Any:
    language = supported(request.form.get("language"))
    response = redirect(safe_next(request.form.get("next")), 303)
    if language is not None:
        set_cookie(response, LANGUAGE_COOKIE, language)
        user = g.get("user")
        if user is not None and user.active and user.language != language:
            desk_staff.set_language(get_db(), user, language)
    return response
