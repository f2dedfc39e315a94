"""The desk's reading side: the case queue with its decision clock, the case file, replay, audit.

Every function takes the acting user and reads only their organisation's rows; replay runs the
engine again and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.explain import provenance_text
from engine.inputs import wallet_from_plain
from models.desk.access import ANY_ROLE, DECIDING, Evaluator, case_policy, require
from models.desk.audit import TrailReport
from models.desk.clock import (  # noqa: F401 - the clock is read from here too
    DECISION_MONTHS,
    Clock,
    add_months,
    decision_clock,
    waiting_for,
)
from models.desk.decision_rules import outcome_statuses
from models.desk.records import (
    CaseFile,
    QueueItem,
    ReplayReport,
    Snapshot,
    User,
)
from models.errors import Conflict
from models.messages import N_
from models.store import cases as store_cases
from models.store import database as store
from models.store import decisions as store_decisions
from models.store import policies as store_policies
from models.store.database import DB

# ---- reading: queue, case file, replay, audit -------------------------------------------------


def _shown(value: Any, subject: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "; ".join(_shown(v, subject) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v, subject)}" for k, v in value.items())
    if isinstance(value, str) and subject is not None:
        return subject.label_of(value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


@dataclass(frozen=True)
class FactRow:
    """One of the applicant's facts as the case holds it now, for the case page."""

    name: str
    label: str  # the policy's label, or the name when the policy does not declare it
    value: str  # as the officer reads it (codes by their labels)
    source: str  # where it came from, in words ("" when nobody said)
    received_on: dt.date | None  # when this value arrived
    declared: bool


def applicant_facts(snapshots: Sequence[Snapshot], policy: Any = None) -> list[FactRow]:
    """The latest snapshot's facts, each with the date its current value arrived."""
    if not snapshots:
        return []
    wallets = [(s, wallet_from_plain(dict(s.credentials))) for s in snapshots]
    latest = wallets[-1][1]
    subjects = policy.catalogue.subjects if policy is not None else {}
    rows = []
    for name, value in sorted(latest.applicant.items()):
        since = None
        for snapshot, wallet in reversed(wallets):
            if wallet.applicant.get(name) != value:
                break
            since = snapshot.received_on
        subject = subjects.get(f"fact:{name}")
        source = latest.applicant_provenance.get(name)
        rows.append(
            FactRow(
                name,
                subject.label if subject is not None else name,
                _shown(value, subject),
                provenance_text(source) if source is not None else "",
                since,
                subject is not None,
            )
        )
    return rows


def case_queue(
    db: DB,
    user: User,
    *,
    status: str | None = None,
    purpose: str | None = None,
    overdue: bool | None = None,
    today: dt.date | None = None,
) -> list[QueueItem]:
    """Cases with their decision clock (see `Clock`): days since the file was complete.

    A case is overdue after `DECISION_MONTHS` calendar months unless it is decided or waiting for
    the applicant; an incomplete file has no deadline yet.
    """
    require(user, *ANY_ROLE)
    today = today or dt.datetime.now(dt.UTC).date()
    org = user.organisation_id
    items = []
    for case in store_cases.list_cases(db, org, status=status, purpose=purpose):
        clock = decision_clock(
            case,
            store_cases.snapshots(db, org, case.id),
            store_decisions.latest_evaluation(db, org, case.id),
            case.status,
            today,
        )
        if overdue is None or overdue == clock.overdue:
            items.append(
                QueueItem(
                    case, clock.start, clock.days, clock.due, clock.overdue, clock.waiting_for
                )
            )
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
        raise Conflict(N_("the case has no evaluation to replay yet"))

    snapshot = store_cases.get_snapshot(db, org, stored.snapshot_id)
    policy = case_policy(db, case)
    wallet = wallet_from_plain(dict(snapshot.credentials))
    result = evaluator.evaluate(policy, wallet, stored.as_of, organisation=str(org))
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


def verify_audit(db: DB, user: User) -> TrailReport:
    """Verify the user's organisation's audit chain and the rows its entries record."""
    require(user, *ANY_ROLE)
    return store.verify_audit(db, user.organisation_id)
