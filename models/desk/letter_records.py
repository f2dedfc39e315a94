"""Records of letters and issued credentials, the organisation's letter settings, and the schema
that reads those settings at the boundary.

Kept apart from `records` so the store can import them without importing the desk operations
that use the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marshmallow import fields, validate

from models.desk.records import safe_text
from rules.schema import Strict

LETTER_LANGUAGES = ("en", "sv")
LETTER_PURPOSES = ("decision", "refusal", "evidence_request", "appeal_outcome", "revision")
LOGO_TYPES = ("image/png", "image/svg+xml")
MAX_LOGO_BYTES = 200 * 1024


@dataclass(frozen=True)
class OrganisationSettings:
    """What an organisation's letters say about it; empty text means "not set"."""

    organisation_id: int
    name: str
    postal_address: str = ""
    email: str = ""
    phone: str = ""
    web: str = ""
    signatory_name: str = ""
    signatory_title: str = ""
    logo: bytes | None = field(default=None, repr=False)
    logo_type: str | None = None
    appeal_text_en: str = ""
    appeal_text_sv: str = ""
    appeal_weeks: int = 3
    default_language: str = "en"
    updated_at: str | None = None
    updated_by: int | None = None

    def appeal_text(self, language: str) -> str:
        return self.appeal_text_sv if language == "sv" else self.appeal_text_en


@dataclass(frozen=True)
class IssuedLetter:
    """A letter as sent: the PDF bytes are the record (`pdf` empty when only listed)."""

    id: int
    organisation_id: int
    case_id: int
    decision_id: int
    language: str
    purpose: str
    reply_by: str | None
    sha256: str
    created_at: str
    created_by: int
    size: int
    pdf: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class IssuedCredential:
    """A signed Open Badges 3.0 credential as issued (`document` empty when only listed)."""

    id: int
    organisation_id: int
    case_id: int
    decision_id: int
    outcome: str  # the rule or target id whose decided outcome it records
    sha256: str
    created_at: str
    created_by: int
    size: int
    document: bytes = field(default=b"", repr=False)


def _email_or_empty(value: str) -> None:
    if value:  # empty: no e-mail address on the letters
        validate.Email(error="expected an e-mail address")(value)


class SettingsInputSchema(Strict):
    """An admin's change to the letter settings; absent fields stay as they are."""

    name = fields.String(validate=[validate.Length(min=1, max=200), safe_text])
    postal_address = fields.String(validate=[validate.Length(max=500), safe_text])
    email = fields.String(validate=[validate.Length(max=320), _email_or_empty])
    phone = fields.String(validate=[validate.Length(max=60), safe_text])
    web = fields.String(validate=[validate.Length(max=300), safe_text])
    signatory_name = fields.String(validate=[validate.Length(max=200), safe_text])
    signatory_title = fields.String(validate=[validate.Length(max=200), safe_text])
    appeal_text_en = fields.String(validate=[validate.Length(max=2000), safe_text])
    appeal_text_sv = fields.String(validate=[validate.Length(max=2000), safe_text])
    appeal_weeks = fields.Integer(strict=True, validate=validate.Range(min=1, max=52))
    default_language = fields.String(validate=validate.OneOf(LETTER_LANGUAGES))
