"""Erasing a learner's identity from the case page (admins): their name and own id are blanked,
their cases, decisions and the audit trail keep only the pseudonymous key.

The form asks the admin to type the applicant's own id, as the case page shows it, so that a
slip of the mouse erases nothing. The erasure is an audit entry naming the learner by their key
only (`models.desk.admin.erase_learner`); the case page then says the identity is erased.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, flash, request
from flask_babel import gettext as _

from models.desk import admin as desk_admin
from models.desk import reads as desk_read
from models.desk.cases import require
from views.context import get_db
from views.pages.cases import render_case
from views.pages.web import current_user, login_required, see_other

bp = Blueprint("erasure", __name__)
FORM = "erase"  # the case page's name for this form (its errors and values)


@bp.post("/cases/<int:case_id>/erase-learner")
@login_required
def erase_learner(case_id: int) -> Any:
    user, db = current_user(), get_db()
    found = desk_read.case_file(db, user, case_id)  # another organisation's case: 404
    require(user, "admin")  # before anything about the learner is compared or said
    learner = found.learner
    if learner.erased_at:
        flash(_("This learner's identity was erased already."))
        return see_other("cases.case_page", case_id=case_id)
    typed = request.form.get("reference", "").strip()
    expected = learner.external_id or str(case_id)
    if not typed or not hmac.compare_digest(typed.encode(), expected.encode()):
        message = _("Type the applicant's own id exactly as shown to confirm. Nothing was erased.")
        return render_case(case_id, errors={FORM: {"reference": message}}, status=422)
    desk_admin.erase_learner(db, user, learner.key)
    flash(_("The learner's name and own id are erased; the case keeps their pseudonymous key."))
    return see_other("cases.case_page", case_id=case_id)
