"""Migration 0007: what the queue needs to find work, and what four eyes need to return a decision.

- `cases.reference`: the case's human reference within its organisation ("2026-0042": the year the
  case was opened and its number in that year), given when the case is opened and never changed
  (a trigger refuses it). Cases opened before are numbered here, per organisation and year, in
  the order they were opened. The reference is a name for reading, not part of the record: it
  is not among the columns the audit entries bind (so rows bound before keep their digest); the
  `case_created` entry of a new case names it.
- `case_assignments`: which officer a case is assigned to, as append-only rows (the newest one
  counts; an officer of NULL means nobody), each recorded in the audit trail.
- `decision_returns`: a decision awaiting four-eyes confirmation returned to its author with a
  reason, append-only, one per decision, recorded in the trail.
- `case_queue`: one row per case that the queue reads instead of every snapshot and evaluation:
  the decision clock's start and due date, what the file waits for, and the words of the
  credentials' titles the search finds. State, not records: rewritten whenever a case, its
  snapshots or its evaluations change; never bound, no personal data (names stay in `learners`).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlite_utils import Database

from models.desk.clock import DECISION_MONTHS, Arrival, add_months, clock_start, search_text
from models.store.schema import MIGRATIONS, _append_only, _run_script

_QUEUE = """
ALTER TABLE cases ADD COLUMN reference TEXT;

CREATE TABLE case_assignments (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    officer_id INTEGER REFERENCES users(id),
    assigned_by INTEGER NOT NULL REFERENCES users(id),
    at TEXT NOT NULL
) STRICT;
CREATE INDEX case_assignments_case ON case_assignments(case_id, id);

CREATE TABLE decision_returns (
    id INTEGER PRIMARY KEY,
    decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    returned_by INTEGER NOT NULL REFERENCES users(id),
    at TEXT NOT NULL
) STRICT;
CREATE INDEX decision_returns_case ON decision_returns(case_id, id);

CREATE TABLE case_queue (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    clock_from TEXT,
    due_on TEXT,
    waiting_for TEXT NOT NULL DEFAULT '[]',
    titles TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX case_queue_due ON case_queue(organisation_id, due_on);
"""

_AFTER_BACKFILL = """
CREATE UNIQUE INDEX cases_reference ON cases(organisation_id, reference);
CREATE TRIGGER cases_reference_fixed BEFORE UPDATE OF reference ON cases
    WHEN OLD.reference IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a case keeps its reference'); END;
"""


def reference(year: int, number: int) -> str:
    return f"{year}-{number:04d}"


def _number_cases(db: Database) -> None:
    counters: dict[tuple[int, int], int] = {}
    rows = db.execute("SELECT id, organisation_id, created_at FROM cases ORDER BY id").fetchall()
    for case_id, org, created_at in rows:
        year = int(created_at[:4])
        counters[org, year] = counters.get((org, year), 0) + 1
        db.execute(
            "UPDATE cases SET reference = ? WHERE id = ?",
            [reference(year, counters[org, year]), case_id],
        )


def _fill_queue(db: Database) -> None:
    cases = db.execute(
        "SELECT id, organisation_id, received_on, complete_on FROM cases ORDER BY id"
    ).fetchall()
    for case_id, org, received_on, complete_on in cases:
        snapshots = db.execute(
            "SELECT id, received_on, added_at, credentials FROM case_snapshots "
            "WHERE case_id = ? ORDER BY id",
            [case_id],
        ).fetchall()
        latest = db.execute(
            "SELECT snapshot_id, result FROM evaluations WHERE case_id = ? "
            "ORDER BY id DESC LIMIT 1",
            [case_id],
        ).fetchone()
        arrivals = [
            Arrival(s[0], dt.date.fromisoformat(s[1]) if s[1] else None, s[2]) for s in snapshots
        ]
        start, missing = clock_start(
            dt.date.fromisoformat(complete_on) if complete_on else None,
            dt.date.fromisoformat(received_on),
            arrivals,
            (latest[0], json.loads(latest[1])) if latest else None,
        )
        due = add_months(start, DECISION_MONTHS) if start else None
        db.execute(
            "INSERT INTO case_queue (case_id, organisation_id, clock_from, due_on, waiting_for, "
            "titles) VALUES (?, ?, ?, ?, ?, ?)",
            [
                case_id,
                org,
                start.isoformat() if start else None,
                due.isoformat() if due else None,
                json.dumps(list(missing)),
                search_text(json.loads(snapshots[-1][3])) if snapshots else "",
            ],
        )


@MIGRATIONS(name="0007_queue")
def _queue(db: Database) -> None:
    _run_script(db, _QUEUE)
    _run_script(db, "\n".join(_append_only(t) for t in ("case_assignments", "decision_returns")))
    _number_cases(db)
    _fill_queue(db)
    _run_script(db, _AFTER_BACKFILL)
