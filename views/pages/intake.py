"""Opening cases without a file: keying in a paper certificate, and uploading a spreadsheet of
many applicants (one case each). Both go through the same intake as every other format
(`desk.open_case`); the bulk upload first shows what it would open, then opens it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _

from models.credentials.intake import load_wallet_bytes
from models.desk import admin as desk_admin
from models.desk import bulk_cases
from models.desk import cases as desk
from models.errors import IntakeError, InvalidInput
from rules.vocabulary import VOCABULARIES
from views.context import get_db, learner_key_secret
from views.pages import intake_forms
from views.pages.forms import _typed, load_form
from views.pages.web import current_user, form_fields, login_required, see_other, uploaded

bp = Blueprint("intake", __name__)
REFERENCE = ("applicant", "applicant_id", "learner_id")  # the applicant's reference column
NAMES = ("applicant_name", "learner_name", "name")  # personal: kept with the learner only


def _policies() -> list[Any]:
    return desk_admin.list_policies(get_db(), current_user())


@bp.get("/cases/new/paper")
@login_required
def paper() -> Any:
    desk.require(current_user(), "officer")
    today = dt.date.today().isoformat()
    count = min(max(request.args.get("credentials", 1, type=int), 1), intake_forms.MAX_CREDENTIALS)
    form = {"application_date": today, "received_on": today}
    return _paper_page(form, {}, count)


def _paper_page(form: dict[str, Any], errors: dict[str, str], count: int, status: int = 200):
    return render_template(
        "case_paper.html", form=form, errors=errors, count=count, policies=_policies(),
        mandatory=intake_forms.MANDATORY, optional=intake_forms.OPTIONAL,
        choices=intake_forms.CHOICES, most=intake_forms.MAX_CREDENTIALS,
        codes={name: VOCABULARIES[name].codes() for name in intake_forms.CHOICES},
    ), status  # fmt: skip


@bp.post("/cases/new/paper")
@login_required
def paper_post() -> Any:
    user, form = current_user(), form_fields()
    count = intake_forms.credential_count(form)
    if form.get("add") == "yes" and count < intake_forms.MAX_CREDENTIALS:
        return _paper_page(form, {}, count + 1)  # one more block; nothing is read yet
    try:
        data = intake_forms.paper_case(form, user.display_name)
        case = desk.open_case(get_db(), user, data, learner_key_secret=learner_key_secret())
    except InvalidInput as exc:
        return _paper_page(form, intake_forms.field_errors(exc.fields), count, 422)
    flash(_("Case %(n)s opened from a paper certificate.", n=case.reference or case.id))
    return see_other("cases.case_page", case_id=case.id)


# ---- many applicants from one spreadsheet -------------------------------------------------------


def _split(text: str) -> tuple[bytes, dict[str, str], dict[str, list[tuple[int, dict[str, str]]]]]:
    """(the sheet in the intake's own columns, name by reference, cells by reference)."""
    delimiter = next((d for d in (",", ";", "\t") if d in text.split("\n", 1)[0]), ",")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise InvalidInput({"sheet": _("the sheet is empty")})
    header = [c.strip().lower() for c in rows[0]]
    reference = next((c for c in REFERENCE if c in header), None)
    if reference is None:
        raise InvalidInput({"sheet": _("the sheet needs an applicant column (applicant)")})
    drop = {i for i, c in enumerate(header) if c in NAMES}
    name_at = min(drop) if drop else None
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["learner_id" if c == reference else c
                     for i, c in enumerate(header) if i not in drop])  # fmt: skip
    names: dict[str, str] = {}
    cells: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in enumerate(rows[1:], start=2):
        writer.writerow([v for i, v in enumerate(row) if i not in drop])
        values = {header[i]: v.strip() for i, v in enumerate(row) if i < len(header)}
        ref = values.get(reference, "")
        if not ref:
            continue
        if name_at is not None and name_at < len(row) and row[name_at].strip():
            names.setdefault(ref, row[name_at].strip())
        kept = {k: v for k, v in values.items() if k not in NAMES and k != reference and v}
        cells.setdefault(ref, []).append((number, kept))
    return out.getvalue().encode("utf-8"), names, cells


def read_applicants(text: str) -> list[bulk_cases.Applicant]:
    """Every applicant of the sheet; `InvalidInput` listing each refused row (all or nothing)."""
    sheet, names, cells = _split(text)
    try:
        load_wallet_bytes(sheet, "sheet.csv", learner_key_secret())  # every row problem at once
    except IntakeError as exc:
        raise InvalidInput({f"sheet.{p.path}": p.message for p in exc.problems}) from None
    applicants = []
    for ref, items in cells.items():
        credentials = []
        for _number, row in items:
            credential = {"id": row.pop("credential_id", "")}
            credential.update({k: _typed(k, v) for k, v in row.items()})
            credentials.append(credential)
        learner = {"id": ref} | ({"name": names[ref]} if ref in names else {})
        wallet = {"learner": learner, "credentials": credentials}
        applicants.append(bulk_cases.Applicant(ref, tuple(n for n, _r in items), wallet))
    return applicants


def _bulk_page(form: dict[str, Any], errors: dict[str, str], status: int = 200, **extra: Any):
    return render_template(
        "case_bulk.html", form=form, errors=errors, policies=_policies(), **extra
    ), status


@bp.get("/cases/new/bulk")
@login_required
def bulk() -> Any:
    desk.require(current_user(), "officer")
    today = dt.date.today().isoformat()
    return _bulk_page({"application_date": today, "received_on": today}, {})


@bp.post("/cases/new/bulk")
@login_required
def bulk_post() -> Any:
    user, form = current_user(), form_fields()
    desk.require(user, "officer")
    upload = uploaded("sheet_file")
    if upload is not None:
        form["sheet_text"] = upload[0].decode("utf-8-sig", errors="replace")
    try:
        values = load_form(intake_forms.BulkForm(), form)
        if not values["sheet_text"].strip():
            raise InvalidInput({"sheet": _("paste the sheet or choose a file")})
        applicants = read_applicants(values["sheet_text"])
    except InvalidInput as exc:
        return _bulk_page(form, exc.fields, 422)
    case_fields = {k: values[k] for k in ("purpose", "application_date", "received_on")}
    if values["policy"]:
        policy_id, _sep, version = values["policy"].partition("@")
        case_fields.update(policy_id=policy_id, policy_version=version or None)
    if values["confirm"] != "yes":
        return _bulk_page(form, {}, applicants=applicants)  # the preview: nothing written
    outcome = bulk_cases.open_cases(
        get_db(), user, applicants, case_fields, sheet=values["sheet_text"].encode("utf-8"),
        learner_key_secret=learner_key_secret(),
    )  # fmt: skip
    return _bulk_page({}, {}, outcome=outcome)
