"""Storage of policy versions and learners.

Policy versions are immutable (the schema's triggers refuse any change) and named by their
content digest. The learners table is the only place personal data of learners lives: erasure
blanks a learner's name and own id and leaves the pseudonymous key everything else refers to.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from models.desk.records import Learner, PolicyVersion, User
from models.errors import Conflict, NotFound
from models.messages import N_
from models.store.database import DB, _all, _insert, _one, _write, append_audit, now


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# ---- policies -----------------------------------------------------------------------------------


def _policy(row: sqlite3.Row) -> PolicyVersion:
    return PolicyVersion(
        row["id"],
        row["organisation_id"],
        row["policy_id"],
        row["version"],
        row["digest"],
        row["purpose"],
        row["title"],
        dt.date.fromisoformat(row["effective_from"]),
        _date(row["effective_to"]),
        row["published_at"],
        row["published_by"],
        json.loads(row["document"]),
        row["source_text"],
        row["supersedes_version"],
        _date(row["supersedes_from"]),
    )


def publish_policy(
    db: DB,
    actor: User,
    document: Mapping[str, Any],
    *,
    policy_id: str,
    version: str,
    digest: str,
    purpose: str,
    title: str,
    effective_from: dt.date,
    effective_to: dt.date | None,
    source_text: str | None = None,
    supersedes: tuple[str, dt.date] | None = None,
    details: Mapping[str, Any] | None = None,
) -> tuple[PolicyVersion, bool]:
    """Store a validated version; (version, True) if new, (existing, False) if the same content.

    The same id and version with different content is a `Conflict`: a version never changes.
    `source_text` is the text as written; `supersedes` (version, date) records that this version
    takes over from an earlier one; `details` go into the `policy_published` entry beside the
    digest (what the publisher checked: no personal data).
    """
    org = actor.organisation_id
    with _write(db):
        existing = _one(
            db,
            "SELECT * FROM policies WHERE organisation_id = ? AND policy_id = ? AND version = ?",
            [org, policy_id, version],
        )
        if existing is not None:
            if existing["digest"] != digest:
                raise Conflict(
                    N_("policy %(policy)s version %(version)s is published with other content; "
                       "publish the change as a new version", policy=policy_id, version=version)
                )  # fmt: skip
            return _policy(existing), False
        row_id = _insert(
            db,
            "policies",
            {
                "organisation_id": org,
                "policy_id": policy_id,
                "version": version,
                "digest": digest,
                "document": json.dumps(document, ensure_ascii=False),
                "purpose": purpose,
                "title": title,
                "effective_from": effective_from.isoformat(),
                "effective_to": effective_to.isoformat() if effective_to else None,
                "published_at": now(),
                "published_by": actor.id,
                "source_text": source_text,
                "supersedes_version": supersedes[0] if supersedes else None,
                "supersedes_from": supersedes[1].isoformat() if supersedes else None,
            },
        )
        append_audit(
            db,
            org,
            actor.id,
            "policy_published",
            f"policy:{policy_id}@{version}",
            {**(details or {}), "digest": digest, "purpose": purpose, "row": row_id},
        )
        return _policy(_one(db, "SELECT * FROM policies WHERE id = ?", [row_id])), True  # type: ignore[arg-type]


def get_policy(db: DB, organisation_id: int, policy_id: str, version: str) -> PolicyVersion:
    row = _one(
        db,
        "SELECT * FROM policies WHERE organisation_id = ? AND policy_id = ? AND version = ?",
        [organisation_id, policy_id, version],
    )
    if row is None:
        raise NotFound(
            N_("no policy %(policy)s version %(version)s", policy=policy_id, version=version)
        )
    return _policy(row)


def get_policy_row(db: DB, organisation_id: int, row_id: int) -> PolicyVersion:
    row = _one(
        db, "SELECT * FROM policies WHERE organisation_id = ? AND id = ?", [organisation_id, row_id]
    )
    if row is None:
        raise NotFound(N_("no policy version %(version)s", version=row_id))
    return _policy(row)


def versions_of(db: DB, organisation_id: int, policy_id: str) -> list[PolicyVersion]:
    """Every published version of one policy id, oldest publication first."""
    rows = _all(
        db,
        "SELECT * FROM policies WHERE organisation_id = ? AND policy_id = ? ORDER BY id",
        [organisation_id, policy_id],
    )
    return [_policy(r) for r in rows]


def list_policies(db: DB, organisation_id: int) -> list[PolicyVersion]:
    rows = _all(
        db,
        "SELECT * FROM policies WHERE organisation_id = ? ORDER BY policy_id, published_at, id",
        [organisation_id],
    )
    return [_policy(r) for r in rows]


def policies_in_force(
    db: DB, organisation_id: int, purpose: str, on: dt.date, policy_id: str | None = None
) -> list[PolicyVersion]:
    """Versions in force on a date, newest publication first (one per policy id). A version
    another one supersedes from a date is no longer in force from that date."""
    day = on.isoformat()
    rows = _all(
        db,
        "SELECT * FROM policies p WHERE organisation_id = ? AND purpose = ? "
        "AND effective_from <= ? AND (effective_to IS NULL OR effective_to >= ?) "
        "AND (? IS NULL OR policy_id = ?) AND NOT EXISTS (SELECT 1 FROM policies s "
        "WHERE s.organisation_id = p.organisation_id AND s.policy_id = p.policy_id "
        "AND s.supersedes_version = p.version AND s.supersedes_from <= ?) "
        "ORDER BY published_at DESC, id DESC",
        [organisation_id, purpose, day, day, policy_id, policy_id, day],
    )
    seen: dict[str, PolicyVersion] = {}
    for row in rows:
        seen.setdefault(row["policy_id"], _policy(row))
    return list(seen.values())


# ---- learners: the only personal data ---------------------------------------------------------


def _learner(row: sqlite3.Row) -> Learner:
    return Learner(
        row["key"],
        row["organisation_id"],
        row["display_name"],
        row["external_id"],
        row["created_at"],
        row["erased_at"],
    )


def get_learner(db: DB, organisation_id: int, key: str) -> Learner:
    row = _one(
        db, "SELECT * FROM learners WHERE organisation_id = ? AND key = ?", [organisation_id, key]
    )
    if row is None:
        raise NotFound(N_("no such learner"))
    return _learner(row)


def erase_learner(db: DB, actor: User, key: str) -> Learner:
    """Blank the learner's name and own id; cases, decisions and the trail keep only the key."""
    with _write(db):
        get_learner(db, actor.organisation_id, key)
        db.conn.execute(
            "UPDATE learners SET display_name = NULL, external_id = NULL, erased_at = ? "
            "WHERE organisation_id = ? AND key = ?",
            [now(), actor.organisation_id, key],
        )
        append_audit(db, actor.organisation_id, actor.id, "learner_erased", f"learner:{key}", {})
    return get_learner(db, actor.organisation_id, key)


def _put_learner(db: DB, org: int, key: str, display_name: str | None, external_id: str) -> None:
    # A learner seen again (or erased and applying anew) gets the personal fields given now.
    db.conn.execute(
        "INSERT INTO learners (organisation_id, key, display_name, external_id, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (organisation_id, key) DO UPDATE SET "
        "display_name = excluded.display_name, external_id = excluded.external_id, "
        "erased_at = NULL",
        [org, key, display_name, external_id, now()],
    )
