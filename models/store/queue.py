"""Storage of the work queue: case references, the queue's row per case, assignments, returned
decisions, and the one query that lists a page of the queue.

The queue's row of a case (`case_queue`) is state derived from the case's records (its clock
and the titles the search finds), rewritten by the desk whenever those records change, so a
page of the queue is one query over 10,000 cases instead of reading every snapshot and
evaluation. Assignments and returns are append-only records, each bound by its audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from models.desk.queue_records import Assignment, DecisionReturn, QueuePage, QueueQuery, QueueRow
from models.desk.records import Decision, User
from models.store.database import DB, _all, _insert, _one, _write, append_audit, now

# ---- references and the queue's rows ----------------------------------------------------------


def next_reference(db: DB, organisation_id: int, year: int) -> str:
    """The next free reference of the organisation in `year`; call inside the write that
    inserts the case, so two cases opened at once cannot get the same one."""
    row = _one(
        db,
        "SELECT MAX(CAST(substr(reference, 6) AS INTEGER)) AS n FROM cases "
        "WHERE organisation_id = ? AND reference LIKE ?",
        [organisation_id, f"{year}-%"],
    )
    return f"{year}-{((row['n'] if row else None) or 0) + 1:04d}"


def put_queue_row(
    db: DB,
    organisation_id: int,
    case_id: int,
    *,
    clock_from: dt.date | None,
    due_on: dt.date | None,
    waiting_for: Sequence[str],
    titles: str,
) -> None:
    with _write(db):
        db.conn.execute(
            "INSERT OR REPLACE INTO case_queue (case_id, organisation_id, clock_from, due_on, "
            "waiting_for, titles) VALUES (?, ?, ?, ?, ?, ?)",
            [
                case_id,
                organisation_id,
                clock_from.isoformat() if clock_from else None,
                due_on.isoformat() if due_on else None,
                json.dumps(list(waiting_for)),
                titles,
            ],
        )


# ---- assignments ------------------------------------------------------------------------------


def _assignment(row: sqlite3.Row) -> Assignment:
    return Assignment(row["id"], row["case_id"], row["officer_id"], row["assigned_by"], row["at"])


def assign(db: DB, actor: User, case_id: int, officer_id: int | None) -> Assignment:
    """Append an assignment (the desk has checked the case and the officer) and its entry."""
    with _write(db):
        assignment_id = _insert(
            db,
            "case_assignments",
            {"case_id": case_id, "officer_id": officer_id, "assigned_by": actor.id, "at": now()},
        )
        append_audit(
            db,
            actor.organisation_id,
            actor.id,
            "case_assigned",
            f"case:{case_id}",
            {"assignment": assignment_id, "officer": officer_id},
        )
        row = _one(db, "SELECT * FROM case_assignments WHERE id = ?", [assignment_id])
        return _assignment(row)  # type: ignore[arg-type]


def assignments(db: DB, organisation_id: int, case_id: int) -> list[Assignment]:
    rows = _all(
        db,
        "SELECT a.* FROM case_assignments a JOIN cases c ON c.id = a.case_id "
        "WHERE a.case_id = ? AND c.organisation_id = ? ORDER BY a.id",
        [case_id, organisation_id],
    )
    return [_assignment(r) for r in rows]


# ---- decisions returned to their author -------------------------------------------------------


def _return(row: sqlite3.Row) -> DecisionReturn:
    return DecisionReturn(
        row["id"], row["decision_id"], row["case_id"], row["reason"], row["returned_by"], row["at"]
    )


def insert_return(db: DB, actor: User, decision: Decision, reason: str) -> DecisionReturn:
    """Append the return of `decision` (checked by the desk) and its entry; the reason is free
    text that may name the learner, so the trail keeps its hash."""
    with _write(db):
        return_id = _insert(
            db,
            "decision_returns",
            {
                "decision_id": decision.id,
                "case_id": decision.case_id,
                "reason": reason,
                "returned_by": actor.id,
                "at": now(),
            },
        )
        append_audit(
            db,
            actor.organisation_id,
            actor.id,
            "decision_returned",
            f"case:{decision.case_id}",
            {
                "return": return_id,
                "decision": decision.id,
                "reason_sha256": hashlib.sha256(reason.encode()).hexdigest(),
            },
        )
        row = _one(db, "SELECT * FROM decision_returns WHERE id = ?", [return_id])
        return _return(row)  # type: ignore[arg-type]


def returns(db: DB, organisation_id: int, case_id: int) -> list[DecisionReturn]:
    rows = _all(
        db,
        "SELECT r.* FROM decision_returns r JOIN cases c ON c.id = r.case_id "
        "WHERE r.case_id = ? AND c.organisation_id = ? ORDER BY r.id",
        [case_id, organisation_id],
    )
    return [_return(r) for r in rows]


def get_return_of(db: DB, organisation_id: int, decision_id: int) -> DecisionReturn | None:
    row = _one(
        db,
        "SELECT r.* FROM decision_returns r JOIN cases c ON c.id = r.case_id "
        "WHERE r.decision_id = ? AND c.organisation_id = ?",
        [decision_id, organisation_id],
    )
    return _return(row) if row else None


# ---- the queue --------------------------------------------------------------------------------

_ROWS = """
SELECT c.id, c.reference, c.purpose, c.policy_id, c.policy_version, c.received_on,
    l.display_name AS applicant,
    (SELECT e.status FROM case_events e WHERE e.case_id = c.id ORDER BY e.id DESC LIMIT 1)
        AS status,
    q.clock_from, q.due_on, COALESCE(q.waiting_for, '[]') AS waiting_for,
    COALESCE(q.titles, '') AS titles,
    (SELECT a.officer_id FROM case_assignments a WHERE a.case_id = c.id
        ORDER BY a.id DESC LIMIT 1) AS assigned_to,
    (SELECT d.id FROM decisions d WHERE d.case_id = c.id AND d.action IN ('accept', 'override')
        ORDER BY d.id DESC LIMIT 1) AS last_decision
FROM cases c
JOIN learners l ON l.organisation_id = c.organisation_id AND l.key = c.learner_key
LEFT JOIN case_queue q ON q.case_id = c.id
WHERE c.organisation_id = :org
"""
_FROM = f"""
FROM ({_ROWS}) r
LEFT JOIN users u ON u.id = r.assigned_to
LEFT JOIN decisions d ON d.id = r.last_decision
LEFT JOIN decision_returns x ON x.decision_id = r.last_decision
"""
_LATE = (
    "(r.due_on IS NOT NULL AND r.due_on < :today "
    "AND r.status NOT IN ('decided', 'waiting_for_applicant'))"
)
_VIEWS = {
    "open": "r.status != 'decided'",
    "confirm": "r.status = 'awaiting_confirmation' AND d.officer_id != :me AND x.id IS NULL",
    "mine": "r.assigned_to = :me",
    "overdue": _LATE,
    "waiting": "r.status = 'waiting_for_applicant'",
    "closed": "r.status = 'decided'",
    "all": "1",
}
_SORTS = {
    "applicant": "r.applicant IS NULL, r.applicant COLLATE NOCASE {d}",
    "reference": "r.id {d}",
    "purpose": "r.purpose {d}",
    "policy": "r.policy_id {d}, r.policy_version {d}",
    "status": "r.status {d}",
    "received": "r.received_on {d}",
    "due": "r.due_on IS NULL, r.due_on {d}",
    "assigned": "u.display_name IS NULL, u.display_name COLLATE NOCASE {d}",
}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def query_queue(
    db: DB, organisation_id: int, me: int, query: QueueQuery, today: dt.date
) -> QueuePage:
    """One page of the organisation's queue: `query.view` as `me` sees it, filtered, searched
    (applicant name, case reference, credential title) and sorted, with the total."""
    where = [_VIEWS[query.view]]
    params: dict[str, Any] = {"org": organisation_id, "me": me, "today": today.isoformat()}
    for name in ("status", "purpose"):
        if getattr(query, name):
            where.append(f"r.{name} = :{name}")
            params[name] = getattr(query, name)
    if query.policy:
        where.append("r.policy_id = :policy")
        params["policy"] = query.policy
    if query.overdue is not None:
        where.append(_LATE if query.overdue else f"NOT {_LATE}")
    if query.search.strip():
        where.append(
            "(r.applicant LIKE :q ESCAPE '\\' OR r.reference LIKE :q ESCAPE '\\' "
            "OR r.titles LIKE :ql ESCAPE '\\')"
        )
        params["q"] = _like(query.search.strip())
        params["ql"] = _like(query.search.strip().lower())
    condition = " AND ".join(f"({w})" for w in where)
    total = db.conn.execute(f"SELECT COUNT(*) {_FROM} WHERE {condition}", params).fetchone()[0]
    order = _SORTS[query.sort].format(d="DESC" if query.descending else "ASC")
    params["limit"] = query.per_page
    params["offset"] = (query.page - 1) * query.per_page
    found = _all(
        db,
        "SELECT r.*, u.display_name AS assigned_name, d.officer_id AS decided_by, "
        f"x.id AS returned {_FROM} WHERE {condition} ORDER BY {order}, r.id "
        "LIMIT :limit OFFSET :offset",
        params,
    )
    return QueuePage(tuple(_row(r, today) for r in found), total, query)


def _row(row: sqlite3.Row, today: dt.date) -> QueueRow:
    start = dt.date.fromisoformat(row["clock_from"]) if row["clock_from"] else None
    due = dt.date.fromisoformat(row["due_on"]) if row["due_on"] else None
    status = row["status"]
    late = due is not None and today > due and status not in ("decided", "waiting_for_applicant")
    return QueueRow(
        case_id=row["id"],
        reference=row["reference"] or str(row["id"]),
        applicant=row["applicant"],
        purpose=row["purpose"],
        policy_id=row["policy_id"],
        policy_version=row["policy_version"],
        status=status,
        received_on=dt.date.fromisoformat(row["received_on"]),
        clock_from=start,
        due_on=due,
        days_elapsed=(today - start).days if start else None,
        overdue=late,
        waiting_for=tuple(json.loads(row["waiting_for"])),
        assigned_to=row["assigned_to"],
        assigned_name=row["assigned_name"],
        awaiting_author=row["decided_by"] if status == "awaiting_confirmation" else None,
        returned=row["returned"] is not None and status != "awaiting_confirmation",
    )


def policies_in_queue(db: DB, organisation_id: int) -> list[str]:
    """The policy ids the organisation's cases are judged under (the queue's policy filter)."""
    rows = _all(
        db,
        "SELECT DISTINCT policy_id FROM cases WHERE organisation_id = ? ORDER BY policy_id",
        [organisation_id],
    )
    return [r["policy_id"] for r in rows]
