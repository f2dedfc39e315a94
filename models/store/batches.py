"""Storage of batch jobs (`batches`): one row per job, its state and counts.

A job is claimed by one process at a time: `claim_next` takes the oldest queued job, or a running
one whose heartbeat is older than `stale_before` (its process died: the runner resumes it from its
results file), inside one BEGIN IMMEDIATE transaction, so two workers never take the same job.
The entries written here (`batch_created`, `batch_finished`) name the policy version and the
counts, never a learner.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from models.desk.records import BatchJob
from models.errors import NotFound
from models.messages import N_
from models.store.database import DB, _all, _insert, _one, _write, append_audit, now


def _job(row: sqlite3.Row) -> BatchJob:
    """The row as a record: its columns are the record's fields; the summary is JSON."""
    values = dict(row)
    values["summary"] = json.loads(values["summary"]) if values["summary"] else {}
    return BatchJob(**values)


def create_batch(
    db: DB, organisation_id: int, actor_id: int, policy_id: str, version: str, as_of: str,
    detail: str, learners: int, write_input: Any,
) -> BatchJob:  # fmt: skip
    """Insert a queued job; `write_input(job_id)` stores its wallets inside the transaction (a
    failure there leaves no row)."""
    with _write(db):
        job_id = _insert(
            db,
            "batches",
            {
                "organisation_id": organisation_id,
                "created_by": actor_id,
                "created_at": now(),
                "policy_id": policy_id,
                "policy_version": version,
                "as_of": as_of,
                "detail": detail,
                "learners": learners,
                "status": "queued",
            },
        )
        write_input(job_id)
        details = {"policy": f"{policy_id}@{version}", "as_of": as_of, "learners": learners}
        append_audit(db, organisation_id, actor_id, "batch_created", f"batch:{job_id}", details)
    return get_batch(db, organisation_id, job_id)


def get_batch(db: DB, organisation_id: int, job_id: int) -> BatchJob:
    row = _one(db, "SELECT * FROM batches WHERE id = ? AND organisation_id = ?",
               [job_id, organisation_id])  # fmt: skip
    if row is None:
        raise NotFound(N_("no batch %(batch)s in your organisation", batch=job_id))
    return _job(row)


def list_batches(db: DB, organisation_id: int, limit: int = 100) -> list[BatchJob]:
    rows = _all(
        db,
        "SELECT * FROM batches WHERE organisation_id = ? ORDER BY id DESC LIMIT ?",
        [organisation_id, limit],
    )
    return [_job(r) for r in rows]


def claim_next(db: DB, stale_before: str) -> BatchJob | None:
    """Take the oldest queued job, or a running one whose process stopped beating."""
    with _write(db):
        row = _one(
            db,
            "SELECT * FROM batches WHERE status = 'queued' "
            "OR (status = 'running' AND heartbeat_at < ?) ORDER BY id LIMIT 1",
            [stale_before],
        )
        if row is None:
            return None
        at = now()
        db.conn.execute(
            "UPDATE batches SET status = 'running', started_at = COALESCE(started_at, ?), "
            "heartbeat_at = ? WHERE id = ?",
            [at, at, row["id"]],
        )
    return get_batch(db, row["organisation_id"], row["id"])


def beat(db: DB, job_id: int, evaluated: int, errors: int) -> None:
    """Progress, and proof that the job's process is alive."""
    with _write(db):
        db.conn.execute(
            "UPDATE batches SET evaluated = ?, errors = ?, heartbeat_at = ? WHERE id = ?",
            [evaluated, errors, now(), job_id],
        )


def finish(
    db: DB, job: BatchJob, status: str, evaluated: int, errors: int,
    summary: dict[str, Any], results_sha256: str | None, failure: str | None = None,
) -> BatchJob:  # fmt: skip
    with _write(db):
        at = now()
        db.conn.execute(
            "UPDATE batches SET status = ?, evaluated = ?, errors = ?, finished_at = ?, "
            "heartbeat_at = ?, summary = ?, results_sha256 = ?, failure = ? WHERE id = ?",
            [status, evaluated, errors, at, at, json.dumps(summary, sort_keys=True),
             results_sha256, failure, job.id],
        )  # fmt: skip
        details = {"status": status, "evaluated": evaluated, "errors": errors}
        if results_sha256:
            details["results_sha256"] = results_sha256
        append_audit(db, job.organisation_id, None, "batch_finished", f"batch:{job.id}", details)
    return get_batch(db, job.organisation_id, job.id)
