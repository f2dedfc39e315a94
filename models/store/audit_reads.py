"""One page of an organisation's audit trail, filtered in SQL: a page of a trail of a million
entries reads its 50 rows and a count, never the whole chain (the chain itself is verified by
`database.verify_audit`, which does read all of it)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from models.desk.records import AuditEntry
from models.store.database import DB


def _where(
    organisation_id: int, event: str | None, actor_id: int | None, since: dt.date | None,
    until: dt.date | None, subject: str | None,
) -> tuple[str, list[object]]:  # fmt: skip
    clauses, params = ["organisation_id IS ?"], [organisation_id]
    for column, value in (("event", event), ("actor_id", actor_id), ("subject", subject)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if since is not None:  # `at` is ISO text (UTC): a day's entries sort between its bounds
        clauses.append("at >= ?")
        params.append(since.isoformat())
    if until is not None:
        clauses.append("at < ?")
        params.append((until + dt.timedelta(days=1)).isoformat())
    return " AND ".join(clauses), params


def audit_slice(
    db: DB, organisation_id: int, *, event: str | None = None, actor_id: int | None = None,
    since: dt.date | None = None, until: dt.date | None = None, subject: str | None = None,
    offset: int = 0, limit: int = 50,
) -> tuple[list[AuditEntry], int]:  # fmt: skip
    """The entries of one page, newest first, and how many entries match in all."""
    where, params = _where(organisation_id, event, actor_id, since, until, subject)
    total = db.conn.execute(f"SELECT count(*) FROM audit WHERE {where}", params).fetchone()[0]
    cursor = db.conn.execute(
        f"SELECT * FROM audit WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
        [*params, int(limit), int(offset)],
    )
    cursor.row_factory = sqlite3.Row
    entries = [
        AuditEntry(
            r["seq"],
            r["at"],
            r["organisation_id"],
            r["actor_id"],
            r["event"],
            r["subject"],
            json.loads(r["details"]),
            r["prev_hash"],
            r["hash"],
            r["row_ref"],
            r["row_hash"],
        )  # fmt: skip
        for r in cursor
    ]
    return entries, total


def audit_event_kinds(db: DB, organisation_id: int) -> list[str]:
    """Every kind of entry the organisation's trail holds, sorted."""
    rows = db.conn.execute(
        "SELECT DISTINCT event FROM audit WHERE organisation_id IS ? ORDER BY event",
        [organisation_id],
    )
    return [r[0] for r in rows]
