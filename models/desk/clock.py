"""The decision clock: when a case's file became complete, and when its decision is due.

Pure functions of the case's dates, its snapshots and its latest evaluation, so the case page,
the queue (which keeps each case's start and due date in a row of its own) and the migration
that filled those rows all count the same way.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from models.desk.records import Case, Evaluation, Snapshot

DECISION_MONTHS = 4  # the Lisbon Recognition Convention's reasonable time: months, not days


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months; the 31st falls back to the month's last day (31 Oct + 4 → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Clock:
    """The decision clock of one case. It starts when the file is complete: on the date set by
    an officer, or else on the date the items arrived that left the latest evaluation asking for
    nothing more. While the evaluation still asks for evidence, there is no deadline and
    `waiting_for` says what the file needs."""

    start: dt.date | None
    due: dt.date | None
    days: int | None
    overdue: bool
    complete: bool
    waiting_for: tuple[str, ...] = ()


def waiting_for(result: Mapping[str, Any]) -> tuple[str, ...]:
    """What an evaluation still asks for: the answers' evidence requests, else the outcomes'."""
    asked = [r for d in result.get("dispositions", []) for r in d.get("evidence_requests", [])]
    if not result.get("dispositions"):
        asked = [r for o in result["outcomes"] for r in o.get("evidence_requests", [])]
    return tuple(dict.fromkeys(r["request"] for r in asked))


@dataclass(frozen=True)
class Arrival:
    """What the clock needs of a snapshot: its id and the day its items arrived."""

    id: int
    received_on: dt.date | None
    added_at: str


def clock_start(
    complete_on: dt.date | None,
    received_on: dt.date,
    arrivals: Sequence[Arrival],
    evaluated: tuple[int, Mapping[str, Any]] | None,
) -> tuple[dt.date | None, tuple[str, ...]]:
    """(the day the clock starts or None, what the file still waits for); `evaluated` is the
    latest evaluation's (snapshot id, result)."""
    if complete_on is not None:
        return complete_on, ()
    if evaluated is None:
        return received_on, ()  # not evaluated yet: counted from receipt, as the law reads
    snapshot_id, result = evaluated
    missing = waiting_for(result)
    snapshot = next((s for s in arrivals if s.id == snapshot_id), None)
    if missing or snapshot is None:
        return None, missing
    first = snapshot.id == arrivals[0].id
    day = dt.date.fromisoformat(snapshot.added_at[:10])
    return snapshot.received_on or (received_on if first else day), ()


def decision_clock(
    case: Case,
    snapshots: Sequence[Snapshot],
    evaluation: Evaluation | None,
    status: str,
    today: dt.date,
) -> Clock:
    arrivals = [Arrival(s.id, s.received_on, s.added_at) for s in snapshots]
    evaluated = (evaluation.snapshot_id, evaluation.result) if evaluation is not None else None
    start, missing = clock_start(case.complete_on, case.received_on, arrivals, evaluated)
    if start is None:
        return Clock(None, None, None, False, False, missing)
    due = add_months(start, DECISION_MONTHS)
    late = status not in ("decided", "waiting_for_applicant") and today > due
    complete = case.complete_on is not None or (evaluation is not None and not missing)
    return Clock(start, due, (today - start).days, late, complete, missing)


def search_text(credentials: Mapping[str, Any]) -> str:
    """The words of a snapshot the queue's search finds a case by: its credentials' titles
    (lower case, one a line). No personal data: names stay in the learners table."""
    titles = []
    for credential in credentials.get("credentials", []):
        title = (credential.get("values") or {}).get("title")
        if isinstance(title, str) and title.strip():
            titles.append(title.strip().lower())
    return "\n".join(dict.fromkeys(titles))
