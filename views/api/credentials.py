"""The decision as a credential, and its letters, through the API: the stored bytes, exactly as
issued (a signed Open Badges 3.0 credential; a PDF letter), never made anew."""

from __future__ import annotations

from typing import Any

from flask import Response

from models.desk import issued_credentials as desk_credentials
from models.desk import letters as desk_letters
from models.errors import NotFound
from views.api.support import ApiDoc, acting_user, route
from views.context import get_db

READ = (403, 404)


def _bytes(body: bytes, media: str, sha256: str) -> Response:
    response = Response(body, mimetype=media)
    response.headers["X-Content-SHA256"] = sha256
    return response


@route(
    "/decisions/<int:decision_id>/credential",
    "GET",
    ApiDoc(
        "The credential issued on a decision",
        "decisions",
        "any role",
        errors=READ,
        media="application/ld+json",
    ),
)
def get_decision_credential(decision_id: int) -> Any:
    """The newest Open Badges 3.0 credential issued on this decision (a VerifiableCredential
    with an eddsa-rdfc-2022 proof by the organisation's issuer key), as stored when it was
    issued; X-Content-SHA256 is the sha256 the audit trail holds."""
    found = desk_credentials.latest_of_decision(get_db(), acting_user(), decision_id)
    return _bytes(found.document, "application/ld+json", found.sha256)


@route(
    "/decisions/<int:decision_id>/letter",
    "GET",
    ApiDoc(
        "The letter issued on a decision",
        "decisions",
        "any role",
        errors=READ,
        media="application/pdf",
    ),  # fmt: skip
)
def get_decision_letter(decision_id: int) -> Any:
    """The newest PDF letter issued on this decision, as stored when it was issued."""
    user, db = acting_user(), get_db()
    letters = desk_letters.letters_of_decision(db, user, decision_id)
    if not letters:
        raise NotFound(f"no letter issued on decision {decision_id}")
    found = desk_letters.get_letter(db, user, letters[-1].id)
    return _bytes(found.pdf, "application/pdf", found.sha256)
