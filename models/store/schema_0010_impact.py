"""Migration 0010: impact reports and where-else answers.

- `impact_reports`: a draft policy compared with the version in force over the organisation's
  stored cases, run in the background. Job state (status, progress, counts) like `batches`: the
  row changes while the report runs; the draft's document is kept as it was when the report
  started, so the report always explains the same text. The trail records that a report was run
  (policy, version, selection, counts), never a learner.
- `impact_rows`: one row per case whose outcome the draft changes (or that could not be
  compared), with the snapshot compared and the changes as JSON (rule ids, titles, statuses,
  credits: no personal data). Unchanged cases are only counted on the report.
- `where_else_results`: what the credentials a case leaves over would meet under the
  organisation's other policies, computed when an officer asks and kept for the evaluation and
  the set of policy versions it was computed for.
"""

from __future__ import annotations

from sqlite_utils import Database

from models.store.schema import MIGRATIONS, _run_script

_SQL = """
CREATE TABLE impact_reports (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    source TEXT NOT NULL,
    draft_policy_id TEXT NOT NULL,
    draft_version TEXT NOT NULL,
    draft_digest TEXT NOT NULL,
    draft_document TEXT NOT NULL,
    against_policy_id TEXT NOT NULL,
    against_version TEXT NOT NULL,
    selection TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    cases INTEGER NOT NULL DEFAULT 0,
    compared INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    heartbeat_at TEXT,
    finished_at TEXT,
    seconds REAL,
    failure TEXT,
    summary TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE impact_rows (
    report_id INTEGER NOT NULL REFERENCES impact_reports(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    snapshot_id INTEGER NOT NULL REFERENCES case_snapshots(id),
    changes TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (report_id, case_id)
) STRICT;

CREATE TABLE where_else_results (
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
    policies_key TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    entries TEXT NOT NULL,
    PRIMARY KEY (case_id, evaluation_id, policies_key)
) STRICT;

CREATE INDEX impact_reports_organisation ON impact_reports(organisation_id, id);
"""


@MIGRATIONS(name="0010_impact")
def _impact(db: Database) -> None:
    _run_script(db, _SQL)
