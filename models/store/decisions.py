"""Storage of evaluations and decisions: append-only rows, each recorded in the audit trail.

A decision is never updated: a confirmation (four-eyes), a correction, an appeal or a reopening is
a new row pointing at the one before (`previous_decision_id`). `confirmed_by` on a `Decision` is
read from the confirming row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from models.desk.records import Decision, Evaluation, User
from models.errors import NotFound
from models.messages import N_
from models.store.cases import get_case
from models.store.database import DB, _all, _insert, _one, _write, append_audit, now, to_json

# ---- evaluations ------------------------------------------------------------------------------


def _evaluation(row: sqlite3.Row) -> Evaluation:
    return Evaluation(
        row["id"],
        row["case_id"],
        row["snapshot_id"],
        row["fingerprint"],
        row["policy_digest"],
        json.loads(row["engine"]),
        dt.date.fromisoformat(row["as_of"]),
        row["created_by"],
        row["created_at"],
        json.loads(row["result"]),
    )


def store_evaluation(
    db: DB, actor: User, case_id: int, snapshot_id: int, result: Mapping[str, Any]
) -> Evaluation:
    """Keep an engine result with its fingerprint, the policy digest and the engine versions."""
    with _write(db):
        get_case(db, actor.organisation_id, case_id)
        evaluation_id = _insert(
            db,
            "evaluations",
            {
                "case_id": case_id,
                "snapshot_id": snapshot_id,
                "fingerprint": result["fingerprint"],
                "policy_digest": result["policy"]["digest"],
                "engine": to_json(result["engine"]),
                "as_of": result["as_of"],
                "result": to_json(result),
                "created_by": actor.id,
                "created_at": now(),
            },
        )
        append_audit(
            db,
            actor.organisation_id,
            actor.id,
            "evaluation_stored",
            f"case:{case_id}",
            {
                "evaluation": evaluation_id,
                "snapshot": snapshot_id,
                "fingerprint": result["fingerprint"],
                "summary": dict(result["summary"]),
            },
        )
        return get_evaluation(db, actor.organisation_id, evaluation_id)


_EVALUATION = "SELECT v.* FROM evaluations v JOIN cases c ON c.id = v.case_id"


def get_evaluation(db: DB, organisation_id: int, evaluation_id: int) -> Evaluation:
    row = _one(
        db,
        f"{_EVALUATION} WHERE v.id = ? AND c.organisation_id = ?",
        [evaluation_id, organisation_id],
    )
    if row is None:
        raise NotFound(N_("no evaluation %(evaluation)s", evaluation=evaluation_id))
    return _evaluation(row)


def evaluations(db: DB, organisation_id: int, case_id: int) -> list[Evaluation]:
    rows = _all(
        db,
        f"{_EVALUATION} WHERE v.case_id = ? AND c.organisation_id = ? ORDER BY v.id",
        [case_id, organisation_id],
    )
    return [_evaluation(r) for r in rows]


def latest_evaluation(db: DB, organisation_id: int, case_id: int) -> Evaluation | None:
    row = _one(
        db,
        f"{_EVALUATION} WHERE v.case_id = ? AND c.organisation_id = ? ORDER BY v.id DESC LIMIT 1",
        [case_id, organisation_id],
    )
    return _evaluation(row) if row else None


# ---- decisions --------------------------------------------------------------------------------

_DECISION = (
    "SELECT d.*, k.officer_id AS confirmed_by, k.decided_at AS confirmed_at FROM decisions d "
    "LEFT JOIN decisions k ON k.previous_decision_id = d.id AND k.action = 'confirm'"
)


def _decision(row: sqlite3.Row) -> Decision:
    return Decision(
        row["id"],
        row["case_id"],
        row["organisation_id"],
        row["action"],
        row["kind"],
        json.loads(row["outcomes"]),
        row["exception_type"],
        row["justification"],
        row["officer_id"],
        row["decided_at"],
        row["policy_id"],
        row["policy_version"],
        row["evaluation_id"],
        row["fingerprint"],
        row["previous_decision_id"],
        row["idempotency_key"],
        bool(row["requires_confirmation"]),
        row["confirmed_by"],
        row["confirmed_at"],
    )


def request_digest(request: Mapping[str, Any]) -> str:
    """What an idempotent retry must repeat exactly: the same key with other content conflicts."""
    return hashlib.sha256(to_json(request).encode("utf-8")).hexdigest()


def insert_decision(
    db: DB,
    actor: User,
    *,
    case_id: int,
    action: str,
    kind: str,
    outcomes: Mapping[str, str],
    exception_type: str | None,
    justification: str,
    policy_id: str,
    policy_version: str,
    evaluation_id: int | None,
    fingerprint: str | None,
    previous_decision_id: int | None,
    idempotency_key: str | None,
    request: Mapping[str, Any],
    requires_confirmation: bool,
) -> Decision:
    """Append a decision (already validated by the desk) and its audit entry, as one unit."""
    org = actor.organisation_id
    with _write(db):
        get_case(db, org, case_id)
        decision_id = _insert(
            db,
            "decisions",
            {
                "case_id": case_id,
                "organisation_id": org,
                "action": action,
                "kind": kind,
                "outcomes": to_json(dict(outcomes)),
                "exception_type": exception_type,
                "justification": justification,
                "officer_id": actor.id,
                "decided_at": now(),
                "policy_id": policy_id,
                "policy_version": policy_version,
                "evaluation_id": evaluation_id,
                "fingerprint": fingerprint,
                "previous_decision_id": previous_decision_id,
                "idempotency_key": idempotency_key,
                "request_digest": request_digest(request),
                "requires_confirmation": int(requires_confirmation),
            },
        )
        # The justification is free text and may name the learner: the trail keeps its hash.
        event = "decision_confirmed" if action == "confirm" else "decision_recorded"
        append_audit(
            db,
            org,
            actor.id,
            event,
            f"case:{case_id}",
            {
                "decision": decision_id,
                "action": action,
                "kind": kind,
                "outcomes": dict(outcomes),
                "exception_type": exception_type,
                "justification_sha256": hashlib.sha256(justification.encode()).hexdigest(),
                "evaluation": evaluation_id,
                "fingerprint": fingerprint,
                "previous": previous_decision_id,
                "requires_confirmation": requires_confirmation,
            },
        )
        return get_decision(db, org, decision_id)


def get_decision(db: DB, organisation_id: int, decision_id: int) -> Decision:
    row = _one(
        db, f"{_DECISION} WHERE d.id = ? AND d.organisation_id = ?", [decision_id, organisation_id]
    )
    if row is None:
        raise NotFound(N_("no decision %(decision)s", decision=decision_id))
    return _decision(row)


def decision_by_key(db: DB, organisation_id: int, key: str) -> tuple[Decision, str] | None:
    """The decision recorded under an idempotency key, with its request digest."""
    row = _one(
        db,
        f"{_DECISION} WHERE d.organisation_id = ? AND d.idempotency_key = ?",
        [organisation_id, key],
    )
    return (_decision(row), row["request_digest"]) if row else None


def decisions(db: DB, organisation_id: int, case_id: int) -> list[Decision]:
    rows = _all(
        db,
        f"{_DECISION} WHERE d.case_id = ? AND d.organisation_id = ? ORDER BY d.id",
        [case_id, organisation_id],
    )
    return [_decision(r) for r in rows]
