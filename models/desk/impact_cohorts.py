"""Impact reports over a cohort file on the desk: whom a draft would affect among learners who
are not (or not yet) cases — last year's applicants, a partner's intake — as `credstack policy
impact --cohort` answers on the command line.

The file (a .jsonl of wallet documents or a .csv wallet sheet, as a batch reads them) is checked
and counted when the report is asked for, kept in the database while the report waits or runs,
and deleted when it ends (`models.store.impact.finish`). Every learner is evaluated as of one
application date under the published version and under the draft; the report keeps the lines of
the learners whose outcome changes, never a name or an id.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from models.desk.access import require, validated_policy
from models.desk.impact_plan import Outcome, against_version, iso_date, load_draft
from models.desk.impact_records import CohortRow, ImpactReport
from models.desk.records import User
from models.errors import InvalidInput
from models.messages import N_
from models.population.impact import ImpactJob, compare_population
from models.population.runner import Executor, Totals
from models.population.sources import SourceError, open_source
from models.store import database as store
from models.store import impact as store_impact
from rules.policy import Policy

SUFFIXES = (".jsonl", ".csv")
MAX_COHORT_BYTES = 64 * 1024 * 1024  # the web form's upload; larger cohorts: the command line
FIELD = "cohort_file"


def start_cohort_report(
    db: store.DB, user: User, document: Mapping[str, Any], source: str, *,
    cohort_name: str, content: bytes, as_of: dt.date, against: str | None = None,
) -> ImpactReport:  # fmt: skip
    """Queue a report of `document` over the learners of the uploaded file `cohort_name`;
    refused whole (`InvalidInput`, nothing stored) when the file cannot be read."""
    require(user, "admin")
    document = json.loads(json.dumps(document, default=iso_date, ensure_ascii=False))
    draft = load_draft(document, source)
    version = against_version(db, user, draft.id, against)
    validated_policy(version)
    suffix = Path(cohort_name).suffix.lower()
    learners = count_learners(suffix, content)
    values = {
        "source": source, "draft_policy_id": draft.id, "draft_version": draft.version,
        "draft_digest": draft.digest, "draft_document": document,
        "against_policy_id": version.policy_id, "against_version": version.version,
        "selection": "cohort", "cases": learners,
        "cohort_name": Path(cohort_name).name, "cohort_as_of": as_of.isoformat(),
    }  # fmt: skip
    report_id = store_impact.create_report(
        db, user.organisation_id, user.id, values, cohort=(suffix, content)
    )
    return store_impact.get_report(db, user.organisation_id, report_id)


def count_learners(suffix: str, content: bytes) -> int:
    """How many learners the file holds (a quick pass), or why it cannot be read."""
    if suffix not in SUFFIXES:
        raise InvalidInput({FIELD: N_("expected a .jsonl file of wallets or a .csv wallet sheet")})
    if len(content) > MAX_COHORT_BYTES:
        raise InvalidInput(
            {FIELD: N_("expected at most %(most)s MB; larger cohorts run with `credstack policy "
                       "impact --cohort`", most=MAX_COHORT_BYTES // (1024 * 1024))}
        )  # fmt: skip
    with _written(suffix, content) as path:
        try:
            found = open_source(path).count()
        except SourceError as exc:
            reason = str(exc).removeprefix(f"{path}: ")
            raise InvalidInput(
                {FIELD: N_("the file cannot be read: %(why)s", why=reason)}
            ) from None

    if not found:
        raise InvalidInput({FIELD: N_("the file holds no learner")})
    return found


class _written:
    """The uploaded bytes as a file in a folder of their own, for the readers that take a path;
    the folder goes when the block ends."""

    def __init__(self, suffix: str, content: bytes):
        self.suffix, self.content = suffix, content

    def __enter__(self) -> Path:
        self.folder = tempfile.TemporaryDirectory(prefix="credstack-cohort-")
        path = Path(self.folder.name) / f"cohort{self.suffix}"
        path.write_bytes(self.content)
        return path

    def __exit__(self, *exc: object) -> None:
        self.folder.cleanup()


def cohort_rows(db: store.DB, user: User, report_id: int) -> list[CohortRow]:
    """The lines of a cohort report's file whose learners the draft changes."""
    require(user, "admin")
    return store_impact.cohort_rows(db, user.organisation_id, report_id)


def run_cohort(

    db: store.DB, report: ImpactReport, current: Policy, draft: Policy, secret: bytes,
    workers: int, on_progress: Callable[[Totals], None],
    executor: Callable[[ImpactJob], Executor] | None = None,
) -> Outcome:  # fmt: skip
    """Compare every learner of the report's file; the rows carry lines, never learners."""
    found = store_impact.cohort_file(db, report.id)
    if found is None:
        raise LookupError("the cohort file is no longer kept")
    suffix, content = found
    as_of = dt.date.fromisoformat(report.cohort_as_of or dt.date.today().isoformat())
    job = ImpactJob(current, draft, as_of, secret)
    own = executor(job) if executor else None
    try:
        with _written(suffix, content) as path:
            tally, totals = compare_population(open_source(path), job, workers, on_progress, own)
    finally:
        if own is not None:
            own.close()
    rows = [{"line": r["line"], "changes": r["changes"], "credits": r.get("credits")}
            for r in tally.changed]  # fmt: skip
    rows += [{"line": r["line"], "error": r["error"]} for r in tally.errors]
    rows.sort(key=lambda r: r["line"])
    return Outcome(tally.compared, tally.unchanged, dict(tally.by_kind), tuple(rows),
                   len(tally.errors), totals.seconds)  # fmt: skip
