"""Records of the work queue: what a queue search asks, what it finds, who a case is assigned
to, and a decision returned to its author (four eyes). Frozen, like the desk's other records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The queue's views: each a question an officer asks of the queue.
VIEWS = ("open", "confirm", "mine", "overdue", "waiting", "closed", "all")
# The columns the queue sorts by.
SORTS = ("applicant", "reference", "purpose", "policy", "status", "received", "due", "assigned")
PER_PAGE = 25


@dataclass(frozen=True)
class Assignment:
    """The officer a case is assigned to from `at` on (None: nobody), and who assigned it."""

    id: int
    case_id: int
    officer_id: int | None
    assigned_by: int
    at: str


@dataclass(frozen=True)
class DecisionReturn:
    """A decision awaiting confirmation, returned to its author with the reason (four eyes)."""

    id: int
    decision_id: int
    case_id: int
    reason: str
    returned_by: int
    at: str


@dataclass(frozen=True)
class QueueQuery:
    """One page of the queue: a view, filters, a search, a sort order."""

    view: str = "open"
    status: str | None = None
    purpose: str | None = None
    policy: str | None = None
    overdue: bool | None = None
    search: str = ""
    sort: str = "due"
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class QueueRow:
    """A case as the queue lists it; `applicant` is None once the learner's identity is erased."""

    case_id: int
    reference: str
    applicant: str | None
    purpose: str
    policy_id: str
    policy_version: str
    status: str
    received_on: dt.date
    clock_from: dt.date | None
    due_on: dt.date | None
    days_elapsed: int | None
    overdue: bool
    waiting_for: tuple[str, ...]
    assigned_to: int | None
    assigned_name: str | None
    awaiting_author: int | None  # the author of the decision awaiting confirmation
    returned: bool  # the latest decision was returned to its author


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    total: int
    query: QueueQuery

    @property
    def first(self) -> int:
        return (self.query.page - 1) * self.query.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))
