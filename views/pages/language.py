"""The language switch on every page: remembered in a cookie (also before logging in)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request

from views.i18n import LANGUAGE_COOKIE, supported
from views.pages.web import safe_next, set_cookie

bp = Blueprint("language", __name__)


@bp.post("/language")
def choose_language() -> Any:
    language = supported(request.form.get("language"))
    response = redirect(safe_next(request.form.get("next")), 303)
    if language is not None:
        set_cookie(response, LANGUAGE_COOKIE, language)
    return response
