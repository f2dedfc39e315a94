"""Storage of impact reports (`impact_reports`, `impact_rows`; for a cohort file
`impact_cohorts` while it runs and `impact_cohort_rows`) and where-else answers.

A report is claimed by one process at a time, like a batch (`claim_next`: the oldest queued
report, or a running one whose heartbeat is stale). The one trail entry, `impact_report_run`,
names the policy versions, the selection and the number of cases, never a learner. Reading the
cases of a report (`case_inputs`) only reads: an impact report never writes to a case.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from models.desk.impact_records import CaseInput, CohortRow, ImpactReport, ImpactRow
from models.errors import NotFound
from models.messages import N_
from models.store.database import DB, _all, _insert, _one, _write, append_audit, now, to_json

_CASES = (
    "SELECT c.id, c.reference, c.application_date, c.received_on, "
    "(SELECT status FROM case_events e WHERE e.case_id = c.id ORDER BY e.id DESC LIMIT 1) "
    "AS status, s.id AS snapshot_id, s.credentials FROM cases c "
    "JOIN case_snapshots s ON s.id = (SELECT max(id) FROM case_snapshots WHERE case_id = c.id) "
    "WHERE c.organisation_id = ? AND c.policy_id = ? AND (? IS NULL OR c.received_on >= ?) "
    "ORDER BY c.id"
)


def case_inputs(
    db: DB, organisation_id: int, policy_id: str, since: str | None = None
) -> list[CaseInput]:
    """The organisation's cases under `policy_id` (received on or after `since`), each with its
    latest snapshot."""
    rows = _all(db, _CASES, [organisation_id, policy_id, since, since])
    return [
        CaseInput(
            r["id"],
            r["reference"] or str(r["id"]),
            r["status"],
            r["snapshot_id"],
            r["application_date"],
            json.loads(r["credentials"]),
        )  # fmt: skip
        for r in rows
    ]


def _report(row: sqlite3.Row) -> ImpactReport:
    values = dict(row)
    values["draft_document"] = json.loads(values["draft_document"])
    values["summary"] = json.loads(values["summary"]) if values["summary"] else {}
    return ImpactReport(**values)


def create_report(
    db: DB, organisation_id: int, actor_id: int, values: Mapping[str, Any],
    cohort: tuple[str, bytes] | None = None,
) -> int:  # fmt: skip
    """Insert a queued report (`values`: source, draft_*, against_*, selection, cases, and
    cohort_name and cohort_as_of for a cohort) and its trail entry; `cohort` (suffix, content):
    the uploaded file, kept until the report has run. The trail names the file by its sha256."""
    with _write(db):
        row = {
            **values,
            "draft_document": to_json(values["draft_document"]),
            "organisation_id": organisation_id,
            "created_by": actor_id,
            "created_at": now(),
            "status": "queued",
        }
        report_id = _insert(db, "impact_reports", row)
        details = {
            "draft": f"{values['draft_policy_id']}@{values['draft_version']}",
            "draft_digest": values["draft_digest"],
            "against": f"{values['against_policy_id']}@{values['against_version']}",
            "selection": values["selection"],
            "cases": values["cases"],
            "source": values["source"],
        }
        if cohort is not None:
            details["cohort_sha256"] = hashlib.sha256(cohort[1]).hexdigest()
        append_audit(
            db, organisation_id, actor_id, "impact_report_run", f"impact:{report_id}", details
        )
        if cohort is not None:
            db.conn.execute(
                "INSERT INTO impact_cohorts (report_id, suffix, content) VALUES (?, ?, ?)",
                [report_id, cohort[0], cohort[1]],
            )
    return report_id


def cohort_file(db: DB, report_id: int) -> tuple[str, bytes] | None:
    """The uploaded cohort file of a report that has not finished: (suffix, content)."""
    row = _one(db, "SELECT suffix, content FROM impact_cohorts WHERE report_id = ?", [report_id])
    return None if row is None else (row["suffix"], bytes(row["content"]))


def get_report(db: DB, organisation_id: int, report_id: int) -> ImpactReport:
    row = _one(db, "SELECT * FROM impact_reports WHERE id = ? AND organisation_id = ?",
               [report_id, organisation_id])  # fmt: skip
    if row is None:
        raise NotFound(N_("no impact report %(report)s in your organisation", report=report_id))
    return _report(row)


def list_reports(db: DB, organisation_id: int, limit: int = 50) -> list[ImpactReport]:
    rows = _all(db, "SELECT * FROM impact_reports WHERE organisation_id = ? ORDER BY id DESC "
                "LIMIT ?", [organisation_id, limit])  # fmt: skip
    return [_report(r) for r in rows]


def claim_next(db: DB, stale_before: str) -> ImpactReport | None:
    """Take the oldest queued report, or a running one whose process stopped beating."""
    with _write(db):
        row = _one(
            db,
            "SELECT * FROM impact_reports WHERE status = 'queued' "
            "OR (status = 'running' AND heartbeat_at < ?) ORDER BY id LIMIT 1",
            [stale_before],
        )
        if row is None:
            return None
        at = now()
        db.conn.execute(
            "UPDATE impact_reports SET status = 'running', started_at = ?, heartbeat_at = ?, "
            "compared = 0, changed = 0, errors = 0 WHERE id = ?",
            [at, at, row["id"]],
        )
        db.conn.execute("DELETE FROM impact_rows WHERE report_id = ?", [row["id"]])
        db.conn.execute("DELETE FROM impact_cohort_rows WHERE report_id = ?", [row["id"]])
    return get_report(db, row["organisation_id"], row["id"])


def beat(db: DB, report_id: int, compared: int, changed: int, errors: int) -> None:
    with _write(db):
        db.conn.execute(
            "UPDATE impact_reports SET compared = ?, changed = ?, errors = ?, heartbeat_at = ? "
            "WHERE id = ?",
            [compared, changed, errors, now(), report_id],
        )


def finish(
    db: DB, report: ImpactReport, status: str, counts: Mapping[str, Any],
    rows: Iterable[Mapping[str, Any]] = (), failure: str | None = None,
) -> ImpactReport:  # fmt: skip
    """The end of a run: its counts and summary, and the rows of the cases (or the cohort's
    lines) it changed. A cohort's file is deleted: the report has no more use for it."""
    with _write(db):
        at = now()
        db.conn.execute(
            "UPDATE impact_reports SET status = ?, compared = ?, changed = ?, errors = ?, "
            "seconds = ?, summary = ?, failure = ?, finished_at = ?, heartbeat_at = ? "
            "WHERE id = ?",
            [status, counts.get("compared", 0), counts.get("changed", 0),
             counts.get("errors", 0), counts.get("seconds"),
             json.dumps(counts.get("summary", {}), sort_keys=True), failure, at, at, report.id],
        )  # fmt: skip
        if report.cohort_name is not None:
            db.conn.executemany(
                "INSERT INTO impact_cohort_rows (report_id, line, changes, error) "
                "VALUES (?, ?, ?, ?)",
                [(report.id, r["line"], _body(r), r.get("error")) for r in rows],
            )
            db.conn.execute("DELETE FROM impact_cohorts WHERE report_id = ?", [report.id])
        else:
            db.conn.executemany(
                "INSERT INTO impact_rows (report_id, case_id, snapshot_id, changes, error) "
                "VALUES (?, ?, ?, ?, ?)",
                [(report.id, r["case_id"], r["snapshot_id"], _body(r), r.get("error"))
                 for r in rows],
            )  # fmt: skip
    return get_report(db, report.organisation_id, report.id)


def _body(row: Mapping[str, Any]) -> str:
    return to_json({"changes": row.get("changes", []), "credits": row.get("credits")})


def cohort_rows(db: DB, organisation_id: int, report_id: int) -> list[CohortRow]:
    get_report(db, organisation_id, report_id)
    rows = _all(db, "SELECT * FROM impact_cohort_rows WHERE report_id = ? ORDER BY line",
                [report_id])  # fmt: skip
    out = []
    for r in rows:
        body = json.loads(r["changes"])
        credits = body.get("credits")
        out.append(CohortRow(r["report_id"], r["line"], tuple(body.get("changes", [])),
                             tuple(credits) if credits else None, r["error"]))  # fmt: skip
    return out


def report_rows(
    db: DB, organisation_id: int, report_id: int, case_id: int | None = None
) -> list[ImpactRow]:
    get_report(db, organisation_id, report_id)
    rows = _all(
        db,
        "SELECT r.*, c.reference FROM impact_rows r JOIN cases c ON c.id = r.case_id "
        "WHERE r.report_id = ? AND c.organisation_id = ? AND (? IS NULL OR r.case_id = ?) "
        "ORDER BY r.case_id",
        [report_id, organisation_id, case_id, case_id],
    )
    out = []
    for r in rows:
        body = json.loads(r["changes"])
        credits = body.get("credits")
        out.append(ImpactRow(r["report_id"], r["case_id"], r["reference"] or str(r["case_id"]),
                             r["snapshot_id"], tuple(body.get("changes", [])),
                             tuple(credits) if credits else None, r["error"]))  # fmt: skip
    return out


# ---- where else ---------------------------------------------------------------------------


def where_else_found(
    db: DB, organisation_id: int, case_id: int, evaluation_id: int, policies_key: str
) -> list[dict[str, Any]] | None:
    row = _one(
        db,
        "SELECT entries FROM where_else_results WHERE organisation_id = ? AND case_id = ? "
        "AND evaluation_id = ? AND policies_key = ?",
        [organisation_id, case_id, evaluation_id, policies_key],
    )
    return None if row is None else json.loads(row["entries"])


def keep_where_else(
    db: DB, organisation_id: int, case_id: int, evaluation_id: int, policies_key: str,
    entries: list[dict[str, Any]],
) -> None:  # fmt: skip
    with _write(db):
        db.conn.execute(
            "INSERT OR REPLACE INTO where_else_results (organisation_id, case_id, evaluation_id, "
            "policies_key, computed_at, entries) VALUES (?, ?, ?, ?, ?, ?)",
            [organisation_id, case_id, evaluation_id, policies_key, now(), to_json(entries)],
        )
