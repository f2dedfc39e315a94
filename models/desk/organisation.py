"""The organisation's letter settings and the applicant's postal address, as desk operations.

Any member of staff reads the settings (the letters need them); only an admin of the organisation
changes them, and always their own organisation's (the tenant comes from the user). A logo is a
PNG or an SVG of at most `MAX_LOGO_BYTES`, checked by its content, not by the name it came with;
an SVG may not reach outside itself (no scripts, no external references, no entity
declarations), since the letter's PDF renderer would otherwise load what it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from models.desk.cases import ANY_ROLE, require
from models.desk.letter_records import (
    MAX_LOGO_BYTES,
    OrganisationSettings,
    SettingsInputSchema,
)
from models.desk.records import User, load_input, safe_text
from models.errors import InvalidInput
from models.messages import N_
from models.store import cases as store_cases
from models.store import organisation as store_org
from models.store.database import DB

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What an SVG logo may not contain: active content, references to anything outside the file,
# and DTD tricks (entity expansion, external entities).
_SVG_REFUSED = re.compile(
    rb"<!DOCTYPE|<!ENTITY|<script|<foreignObject|\son[a-z]+\s*=|"
    rb"(?:xlink:)?href\s*=\s*[\"'](?!#|data:image/(?:png|jpeg);base64,)|url\((?!#)|@import",
    re.IGNORECASE,
)
MAX_ADDRESS = 500


def settings(db: DB, user: User) -> OrganisationSettings:
    require(user, *ANY_ROLE)
    return store_org.get_settings(db, user.organisation_id)


def update_settings(
    db: DB, user: User | None, data: Mapping[str, Any], *, organisation_id: int | None = None
) -> OrganisationSettings:
    """Change the settings given in `data`; `user` None: the instance operator (command line),
    who names the organisation."""
    if user is not None:
        require(user, "admin")
        organisation_id = user.organisation_id
    if organisation_id is None:
        raise InvalidInput({"organisation": N_("name the organisation")})
    values = load_input(SettingsInputSchema(), data)
    return store_org.save_settings(db, user, organisation_id, values)


def logo_type(content: bytes) -> str:
    """The media type of an acceptable logo, or `InvalidInput` saying why it is refused."""
    if len(content) > MAX_LOGO_BYTES:
        raise InvalidInput(
            {"logo": N_("expected a logo of at most %(most)s KB; got %(got)s KB",
                        most=MAX_LOGO_BYTES // 1024, got=len(content) // 1024)}
        )  # fmt: skip
    if content.startswith(PNG_SIGNATURE):
        return "image/png"
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml") or head.startswith(b"<svg"):
        if b"<svg" not in content[:4096]:
            raise InvalidInput({"logo": N_("expected an SVG image (no <svg> element found)")})
        if _SVG_REFUSED.search(content):
            raise InvalidInput(
                {"logo": N_("the SVG refers outside itself or holds scripts; export a plain SVG")}
            )
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput({"logo": N_("expected an SVG in UTF-8")}) from None
        return "image/svg+xml"
    raise InvalidInput({"logo": N_("expected a PNG or an SVG image")})


def set_logo(db: DB, user: User | None, content: bytes | None, *,
             organisation_id: int | None = None) -> OrganisationSettings:  # fmt: skip
    """Replace the logo (None: remove it)."""
    if user is not None:
        require(user, "admin")
        organisation_id = user.organisation_id
    if organisation_id is None:
        raise InvalidInput({"organisation": N_("name the organisation")})
    kind = logo_type(content) if content is not None else None
    return store_org.save_settings(db, user, organisation_id, {"logo": content, "logo_type": kind})


def set_applicant_address(db: DB, user: User, case_id: int, address: str) -> None:
    """Where the applicant's letters go; an empty address removes it. Personal data: the trail
    says only that it was set."""
    require(user, "officer")
    text = "\n".join(line.strip() for line in address.strip().splitlines() if line.strip())
    if len(text) > MAX_ADDRESS:
        raise InvalidInput(
            {"address": N_("expected at most %(most)s characters", most=MAX_ADDRESS)}
        )
    try:
        safe_text(text)
    except ValidationError as exc:
        raise InvalidInput({"address": str(exc.messages[0])}) from None
    store_org.set_learner_address(db, user, case_id, text or None)


def case_applicant_address(db: DB, user: User, case_id: int) -> str | None:
    require(user, *ANY_ROLE)
    case = store_cases.get_case(db, user.organisation_id, case_id)
    return store_org.learner_address(db, user.organisation_id, case.learner_key)
