"""Migration 0008: what letters and issued credentials need.

- `organisation_settings`: the organisation's own words and details on its letters (address,
  contact, signatory, logo, appeal route per language, appeal deadline, default letter language).
  One row per organisation, its `id` the organisation's: state that an admin changes, each change
  recorded (and bound) in the trail.
- `learners.postal_address`: where the applicant's letters go. Personal data like the learner's
  name: blanked by erasure (a trigger, so no erasure path can forget it), never in the trail.
- `letters` and `issued_credentials`: append-only. A letter is kept as the exact PDF bytes that were
  sent and a credential as the exact signed JSON: downloading one again returns those bytes, and
  the trail entry that records the row holds their sha256.
"""

from __future__ import annotations

from sqlite_utils import Database

from models.store.schema import MIGRATIONS, _append_only, _run_script

LETTER_PURPOSES = ("decision", "refusal", "evidence_request", "appeal_outcome", "revision")

_SQL = f"""
CREATE TABLE organisation_settings (
    id INTEGER PRIMARY KEY REFERENCES organisations(id),
    postal_address TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    web TEXT NOT NULL DEFAULT '',
    signatory_name TEXT NOT NULL DEFAULT '',
    signatory_title TEXT NOT NULL DEFAULT '',
    logo BLOB,
    logo_type TEXT CHECK (logo_type IS NULL OR logo_type IN ('image/png', 'image/svg+xml')),
    appeal_text_en TEXT NOT NULL DEFAULT '',
    appeal_text_sv TEXT NOT NULL DEFAULT '',
    appeal_weeks INTEGER NOT NULL DEFAULT 3 CHECK (appeal_weeks BETWEEN 1 AND 52),
    default_language TEXT NOT NULL DEFAULT 'en' CHECK (default_language IN ('en', 'sv')),
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id)
) STRICT;

ALTER TABLE learners ADD COLUMN postal_address TEXT;

CREATE TRIGGER learners_erase_address AFTER UPDATE OF erased_at ON learners
WHEN NEW.erased_at IS NOT NULL AND NEW.postal_address IS NOT NULL
BEGIN
    UPDATE learners SET postal_address = NULL
    WHERE organisation_id = NEW.organisation_id AND key = NEW.key;
END;

CREATE TABLE letters (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    decision_id INTEGER NOT NULL REFERENCES decisions(id),
    language TEXT NOT NULL CHECK (language IN ('en', 'sv')),
    purpose TEXT NOT NULL CHECK (purpose IN ({", ".join(f"'{p}'" for p in LETTER_PURPOSES)})),
    reply_by TEXT,
    pdf BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id)
) STRICT;

CREATE TABLE issued_credentials (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    decision_id INTEGER NOT NULL REFERENCES decisions(id),
    outcome TEXT NOT NULL,
    document BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id)
) STRICT;

CREATE INDEX letters_case ON letters(organisation_id, case_id, id);
CREATE INDEX letters_decision ON letters(decision_id, id);
CREATE INDEX issued_credentials_case ON issued_credentials(organisation_id, case_id, id);
CREATE INDEX issued_credentials_decision ON issued_credentials(decision_id, id);
"""


@MIGRATIONS(name="0008_letters")
def _letters(db: Database) -> None:
    _run_script(db, _SQL)
    _run_script(db, "\n".join(_append_only(t) for t in ("letters", "issued_credentials")))
