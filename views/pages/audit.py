"""The audit page: the newest trail entries and the verdict on the chain and the rows it binds."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from models.desk import admin as desk_admin
from models.desk import reads as desk_read
from views.context import get_db
from views.pages.web import current_user, login_required

bp = Blueprint("audit", __name__)
SHOWN = 200


@bp.get("/audit")
@login_required
def audit_page() -> Any:
    user = current_user()
    return render_template(
        "audit.html",
        report=desk_read.verify_audit(get_db(), user),
        entries=desk_admin.audit_log(get_db(), user, limit=SHOWN),
        shown=SHOWN,
    )
