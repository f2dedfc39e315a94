"""Whom a policy change affects, and how: a draft compared with the version in force over the
organisation's stored cases, before it is published.

Each case's latest snapshot (its credentials, the applicant's facts and the request) is evaluated
as of its application date under the published version (the one in force today, or the one
named) and under the draft, in the batch path's worker processes
(`models.population.impact`), and the two results compared (`engine.impact`). Nothing is written
to a case, an evaluation or a decision: a report only tells. The one trace it leaves is a trail
entry saying that a report was run, on which versions and how many cases (`impact_report_run`).

The CLI runs a report at once (`run_plan`); the desk queues one (`start_report`) that
`ImpactRunner` runs in a background thread of the web process, as the API runs batches.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from engine.inputs import wallet_from_plain
from models.desk.access import Evaluator, require, validated_policy
from models.desk.background import QueueRunner
from models.desk.impact_cohorts import run_cohort
from models.desk.impact_plan import (
    Outcome,
    Plan,
    against_version,
    iso_date,
    load_draft,
    parse_selection,
)
from models.desk.impact_records import CaseInput, ImpactReport, ImpactRow
from models.desk.records import User
from models.desk.words import job_status_word
from models.errors import Conflict, NotFound
from models.messages import N_
from models.population.impact import ImpactJob, Tally, compare_population
from models.population.runner import Executor, Totals
from models.population.sources import Item
from models.store import cases as store_cases
from models.store import database as store
from models.store import impact as store_impact
from models.store import policies as store_policies
from rules.policy import Policy

CLOSED = ("decided", "awaiting_confirmation")
STALE_SECONDS = 120.0
BEAT_SECONDS = 1.0


def plan_report(
    db: store.DB, user: User, draft: Policy, against: str | None, selection: str | None
) -> Plan:
    require(user, "admin")
    chosen, since = parse_selection(selection)
    version = against_version(db, user, draft.id, against)
    current = validated_policy(version)
    cases = store_impact.case_inputs(
        db, user.organisation_id, version.policy_id, since.isoformat() if since else None
    )
    if chosen == "open":
        cases = [c for c in cases if c.status not in CLOSED]
    return Plan(draft, version, current, chosen, tuple(cases))


def items_of(cases: Sequence[CaseInput]) -> Iterator[Item]:
    for n, c in enumerate(cases, 1):
        yield Item(n, "case", {"wallet": dict(c.credentials), "as_of": c.application_date})


def run_plan(
    plan: Plan,
    secret: bytes,
    workers: int = 1,
    on_progress: Callable[[Totals], None] | None = None,
    executor: Executor | None = None,
) -> Outcome:
    """Compare every case of `plan` in worker processes (nothing is stored)."""
    job = ImpactJob(plan.current, plan.draft, dt.date.today(), secret)
    tally, totals = compare_population(items_of(plan.cases), job, workers, on_progress, executor)
    return outcome_of(tally, totals, plan.cases)


def outcome_of(tally: Tally, totals: Totals, cases: Sequence[CaseInput]) -> Outcome:
    rows: list[dict[str, Any]] = []
    for found in [*tally.changed, *tally.errors]:
        c = cases[found["line"] - 1]
        row = {"case_id": c.case_id, "reference": c.reference, "snapshot_id": c.snapshot_id}
        if "error" in found:
            row["error"] = found["error"]
        else:
            row |= {"changes": found["changes"], "credits": found["credits"]}
        rows.append(row)
    rows.sort(key=lambda r: r["case_id"])
    return Outcome(tally.compared, tally.unchanged, dict(tally.by_kind), tuple(rows),
                   len(tally.errors), totals.seconds)  # fmt: skip


def record_run(db: store.DB, user: User, plan: Plan, source: str) -> None:
    """The trail entry of a report run at once (the CLI): versions, selection, count."""
    details = {
        "draft": f"{plan.draft.id}@{plan.draft.version}", "draft_digest": plan.draft.digest,
        "against": f"{plan.against.policy_id}@{plan.against.version}",
        "selection": plan.selection, "cases": len(plan.cases), "source": source,
    }  # fmt: skip
    store.record_event(db, user, "impact_report_run", f"policy:{plan.draft.id}", details)


# ---- reports on the desk ------------------------------------------------------------------


def start_report(
    db: store.DB, user: User, document: Mapping[str, Any], source: str,
    against: str | None = None, selection: str | None = None,
) -> ImpactReport:  # fmt: skip
    """Queue a report of `document` (a policy document: a draft's, an uploaded file's or a
    published version's); `source` says which ("draft:12", "file:NAME", "policy:ID@VERSION").
    `ImpactRunner.wake` then runs it."""
    require(user, "admin")
    document = json.loads(json.dumps(document, default=iso_date, ensure_ascii=False))
    draft = load_draft(document, source)
    plan = plan_report(db, user, draft, against, selection)
    values = {
        "source": source, "draft_policy_id": draft.id, "draft_version": draft.version,
        "draft_digest": draft.digest, "draft_document": document,
        "against_policy_id": plan.against.policy_id, "against_version": plan.against.version,
        "selection": plan.selection, "cases": len(plan.cases),
    }  # fmt: skip
    report_id = store_impact.create_report(db, user.organisation_id, user.id, values)
    return store_impact.get_report(db, user.organisation_id, report_id)


def get_report(db: store.DB, user: User, report_id: int) -> ImpactReport:
    require(user, "admin")
    return store_impact.get_report(db, user.organisation_id, report_id)


def list_reports(db: store.DB, user: User) -> list[ImpactReport]:
    require(user, "admin")
    return store_impact.list_reports(db, user.organisation_id)


def latest_summary(
    db: store.DB, user: User, source: str, digest: str | None = None
) -> dict[str, Any] | None:
    """What the newest finished report of `source` ("draft:12") found — of the text with
    `digest`, when given — for the trail entry that publishes it: versions, selection and counts,
    never a case. None: no such report."""
    require(user, "admin")
    for report in store_impact.list_reports(db, user.organisation_id):
        if report.source != source or report.status != "done":
            continue
        if digest is not None and report.draft_digest != digest:
            continue
        return {
            "report": report.id, "draft_digest": report.draft_digest,
            "against": f"{report.against_policy_id}@{report.against_version}",
            "selection": report.selection, "cases": report.cases, **report.summary,
            **({"cohort": report.cohort_name} if report.cohort_name else {}),
        }  # fmt: skip

    return None


def report_rows(
    db: store.DB, user: User, report_id: int, case_id: int | None = None
) -> list[ImpactRow]:
    require(user, "admin")
    return store_impact.report_rows(db, user.organisation_id, report_id, case_id)


def side_by_side(
    db: store.DB, user: User, report_id: int, case_id: int, evaluator: Evaluator
) -> tuple[ImpactReport, ImpactRow, dict[str, Any], dict[str, Any]]:
    """The report's row of a case and the two results it compared (the same snapshot and date,
    evaluated again: nothing of them is stored)."""
    report = get_report(db, user, report_id)
    if report.status != "done":
        raise Conflict(
            N_(
                "impact report %(report)s is %(status)s",
                report=report.id,
                status=job_status_word(report.status),
            )
        )
    found = report_rows(db, user, report_id, case_id)
    if not found:
        raise NotFound(
            N_("case %(case)s is not among the cases impact report %(report)s lists",
               case=case_id, report=report_id)
        )  # fmt: skip
    row = found[0]
    as_of = store_cases.get_case(db, user.organisation_id, case_id).application_date
    snapshot = store_cases.get_snapshot(db, user.organisation_id, row.snapshot_id)
    wallet = wallet_from_plain(dict(snapshot.credentials))
    version = store_policies.get_policy(
        db, user.organisation_id, report.against_policy_id, report.against_version
    )
    org = str(user.organisation_id)
    current = evaluator.evaluate(validated_policy(version), wallet, as_of, organisation=org)
    draft = load_draft(dict(report.draft_document), report.source)
    proposed = evaluator.evaluate(draft, wallet, as_of, organisation=org)
    return report, row, current, proposed


class ImpactRunner(QueueRunner):
    """Runs the queued reports of the database one at a time in a background thread of this
    process (started by `wake`, ending when none is left); the evaluations run in worker
    processes through the batch path."""

    thread_name = "credstack-impact"
    stale_seconds = STALE_SECONDS

    def __init__(self, database: str, secret: bytes, workers: int = 1,
                 executor: Callable[[ImpactJob], Executor] | None = None):  # fmt: skip
        super().__init__(database)
        self.secret, self.workers = secret, workers
        self.executor = executor  # tests may run the comparisons in this process

    def claim(self, db: store.DB, stale_before: str) -> ImpactReport | None:
        return store_impact.claim_next(db, stale_before)

    def run(self, db: store.DB, item: ImpactReport) -> ImpactReport:
        return self.run_report(db, item)

    def run_report(self, db: store.DB, report: ImpactReport) -> ImpactReport:
        try:
            version = store_policies.get_policy(
                db, report.organisation_id, report.against_policy_id, report.against_version
            )
            current = validated_policy(version)
            draft = load_draft(dict(report.draft_document), report.source)
            last = [0.0]

            def beat(totals: Totals) -> None:
                if time.monotonic() - last[0] >= BEAT_SECONDS:
                    last[0] = time.monotonic()
                    store_impact.beat(db, report.id, totals.evaluated, 0, totals.errors)

            if report.cohort_name is not None:
                outcome = run_cohort(db, report, current, draft, self.secret, self.workers,
                                     beat, self.executor)  # fmt: skip
                return self._finish(db, report, outcome)
            since = report.selection.removeprefix("since:") if ":" in report.selection else None
            cases = store_impact.case_inputs(db, report.organisation_id, version.policy_id, since)
            if report.selection == "open":
                cases = [c for c in cases if c.status not in CLOSED]
            plan = Plan(draft, version, current, report.selection, tuple(cases))
            job = ImpactJob(current, draft, dt.date.today(), self.secret)
            own = self.executor(job) if self.executor else None
            try:
                outcome = run_plan(plan, self.secret, self.workers, beat, own)
            finally:
                if own is not None:
                    own.close()
        except Exception as exc:  # the report fails; the service goes on (no learner in it)
            failure = f"{type(exc).__name__}: the impact report could not be completed"
            return store_impact.finish(db, report, "failed", {}, (), failure)
        return self._finish(db, report, outcome)

    @staticmethod
    def _finish(db: store.DB, report: ImpactReport, outcome: Outcome) -> ImpactReport:
        counts = {"compared": outcome.compared, "changed": outcome.changed,
                  "errors": outcome.errors, "seconds": outcome.seconds,
                  "summary": outcome.summary()}  # fmt: skip
        return store_impact.finish(db, report, "done", counts, outcome.rows)
