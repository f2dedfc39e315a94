"""The work queue: a page of cases an officer looks for (views, filters, search, sort, pages),
which officer a case is assigned to, and the names a person reads about a case (its reference,
the number of each decision and evaluation within the case).

The queue reads one row per case kept by `refresh_queue_row` (the clock's start and due date,
the credentials' titles) whenever the case, its snapshots or its evaluations change, so a page
of 10,000 cases is one query. Names of applicants stay in the learners table, where erasure
blanks them; the search reads them there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from models.desk.access import ANY_ROLE, require
from models.desk.clock import DECISION_MONTHS, add_months, decision_clock, search_text
from models.desk.queue_records import Assignment, DecisionReturn, QueuePage, QueueQuery
from models.desk.records import User
from models.errors import Conflict, InvalidInput, NotFound
from models.messages import N_
from models.store import cases as store_cases
from models.store import database as store
from models.store import decisions as store_decisions
from models.store import queue as store_queue
from models.store import users as store_users
from models.store.database import DB


def refresh_queue_row(db: DB, organisation_id: int, case_id: int) -> None:
    """Rewrite the case's queue row from its records; call inside the write that changed them."""
    case = store_cases.get_case(db, organisation_id, case_id)
    snapshots = store_cases.snapshots(db, organisation_id, case_id)
    evaluation = store_decisions.latest_evaluation(db, organisation_id, case_id)
    today = dt.datetime.now(dt.UTC).date()  # the start and due date do not depend on it
    clock = decision_clock(case, snapshots, evaluation, case.status, today)
    store_queue.put_queue_row(
        db,
        organisation_id,
        case_id,
        clock_from=clock.start,
        due_on=add_months(clock.start, DECISION_MONTHS) if clock.start else None,
        waiting_for=clock.waiting_for,
        titles=search_text(snapshots[-1].credentials) if snapshots else "",
    )


def search_queue(
    db: DB, user: User, query: QueueQuery, *, today: dt.date | None = None
) -> QueuePage:
    """One page of the user's organisation's queue as `query` asks (views as the user sees
    them: "confirm" lists decisions awaiting confirmation that someone else made)."""
    require(user, *ANY_ROLE)
    today = today or dt.datetime.now(dt.UTC).date()
    return store_queue.query_queue(db, user.organisation_id, user.id, query, today)


def queue_policies(db: DB, user: User) -> list[str]:
    require(user, *ANY_ROLE)
    return store_queue.policies_in_queue(db, user.organisation_id)


# ---- assignment -------------------------------------------------------------------------------


def officers(db: DB, user: User) -> list[User]:
    """The active officers of the user's organisation: who a case may be assigned to."""
    require(user, *ANY_ROLE)
    found = store_users.list_users(db, user.organisation_id)
    return [u for u in found if u.role == "officer" and u.active]


def assign_case(db: DB, user: User, case_id: int, officer_id: int | None) -> Assignment:
    """Assign the case to an active officer of the same organisation (the user themself to take
    it), or to nobody with None. Recorded as a new row and in the trail."""
    require(user, "officer")
    org = user.organisation_id
    with store.transaction(db):
        store_cases.get_case(db, org, case_id)
        if officer_id is not None:
            try:
                officer = store_users.get_user(db, org, officer_id)
            except NotFound:
                raise InvalidInput({"officer": N_("not an officer of this organisation")}) from None
            if officer.role != "officer" or not officer.active:
                raise InvalidInput({"officer": N_("only an active officer can be assigned a case")})
        current = store_queue.assignments(db, org, case_id)
        if (current[-1].officer_id if current else None) == officer_id:
            raise Conflict(N_("the case is assigned so already"))

        return store_queue.assign(db, user, case_id, officer_id)


def assignment_of(db: DB, user: User, case_id: int) -> Assignment | None:
    require(user, *ANY_ROLE)
    found = store_queue.assignments(db, user.organisation_id, case_id)
    return found[-1] if found and found[-1].officer_id is not None else None


def returns_of(db: DB, user: User, case_id: int) -> list[DecisionReturn]:
    require(user, *ANY_ROLE)
    return store_queue.returns(db, user.organisation_id, case_id)


def staff_names(db: DB, user: User) -> dict[int, str]:
    """{user id: display name} of the organisation's staff: the names a page shows for the
    officers who decided, confirmed, returned or were assigned."""
    require(user, *ANY_ROLE)
    return {u.id: u.display_name for u in store_users.list_users(db, user.organisation_id)}


def numbers_in_case(ids: Sequence[int]) -> dict[int, int]:
    """{global id: number within the case, from 1} for a case's decisions or evaluations
    listed in the order they were made."""
    return {row_id: n for n, row_id in enumerate(sorted(ids), start=1)}


def case_of_decision(db: DB, user: User, decision_id: int) -> int:
    """The case a decision of the user's organisation belongs to (`NotFound` otherwise)."""
    require(user, *ANY_ROLE)
    return store_decisions.get_decision(db, user.organisation_id, decision_id).case_id
