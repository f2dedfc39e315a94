"""What an impact report compares and what it finds: the plan (a draft, the published version
it is compared with, the cases), the outcome (counts by kind, the changed rows), and the checks
of what an admin asks for (which cases, which version, a valid draft). Shared by reports over
stored cases (`models.desk.impact`) and over a cohort file (`models.desk.impact_cohorts`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from models.desk.impact_records import CaseInput
from models.desk.records import PolicyVersion, User
from models.errors import InvalidInput, NotFound
from models.messages import N_
from models.store import database as store
from models.store import policies as store_policies
from rules.errors import PolicyError
from rules.loader import load_policy
from rules.policy import Policy


@dataclass(frozen=True)
class Plan:
    """What a report compares: the draft, the published version, and the cases."""

    draft: Policy
    against: PolicyVersion
    current: Policy
    selection: str
    cases: tuple[CaseInput, ...]


@dataclass(frozen=True)
class Outcome:
    """A finished comparison: counts by kind (cases with at least one change of the kind) and
    the changed cases with their changes; unchanged cases are only counted."""

    compared: int
    unchanged: int
    by_kind: dict[str, int]
    rows: tuple[dict[str, Any], ...]  # case_id, reference, snapshot_id, changes, credits | error
    errors: int
    seconds: float

    @property
    def changed(self) -> int:
        return self.compared - self.unchanged

    @property
    def per_second(self) -> float:
        total = self.compared + self.errors
        return total / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        """The counts without a case in them: for the report's row and the publish entry."""
        return {
            "compared": self.compared, "changed": self.changed, "unchanged": self.unchanged,
            "errors": self.errors, "by_kind": dict(self.by_kind),
            "seconds": round(self.seconds, 3),
        }  # fmt: skip


def parse_selection(text: str | None) -> tuple[str, dt.date | None]:
    """all | open | since:YYYY-MM-DD (also "since DATE") → (canonical text, date)."""
    value = (text or "all").strip()
    if value in ("all", "open"):
        return value, None
    for prefix in ("since:", "since "):
        if value.startswith(prefix):
            try:
                day = dt.date.fromisoformat(value[len(prefix) :].strip())
            except ValueError:
                break
            return f"since:{day.isoformat()}", day
    raise InvalidInput(
        {"cases": N_("expected all, open or since:YYYY-MM-DD (an ISO date); got %(got)s",
                     got=repr(value))}
    )  # fmt: skip


def load_draft(document: Any, source: str = "draft") -> Policy:
    """The validated draft; its problems as one `InvalidInput` on `draft`."""
    try:
        return load_policy(document, source=source)
    except PolicyError as exc:
        raise InvalidInput({"draft": str(exc)}) from None


def against_version(db: store.DB, user: User, policy_id: str, against: str | None) -> PolicyVersion:
    """The published version to compare with: `against` ("VERSION" of `policy_id`, or
    "POLICY@VERSION"), else the newest version of `policy_id` in force today."""
    org = user.organisation_id
    if against:
        pid, _, version = against.rpartition("@")
        pid = pid or policy_id
        try:
            return store_policies.get_policy(db, org, pid, version)
        except NotFound:
            raise InvalidInput(
                {"against": N_("no published version %(version)s of policy %(policy)s",
                               version=repr(version), policy=repr(pid))}
            ) from None  # fmt: skip
    today = dt.datetime.now(dt.UTC).date()
    found = [
        v for v in store_policies.list_policies(db, org)
        if v.policy_id == policy_id and v.effective_from <= today
        and (v.effective_to is None or v.effective_to >= today)
    ]  # fmt: skip
    if not found:
        raise InvalidInput(
            {"against": N_("no version of policy %(policy)s is in force today; name one "
                           "(VERSION or POLICY@VERSION)", policy=repr(policy_id))}
        )  # fmt: skip
    return max(found, key=lambda v: (v.published_at, v.id))


def iso_date(value: Any) -> Any:
    if isinstance(value, dt.date):  # YAML dates: kept as the ISO text a JSON policy uses
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")
