"""What the upload page sends beside the policy: the superseding option and the text as written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask_babel import gettext as _

from models.desk.publishing import Supersedes
from models.errors import InvalidInput

SUPERSEDE_FIELDS = ("supersedes_version", "supersedes_from")


def supersedes_from_form(form: Mapping[str, str]) -> Supersedes | None:
    """ "Supersedes version X from DATE", both or neither."""
    version = (form.get("supersedes_version") or "").strip()
    day = (form.get("supersedes_from") or "").strip()
    if not version and not day:
        return None
    if not version:
        raise InvalidInput({"supersedes_version": _("choose the version it supersedes")})
    try:
        return Supersedes(version[:100], dt.date.fromisoformat(day))
    except ValueError:
        raise InvalidInput({"supersedes_from": _("give the date it supersedes from")}) from None


def written(upload: tuple[bytes, str] | None, pasted: str) -> str | None:
    """The policy's text exactly as written (an uploaded file's, else the pasted text)."""
    if upload is None:
        return pasted.replace("\r\n", "\n")
    try:
        return upload[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        return None  # the parser refuses it anyway
