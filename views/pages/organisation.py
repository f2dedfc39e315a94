"""The organisation's settings page (admins of that organisation only): what its letters say
about it. The organisation is the admin's own: the URL names none."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, flash, render_template
from flask_babel import gettext as _

from models.desk import organisation as desk_org
from models.desk.cases import require
from models.desk.letter_records import OrganisationSettings
from models.errors import InvalidInput
from views.context import get_db
from views.pages.web import current_user, form_fields, login_required, see_other, uploaded

bp = Blueprint("organisation", __name__)
TEXT_FIELDS = (
    "name postal_address email phone web signatory_name signatory_title appeal_text_en "
    "appeal_text_sv default_language"
).split()


def _form_of(settings: OrganisationSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in (*TEXT_FIELDS, "appeal_weeks")}


def _page(form: dict[str, Any], settings: OrganisationSettings, errors: dict[str, str],
          status: int = 200) -> Any:  # fmt: skip
    logo = None
    if settings.logo and settings.logo_type:
        logo = f"data:{settings.logo_type};base64,{base64.b64encode(settings.logo).decode()}"
    return render_template("organisation.html", form=form, errors=errors, logo=logo), status


@bp.get("/organisation")
@login_required
def settings_page() -> Any:
    user = current_user()
    require(user, "admin")
    settings = desk_org.settings(get_db(), user)
    return _page(_form_of(settings), settings, {})


@bp.post("/organisation")
@login_required
def save_settings() -> Any:
    user, db, form = current_user(), get_db(), form_fields("remove_logo")
    require(user, "admin")
    data: dict[str, Any] = {k: v.strip() for k, v in form.items() if k in TEXT_FIELDS}
    raw_weeks = form.get("appeal_weeks", "").strip()
    try:
        if raw_weeks:
            if not raw_weeks.isdigit():
                raise InvalidInput({"appeal_weeks": _("Expected a whole number of weeks.")})
            data["appeal_weeks"] = int(raw_weeks)
        unknown = sorted(set(form) - set(TEXT_FIELDS) - {"appeal_weeks"})
        if unknown:
            raise InvalidInput({k: _("Unknown field.") for k in unknown})
        desk_org.update_settings(db, user, data)
        logo = uploaded("logo")
        if logo is not None:
            desk_org.set_logo(db, user, logo[0])
        elif form_fields().get("remove_logo") == "yes":
            desk_org.set_logo(db, user, None)
    except InvalidInput as exc:
        settings = desk_org.settings(db, user)
        return _page({**_form_of(settings), **form}, settings, exc.fields, 422)
    flash(_("The organisation's settings are saved."))
    return see_other("organisation.settings_page")
