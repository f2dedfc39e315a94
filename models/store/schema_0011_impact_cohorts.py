"""Migration 0011: impact reports over a cohort file, on the desk.

- `impact_reports.cohort_name` and `cohort_as_of`: a report may compare the learners of an
  uploaded cohort file (last year's applicants, a partner's intake) instead of the stored cases;
  the file's name as uploaded and the application date its learners are evaluated as of. NULL:
  a report over stored cases, as before.
- `impact_cohorts`: the uploaded file itself (a .jsonl of wallets or a .csv wallet sheet: personal
  data), kept only while its report waits or runs; the report's end deletes it.
- `impact_cohort_rows`: one row per learner of the file whose outcome the draft changes (or who
  could not be compared), by the learner's line in the file and never by name or id: whoever
  ran the report has the file to look the line up in.
"""

from __future__ import annotations

from sqlite_utils import Database

from models.store.schema import MIGRATIONS, _run_script

_SQL = """
ALTER TABLE impact_reports ADD COLUMN cohort_name TEXT;
ALTER TABLE impact_reports ADD COLUMN cohort_as_of TEXT;

CREATE TABLE impact_cohorts (
    report_id INTEGER PRIMARY KEY REFERENCES impact_reports(id),
    suffix TEXT NOT NULL CHECK (suffix IN ('.jsonl', '.csv')),
    content BLOB NOT NULL
) STRICT;

CREATE TABLE impact_cohort_rows (
    report_id INTEGER NOT NULL REFERENCES impact_reports(id),
    line INTEGER NOT NULL,
    changes TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (report_id, line)
) STRICT;
"""


@MIGRATIONS(name="0011_impact_cohorts")
def _impact_cohorts(db: Database) -> None:
    _run_script(db, _SQL)
