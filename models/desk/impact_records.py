"""The records of impact reports and where-else answers (no personal data in either)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ImpactReport:
    """A draft compared with a published version over the organisation's stored cases, or over
    the learners of an uploaded cohort file."""

    id: int
    organisation_id: int
    created_by: int
    created_at: str
    source: str  # where the draft came from: "draft:12", "policy:ID@VERSION", "file:NAME"
    draft_policy_id: str
    draft_version: str
    draft_digest: str
    draft_document: Mapping[str, Any] = field(repr=False)
    against_policy_id: str = ""
    against_version: str = ""
    selection: str = "all"  # all, open, since:YYYY-MM-DD
    status: str = "queued"  # queued, running, done, failed
    cases: int = 0
    compared: int = 0
    changed: int = 0
    errors: int = 0
    started_at: str | None = None
    heartbeat_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None
    failure: str | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)  # {"by_kind": {kind: cases}, ...}
    cohort_name: str | None = None  # a cohort file's name as uploaded; None: the stored cases
    cohort_as_of: str | None = None  # the application date the cohort's learners are taken at

    @property
    def unchanged(self) -> int:
        return self.compared - self.changed


@dataclass(frozen=True)
class ImpactRow:
    """One case the draft changes (or that could not be compared)."""

    report_id: int
    case_id: int
    reference: str
    snapshot_id: int
    changes: tuple[Mapping[str, Any], ...]
    credits: tuple[float, float] | None
    error: str | None


@dataclass(frozen=True)
class CohortRow:
    """One learner of a cohort file whom the draft changes (or who could not be compared), by
    the learner's line in the file: a cohort's learners are not kept by name or id."""

    report_id: int
    line: int
    changes: tuple[Mapping[str, Any], ...]
    credits: tuple[float, float] | None
    error: str | None


@dataclass(frozen=True)
class CaseInput:
    """A stored case as an impact report reads it: its latest snapshot and application date."""

    case_id: int
    reference: str
    status: str
    snapshot_id: int
    application_date: str
    credentials: Mapping[str, Any] = field(repr=False)
