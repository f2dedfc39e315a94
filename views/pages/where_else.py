"""Where else a case's credentials would count, on the case page: the officer asks (a button, POST
→ redirect → GET), the contained evaluator works it out once per evaluation, and the case page's
section (`_where_else.html`) shows the answer kept for the latest evaluation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, url_for

from models.desk import where_else as desk_where_else
from views.context import get_db, get_evaluator
from views.pages.web import current_user, login_required

bp = Blueprint("where_else", __name__)


@bp.post("/cases/<int:case_id>/where-else")
@login_required
def ask(case_id: int) -> Any:
    desk_where_else.case_where_else(get_db(), current_user(), case_id, get_evaluator())
    return redirect(url_for("cases.case_page", case_id=case_id, _anchor="where-else"), 303)


@bp.app_template_global("where_else_of")
def where_else_of(case_id: int) -> dict[str, Any]:
    """The answer kept for the case's latest evaluation (nothing is worked out here)."""
    return desk_where_else.case_where_else(get_db(), current_user(), case_id)
