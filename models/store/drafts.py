"""Storage of policy drafts: rows an admin edits until one is published or deleted.

Every change is one write transaction with the trail entry that records (and binds) the row as
it then is; a deleted or published draft is closed (the schema's trigger refuses any change).
The entries carry the text's digest and what it declares, never the text itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from typing import Any

from models.desk.draft_records import PolicyDraft
from models.desk.records import User
from models.errors import Conflict, NotFound
from models.messages import N_
from models.store.database import DB, _all, _insert, _one, _write, append_audit, now


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _draft(row: sqlite3.Row) -> PolicyDraft:
    return PolicyDraft(
        row["id"],
        row["organisation_id"],
        row["text"],
        row["policy_id"],
        row["version"],
        row["based_on"],
        row["supersedes_version"],
        _date(row["supersedes_from"]),
        row["created_by"],
        row["created_at"],
        row["updated_by"],
        row["updated_at"],
        row["published_policy"],
        row["deleted_at"],
    )


def _details(text: str, policy_id: str | None, version: str | None) -> dict[str, Any]:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return {"text_sha256": digest, "policy_id": policy_id, "version": version}


def get_draft(db: DB, organisation_id: int, draft_id: int) -> PolicyDraft:
    """A draft of the organisation that is not deleted (another organisation's look absent)."""
    row = _one(
        db,
        "SELECT * FROM policy_drafts WHERE organisation_id = ? AND id = ? AND deleted_at IS NULL",
        [organisation_id, draft_id],
    )
    if row is None:
        raise NotFound(N_("no draft %(draft)s", draft=draft_id))
    return _draft(row)


def list_drafts(db: DB, organisation_id: int) -> list[PolicyDraft]:
    """The organisation's open drafts, most recently changed first."""
    rows = _all(
        db,
        "SELECT * FROM policy_drafts WHERE organisation_id = ? AND deleted_at IS NULL "
        "AND published_policy IS NULL ORDER BY updated_at DESC, id DESC",
        [organisation_id],
    )
    return [_draft(r) for r in rows]


def create_draft(
    db: DB,
    actor: User,
    text: str,
    policy_id: str | None,
    version: str | None,
    based_on: int | None = None,
) -> PolicyDraft:
    org = actor.organisation_id
    with _write(db):
        at = now()
        draft_id = _insert(
            db,
            "policy_drafts",
            {
                "organisation_id": org,
                "text": text,
                "policy_id": policy_id,
                "version": version,
                "based_on": based_on,
                "created_by": actor.id,
                "created_at": at,
                "updated_by": actor.id,
                "updated_at": at,
            },
        )
        details = {**_details(text, policy_id, version), "based_on": based_on}
        append_audit(db, org, actor.id, "policy_draft_created", f"policy_draft:{draft_id}", details)
        return get_draft(db, org, draft_id)


def _open(db: DB, organisation_id: int, draft_id: int) -> PolicyDraft:
    draft = get_draft(db, organisation_id, draft_id)
    if draft.published_policy is not None:
        raise Conflict(
            N_("draft %(draft)s is published; start a new draft from that version", draft=draft_id)
        )
    return draft


def save_draft(
    db: DB,
    actor: User,
    draft_id: int,
    text: str,
    policy_id: str | None,
    version: str | None,
    supersedes: tuple[str, dt.date] | None,
) -> PolicyDraft:
    """The new text (and the superseding the admin chose); an unchanged draft writes nothing."""
    org = actor.organisation_id
    with _write(db):
        draft = _open(db, org, draft_id)
        wanted = (supersedes[0], supersedes[1]) if supersedes else (None, None)
        if draft.text == text and (draft.supersedes_version, draft.supersedes_from) == wanted:
            return draft
        db.conn.execute(
            "UPDATE policy_drafts SET text = ?, policy_id = ?, version = ?, "
            "supersedes_version = ?, supersedes_from = ?, updated_by = ?, updated_at = ? "
            "WHERE id = ?",
            [text, policy_id, version, wanted[0], wanted[1].isoformat() if wanted[1] else None,
             actor.id, now(), draft_id],
        )  # fmt: skip
        details = {**_details(text, policy_id, version), "supersedes_version": wanted[0]}
        append_audit(db, org, actor.id, "policy_draft_saved", f"policy_draft:{draft_id}", details)
        return get_draft(db, org, draft_id)


def delete_draft(db: DB, actor: User, draft_id: int) -> None:
    org = actor.organisation_id
    with _write(db):
        draft = _open(db, org, draft_id)
        db.conn.execute("UPDATE policy_drafts SET deleted_at = ? WHERE id = ?", [now(), draft_id])
        details = _details(draft.text, draft.policy_id, draft.version)
        append_audit(db, org, actor.id, "policy_draft_deleted", f"policy_draft:{draft_id}", details)


def mark_published(db: DB, actor: User, draft_id: int, policy_row: int) -> None:
    """Close the draft as the version it became (inside the publication's transaction)."""
    org = actor.organisation_id
    with _write(db):
        draft = _open(db, org, draft_id)
        db.conn.execute(
            "UPDATE policy_drafts SET published_policy = ?, updated_by = ?, updated_at = ? "
            "WHERE id = ?",
            [policy_row, actor.id, now(), draft_id],
        )
        details = {**_details(draft.text, draft.policy_id, draft.version), "row": policy_row}
        append_audit(
            db, org, actor.id, "policy_draft_published", f"policy_draft:{draft_id}", details
        )


def credentials_on_file(db: DB, organisation_id: int, limit: int = 2000) -> list[dict[str, Any]]:
    """The newest snapshot of each of the organisation's most recent cases (plain wallets, as
    stored), for counting which elements the credentials on file carry."""
    rows = _all(
        db,
        "SELECT s.credentials FROM cases c JOIN case_snapshots s ON s.id = "
        "(SELECT max(id) FROM case_snapshots WHERE case_id = c.id) "
        "WHERE c.organisation_id = ? ORDER BY c.id DESC LIMIT ?",
        [organisation_id, limit],
    )
    return [json.loads(r["credentials"]) for r in rows]
