"""Letters and issued credentials on the case page: the HTML preview of a decision's letter (any
language), issuing it as a PDF (kept as sent), downloading what was issued, issuing a decided
outcome as a signed Open Badges 3.0 credential, and the applicant's postal address for letters.

Issuing renders the PDF here (WeasyPrint belongs to the web front) and hands the bytes to the
desk, which checks the decision is final and keeps them with a trail entry holding their sha256.
A download returns the stored bytes, never a new rendering.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, current_app, flash, request
from flask_babel import gettext as _

from models.desk import issued_credentials as desk_credentials
from models.desk import letters as desk_letters
from models.desk import organisation as desk_org
from models.desk.letter_records import LETTER_LANGUAGES
from models.desk.queue import numbers_in_case
from models.errors import Conflict, InvalidInput, NotFound
from views.context import get_db
from views.i18n import supported
from views.pages.letter_render import render_letter, render_pdf
from views.pages.present import message as said
from views.pages.web import current_user, form_fields, login_required, see_other

bp = Blueprint("letters", __name__)
EVIDENCE_WEEKS = 4  # the default time an applicant is given to send what is requested


def issuer_key() -> Any:
    key = current_app.extensions.get("credstack_issuer_key")
    if key is None:
        key = desk_credentials.load_issuer_key(current_app.config.get("ISSUER_KEY"))
        current_app.extensions["credstack_issuer_key"] = key
    return key


def _language(value: str | None, default: str) -> str:
    return supported(value) or default


@bp.get("/cases/<int:case_id>/letter")
@login_required
def letter(case_id: int) -> Any:
    """The letter on a decision (default: the newest), in the language asked for; producing it
    is recorded in the trail as an export."""
    user, db = current_user(), get_db()
    decision = request.args.get("decision", type=int)
    letter = desk_letters.letter_content(db, user, case_id, decision)
    language = _language(request.args.get("lang"), letter.organisation.default_language)
    desk_letters.record_preview(db, user, letter)
    reply_by = _default_reply_by() if letter.purpose == "evidence_request" else None
    return render_letter(letter, language, standalone=False, reply_by=reply_by)


def _default_reply_by() -> dt.date:
    return dt.datetime.now(dt.UTC).date() + dt.timedelta(weeks=EVIDENCE_WEEKS)


def _reply_by(text: str | None) -> dt.date:
    if not text:
        return _default_reply_by()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput({"reply_by": _("Expected a date (YYYY-MM-DD).")}) from None
    if day <= dt.datetime.now(dt.UTC).date():
        raise InvalidInput({"reply_by": _("Expected a date after today.")})
    return day


def _refused(case_id: int, exc: InvalidInput | Conflict) -> Any:
    fields = exc.fields if isinstance(exc, InvalidInput) else {"_schema": exc.message}
    for name, message in fields.items():
        flash(_("Not issued: %(field)s: %(message)s", field=name, message=said(message)))
    return see_other("cases.case_page", case_id=case_id, _anchor="letters")


@bp.post("/decisions/<int:decision_id>/letters")
@login_required
def issue_letter(decision_id: int) -> Any:
    user, db, form = current_user(), get_db(), form_fields()
    decision = desk_letters.check_issuable(db, user, decision_id)
    letter = desk_letters.letter_content(db, user, decision.case_id, decision.id)
    try:
        language = form.get("language", "")
        if language not in LETTER_LANGUAGES:
            raise InvalidInput({"language": _("Choose English or Swedish.")})
        reply_by = _reply_by(form.get("reply_by")) if letter.purpose == "evidence_request" else None
        html = render_letter(letter, language, standalone=True, reply_by=reply_by)
        issued = desk_letters.issue_letter(
            db, user, decision.id, language=language, purpose=letter.purpose,
            pdf=render_pdf(html), reply_by=reply_by,
        )  # fmt: skip
    except (InvalidInput, Conflict) as exc:
        return _refused(decision.case_id, exc)
    number = _number_in_case(desk_letters.letters_of_case(db, user, decision.case_id), issued.id)
    flash(_("Letter %(n)s issued (PDF, sha256 %(digest)s…).", n=number,
            digest=issued.sha256[:12]))  # fmt: skip
    return see_other("cases.case_page", case_id=decision.case_id, _anchor="letters")


@bp.get("/letters/<int:letter_id>")
@login_required
def download_letter(letter_id: int) -> Any:
    found = desk_letters.get_letter(get_db(), current_user(), letter_id)
    name = f"letter-{found.case_id}-{found.id}-{found.language}.pdf"
    return _attachment(found.pdf, "application/pdf", name, found.sha256)


def _number_in_case(rows: list[Any], row_id: int) -> int:
    """As the letters panel numbers a case's letters and credentials: 1, 2, … by issue."""
    return numbers_in_case([r.id for r in rows])[row_id]


def _attachment(body: bytes, media: str, name: str, sha256: str) -> Response:
    response = Response(body, mimetype=media)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-SHA256"] = sha256
    response.headers["Cache-Control"] = "no-store"  # personal data
    return response


@bp.post("/decisions/<int:decision_id>/credentials")
@login_required
def issue_credential(decision_id: int) -> Any:
    user, db, form = current_user(), get_db(), form_fields()
    decision = desk_letters.check_issuable(db, user, decision_id)
    try:
        issued = desk_credentials.issue_credential(
            db, user, decision.id, form.get("outcome", ""), issuer_key()
        )
    except (InvalidInput, Conflict) as exc:
        return _refused(decision.case_id, exc)
    issued_here = desk_credentials.credentials_of_case(db, user, decision.case_id)
    flash(_("Credential %(n)s issued (Open Badges 3.0, signed).",
            n=_number_in_case(issued_here, issued.id)))  # fmt: skip
    return see_other("cases.case_page", case_id=decision.case_id, _anchor="letters")


@bp.get("/issued-credentials/<int:credential_id>")
@login_required
def download_credential(credential_id: int) -> Any:
    found = desk_credentials.get_issued(get_db(), current_user(), credential_id)
    name = f"credential-{found.case_id}-{found.id}.json"
    return _attachment(found.document, "application/ld+json", name, found.sha256)


@bp.post("/cases/<int:case_id>/address")
@login_required
def set_address(case_id: int) -> Any:
    try:
        desk_org.set_applicant_address(
            get_db(), current_user(), case_id, form_fields().get("address", "")
        )
    except InvalidInput as exc:
        return _refused(case_id, exc)
    flash(_("The applicant's postal address is saved."))
    return see_other("cases.case_page", case_id=case_id, _anchor="letters")


def letters_panel(case_id: int) -> dict[str, Any]:
    """What the case page's letters panel shows (`_letters_panel.html`)."""
    user, db = current_user(), get_db()
    letters = desk_letters.letters_of_case(db, user, case_id)
    credentials = desk_credentials.credentials_of_case(db, user, case_id)
    settings = desk_org.settings(db, user)
    try:
        content = desk_letters.letter_content(db, user, case_id)
    except NotFound:
        content = None
    issuable = None
    if content is not None and user.role == "officer":
        try:
            issuable = desk_letters.check_issuable(db, user, content.decision_id)
        except (Conflict, NotFound):
            issuable = None
    outcomes = desk_credentials.issuable_outcomes(content) if content and issuable else []
    if content is not None and content.purpose == "evidence_request":
        outcomes = []
    return {
        "letters": letters,
        "credentials": credentials,
        "content": content,
        "issuable": issuable,
        "outcomes": outcomes,
        "default_language": settings.default_language,
        "reply_by": _default_reply_by().isoformat(),
        "address": desk_org.case_applicant_address(db, user, case_id),
        "is_officer": user.role == "officer" and user.active,
        "is_admin": user.role == "admin",
    }


@bp.app_context_processor
def _panel() -> dict[str, Any]:
    return {"letters_panel": letters_panel}
