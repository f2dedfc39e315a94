"""Login throttles (admins): the throttles of the organisation's accounts and of the addresses
that failed on them, and clearing one (audited)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _

from models.desk import logins as desk_logins
from views.context import get_db
from views.pages.web import current_user, login_required, see_other

bp = Blueprint("logins", __name__)


@bp.get("/admin/logins")
@login_required
def throttles() -> Any:
    found = desk_logins.list_throttles(get_db(), current_user())
    return render_template("logins.html", throttles=found, now=desk_logins.now_text())


@bp.post("/admin/logins/clear")
@login_required
def clear() -> Any:
    cleared = desk_logins.clear_throttle(get_db(), current_user(), request.form.get("key", ""))
    flash(_("Throttle cleared: %(n)s failed log-in(s) no longer count for it.", n=cleared))
    return see_other("logins.throttles")
