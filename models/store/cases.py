"""Storage of policies, learners, cases, their credential snapshots and their status events.

Every read takes the caller's organisation id; a row of another organisation is `NotFound`.
Policies, snapshots and events are append-only (the schema's triggers refuse any change); a
learner's personal fields are the only personal data in the database and erasure blanks them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from models.desk.records import Case, CaseEvent, PolicyVersion, Snapshot, User
from models.errors import NotFound
from models.messages import N_
from models.store.database import DB, _all, _insert, _one, _write, append_audit, now, to_json
from models.store.policies import _date, _put_learner, get_policy
from models.store.queue import next_reference

# ---- cases, snapshots, events -----------------------------------------------------------------

_CASE = (
    "SELECT c.*, (SELECT status FROM case_events e WHERE e.case_id = c.id "
    "ORDER BY e.id DESC LIMIT 1) AS status FROM cases c"
)


def _case(row: sqlite3.Row) -> Case:
    return Case(
        row["id"],
        row["organisation_id"],
        row["learner_key"],
        row["purpose"],
        row["policy_id"],
        row["policy_version"],
        dt.date.fromisoformat(row["application_date"]),
        dt.date.fromisoformat(row["received_on"]),
        _date(row["complete_on"]),
        row["created_by"],
        row["created_at"],
        row["status"],
        row["reference"] or str(row["id"]),
    )


def snapshot_digest(credentials: Mapping[str, Any]) -> str:
    return hashlib.sha256(to_json(credentials).encode("utf-8")).hexdigest()


def create_case(
    db: DB,
    actor: User,
    *,
    learner_key: str,
    learner_name: str | None,
    learner_external_id: str,
    purpose: str,
    policy: PolicyVersion,
    application_date: dt.date,
    received_on: dt.date,
    complete_on: dt.date | None,
    credentials: Mapping[str, Any],
) -> Case:
    """A new case with its first snapshot and status `open`, in one transaction; its reference
    is the organisation's next of the year (`queue.next_reference`)."""
    org = actor.organisation_id
    with _write(db):
        get_policy(db, org, policy.policy_id, policy.version)
        _put_learner(db, org, learner_key, learner_name, learner_external_id)
        created_at = now()
        reference = next_reference(db, org, int(created_at[:4]))
        case_id = _insert(
            db,
            "cases",
            {
                "organisation_id": org,
                "learner_key": learner_key,
                "purpose": purpose,
                "policy_id": policy.policy_id,
                "policy_version": policy.version,
                "application_date": application_date.isoformat(),
                "received_on": received_on.isoformat(),
                "complete_on": complete_on.isoformat() if complete_on else None,
                "created_by": actor.id,
                "created_at": created_at,
                "reference": reference,
            },
        )
        append_audit(
            db,
            org,
            actor.id,
            "case_created",
            f"case:{case_id}",
            {
                "learner": learner_key,
                "reference": reference,
                "purpose": purpose,
                "policy": [policy.policy_id, policy.version],
            },
        )
        add_snapshot(db, actor, case_id, credentials, received_on)
        add_event(db, actor, case_id, "open")
        return get_case(db, org, case_id)


def get_case(db: DB, organisation_id: int, case_id: int) -> Case:
    row = _one(db, f"{_CASE} WHERE c.id = ? AND c.organisation_id = ?", [case_id, organisation_id])
    if row is None:
        raise NotFound(N_("no case %(case)s", case=case_id))
    return _case(row)


def list_cases(
    db: DB, organisation_id: int, *, status: str | None = None, purpose: str | None = None
) -> list[Case]:
    rows = _all(
        db,
        f"SELECT * FROM ({_CASE} WHERE c.organisation_id = ?) "
        "WHERE (? IS NULL OR status = ?) AND (? IS NULL OR purpose = ?) ORDER BY id",
        [organisation_id, status, status, purpose, purpose],
    )
    return [_case(r) for r in rows]


def set_complete_on(db: DB, actor: User, case_id: int, complete_on: dt.date) -> None:
    """The date the file became complete starts the decision clock; it is the one mutable field."""
    with _write(db):
        get_case(db, actor.organisation_id, case_id)
        db.conn.execute(
            "UPDATE cases SET complete_on = ? WHERE id = ?", [complete_on.isoformat(), case_id]
        )
        append_audit(
            db,
            actor.organisation_id,
            actor.id,
            "case_completed",
            f"case:{case_id}",
            {"complete_on": complete_on.isoformat()},
        )


def _snapshot(row: sqlite3.Row) -> Snapshot:
    return Snapshot(
        row["id"],
        row["case_id"],
        row["digest"],
        row["added_by"],
        row["added_at"],
        json.loads(row["credentials"]),
        _date(row["received_on"]) if "received_on" in row.keys() else None,
    )


def add_snapshot(
    db: DB,
    actor: User,
    case_id: int,
    credentials: Mapping[str, Any],
    received_on: dt.date | None = None,
) -> Snapshot:
    """Append the credentials as they are now (`wallet_to_plain`: the learner key, no names),
    received on `received_on`."""
    with _write(db):
        get_case(db, actor.organisation_id, case_id)
        digest = snapshot_digest(credentials)
        snapshot_id = _insert(
            db,
            "case_snapshots",
            {
                "case_id": case_id,
                "credentials": to_json(credentials),
                "digest": digest,
                "added_by": actor.id,
                "added_at": now(),
                "received_on": received_on.isoformat() if received_on else None,
            },
        )
        append_audit(
            db,
            actor.organisation_id,
            actor.id,
            "snapshot_added",
            f"case:{case_id}",
            {"snapshot": snapshot_id, "digest": digest},
        )
        return _snapshot(_one(db, "SELECT * FROM case_snapshots WHERE id = ?", [snapshot_id]))  # type: ignore[arg-type]


def snapshots(db: DB, organisation_id: int, case_id: int) -> list[Snapshot]:
    get_case(db, organisation_id, case_id)
    rows = _all(db, "SELECT * FROM case_snapshots WHERE case_id = ? ORDER BY id", [case_id])
    return [_snapshot(r) for r in rows]


def get_snapshot(db: DB, organisation_id: int, snapshot_id: int) -> Snapshot:
    row = _one(
        db,
        "SELECT s.* FROM case_snapshots s JOIN cases c ON c.id = s.case_id "
        "WHERE s.id = ? AND c.organisation_id = ?",
        [snapshot_id, organisation_id],
    )
    if row is None:
        raise NotFound(N_("no snapshot %(snapshot)s", snapshot=snapshot_id))
    return _snapshot(row)


def add_event(db: DB, actor: User, case_id: int, status: str, note: str = "") -> CaseEvent:
    """A status change; the case's status is its latest event. The trail records it too."""
    with _write(db):
        get_case(db, actor.organisation_id, case_id)
        at = now()
        event_id = _insert(
            db,
            "case_events",
            {"case_id": case_id, "status": status, "note": note, "actor_id": actor.id, "at": at},
        )
        append_audit(
            db,
            actor.organisation_id,
            actor.id,
            "case_status",
            f"case:{case_id}",
            {"status": status, "event": event_id},
        )
    return CaseEvent(event_id, case_id, status, note, actor.id, at)


def events(db: DB, organisation_id: int, case_id: int) -> list[CaseEvent]:
    get_case(db, organisation_id, case_id)
    rows = _all(db, "SELECT * FROM case_events WHERE case_id = ? ORDER BY id", [case_id])
    return [
        CaseEvent(r["id"], r["case_id"], r["status"], r["note"], r["actor_id"], r["at"])
        for r in rows
    ]
