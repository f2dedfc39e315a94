"""Migration 0006: what staff and their API tokens need to be managed.

API tokens get scopes (`read`: GET only; `read decide`: also the calls that write), an expiry
and the time they were last used (written at most once a minute, so reading the API stays
cheap). Tokens issued before this migration keep what they could do: both scopes, no expiry.
Users get their own language (NULL: the switch's cookie or the browser decides) and the time an
admin or the operator last changed their account (role, status, password).

`scopes` and `expires_at` are bound by the tokens' audit entries (`bindings`), at their value
of this migration left out of the digest so that rows bound before keep their digest;
`last_used_at`, `language` and `updated_at` are state, not records, and are not bound.
"""

from __future__ import annotations

from sqlite_utils import Database

from models.store.schema import MIGRATIONS, _run_script

_STAFF = """
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read decide'
    CHECK (scopes IN ('read', 'read decide'));
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE users ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('en', 'sv'));
ALTER TABLE users ADD COLUMN updated_at TEXT;
CREATE INDEX api_tokens_user ON api_tokens(user_id, id);
"""


@MIGRATIONS(name="0006_staff")
def _staff(db: Database) -> None:
    _run_script(db, _STAFF)
