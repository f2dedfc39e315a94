"""Migration 0009: the policy lifecycle — drafts, the text as written, superseding.

- `policy_drafts`: a policy being written on the desk, before it is published. State that an admin
  edits (the text changes, unlike a published version), yet every change is recorded and bound in
  the trail so a draft's history can be told from its entries. A draft is never deleted from the
  table: "deleting" sets `deleted_at` (the entry that records it binds the row as it then is, so
  the record check still finds every row it recorded). Once published, `published_policy` names
  the version it became and the draft is closed. No personal data: the text is a policy.
- `policies.source_text`: the YAML (or JSON) exactly as the admin wrote it, comments included,
  beside the canonical `document` the digest is computed from. NULL for versions published
  before this migration (and for documents sent as JSON objects by the API).
- `policies.supersedes_version`, `supersedes_from`: a version may take over from an earlier one
  of the same policy id from a date, which ends the earlier version's period for new cases on
  the day before. Recorded with the publication, not in the policy document: the document (and
  so its digest) says what the policy is, superseding says how it was brought into force.

The three new `policies` columns are set once, on insert (the table stays append-only), and are
bound with NULL as the value rows published before had (`models.store.bindings`).
"""

from __future__ import annotations

from sqlite_utils import Database

from models.store.schema import MIGRATIONS, _run_script

_SQL = """
ALTER TABLE policies ADD COLUMN source_text TEXT;
ALTER TABLE policies ADD COLUMN supersedes_version TEXT;
ALTER TABLE policies ADD COLUMN supersedes_from TEXT;

CREATE TABLE policy_drafts (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    text TEXT NOT NULL,
    policy_id TEXT,
    version TEXT,
    based_on INTEGER REFERENCES policies(id),
    supersedes_version TEXT,
    supersedes_from TEXT,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users(id),
    updated_at TEXT NOT NULL,
    published_policy INTEGER REFERENCES policies(id),
    deleted_at TEXT,
    CHECK ((supersedes_version IS NULL) = (supersedes_from IS NULL))
) STRICT;
CREATE INDEX policy_drafts_organisation ON policy_drafts(organisation_id, id);

CREATE TRIGGER policy_drafts_no_delete BEFORE DELETE ON policy_drafts
BEGIN SELECT RAISE(ABORT, 'drafts are marked deleted, never removed'); END;
CREATE TRIGGER policy_drafts_closed BEFORE UPDATE ON policy_drafts
WHEN OLD.published_policy IS NOT NULL OR OLD.deleted_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a published or deleted draft is closed'); END;
"""


@MIGRATIONS(name="0009_policy_drafts")
def _policy_drafts(db: Database) -> None:
    _run_script(db, _SQL)
