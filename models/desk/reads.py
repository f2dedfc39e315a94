"""The desk's reading side: the case queue with its decision clock, the case file, replay, audit.

Every function takes the acting user and reads only their organisation's rows; replay runs the
engine again and writes nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt

from engine.inputs import wallet_from_plain
from models.desk.audit import ChainReport
from models.desk.cases import ANY_ROLE, DECIDING, Evaluator, case_policy, require
from models.desk.decision_rules import outcome_statuses
from models.desk.records import CaseFile, QueueItem, ReplayReport, User
from models.errors import InvalidInput
from models.store import cases as store_cases
from models.store import database as store
from models.store import decisions as store_decisions
from models.store import policies as store_policies
from models.store.database import DB

DECISION_MONTHS = 4  # the Lisbon Recognition Convention's reasonable time: months, not days


# ---- reading: queue, case file, replay, audit -------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months; the 31st falls back to the month's last day (31 Oct + 4 → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def case_queue(
    db: DB,
    user: User,
    *,
    status: str | None = None,
    purpose: str | None = None,
    overdue: bool | None = None,
    today: dt.date | None = None,
) -> list[QueueItem]:
    """Cases with their decision clock: days since the file was complete (else received).

    A case is overdue after `DECISION_MONTHS` calendar months unless it is decided or waiting for
    the applicant (the file is not complete while evidence is outstanding).
    """
    require(user, *ANY_ROLE)
    today = today or dt.datetime.now(dt.UTC).date()
    items = []
    for case in store_cases.list_cases(db, user.organisation_id, status=status, purpose=purpose):
        start = case.complete_on or case.received_on
        due = add_months(start, DECISION_MONTHS)
        late = case.status not in ("decided", "waiting_for_applicant") and today > due
        if overdue is None or overdue == late:
            items.append(QueueItem(case, start, (today - start).days, due, late))
    return items


def case_file(db: DB, user: User, case_id: int) -> CaseFile:
    require(user, *ANY_ROLE)
    org = user.organisation_id
    case = store_cases.get_case(db, org, case_id)
    return CaseFile(
        case,
        store_policies.get_learner(db, org, case.learner_key),
        tuple(store_cases.snapshots(db, org, case_id)),
        tuple(store_cases.events(db, org, case_id)),
        tuple(store_decisions.evaluations(db, org, case_id)),
        tuple(store_decisions.decisions(db, org, case_id)),
    )


def replay(db: DB, user: User, case_id: int, evaluator: Evaluator) -> ReplayReport:
    """Evaluate again the evaluation the latest decision rests on, with its exact inputs."""
    require(user, *ANY_ROLE)
    org = user.organisation_id
    case = store_cases.get_case(db, org, case_id)
    decided = [d for d in store_decisions.decisions(db, org, case_id) if d.action in DECIDING]
    decision = decided[-1] if decided else None
    if decision is not None and decision.evaluation_id is not None:
        stored = store_decisions.get_evaluation(db, org, decision.evaluation_id)
    else:
        stored = store_decisions.latest_evaluation(db, org, case_id)
    if stored is None:
        raise InvalidInput({"case": "the case has no evaluation to replay"})
    snapshot = store_cases.get_snapshot(db, org, stored.snapshot_id)
    policy = case_policy(db, case)
    result = evaluator.evaluate(policy, wallet_from_plain(dict(snapshot.credentials)), stored.as_of)
    before, after = outcome_statuses(stored.result), outcome_statuses(result)
    differences = tuple(
        f"{rule}: stored {before.get(rule)}, replayed {after.get(rule)}"
        for rule in sorted(set(before) | set(after))
        if before.get(rule) != after.get(rule)
    )
    return ReplayReport(
        case_id,
        stored.id,
        decision.id if decision else None,
        stored.fingerprint,
        result["fingerprint"],
        not differences,
        differences,
    )


def export_case(db: DB, user: User, case_id: int) -> CaseFile:
    """The case file for a decision letter or an export; the export is recorded in the trail."""
    found = case_file(db, user, case_id)
    store.record_event(db, user, "export", f"case:{case_id}", {"learner": found.case.learner_key})
    return found


def verify_audit(db: DB, user: User) -> ChainReport:
    """Verify the user's organisation's audit chain."""
    require(user, *ANY_ROLE)
    return store.verify_audit(db, user.organisation_id)
