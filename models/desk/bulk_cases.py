"""Many applicants at once: one case per applicant from one spreadsheet (one row per credential).

The sheet is checked whole first (the CSV intake, with every refused row and its line number);
a sheet with any refused row opens no case. Then each applicant's case is opened with
`open_case`, one transaction each; should one still fail (its policy, its dates), the cases
already opened stay and the failure is reported with the applicant's reference. One audit entry
records the upload: the cases it opened and the sheet's digest, never a name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.desk.access import require
from models.desk.case_intake import open_case
from models.desk.records import Case, User
from models.errors import InvalidInput
from models.store import database as store
from models.store.database import DB


@dataclass(frozen=True)
class Applicant:
    """One applicant of the sheet: their reference (own id), name if given, the sheet lines of
    their credentials and their native wallet document."""

    reference: str
    lines: tuple[int, ...]
    wallet: Mapping[str, Any]


@dataclass
class Outcome:
    opened: list[tuple[Applicant, Case]] = field(default_factory=list)
    failed: list[tuple[Applicant, dict[str, str]]] = field(default_factory=list)


def open_cases(
    db: DB,
    user: User,
    applicants: Sequence[Applicant],
    case_fields: Mapping[str, Any],
    *,
    sheet: bytes,
    open_one: Callable[..., Case] = open_case,
    learner_key_secret: bytes,
) -> Outcome:
    """Open one case per applicant under the same purpose, dates and policy (`case_fields`)."""
    require(user, "officer")
    outcome = Outcome()
    for applicant in applicants:
        data = {**case_fields, "wallet": dict(applicant.wallet)}
        try:
            case = open_one(db, user, data, learner_key_secret=learner_key_secret)
        except InvalidInput as exc:
            outcome.failed.append((applicant, dict(exc.fields)))
            continue
        outcome.opened.append((applicant, case))
    if outcome.opened or outcome.failed:
        digest = hashlib.sha256(sheet).hexdigest()
        store.record_event(
            db,
            user,
            "cases_imported",
            f"upload:{digest[:16]}",
            {
                "cases": [case.id for _a, case in outcome.opened],
                "failed": len(outcome.failed),
                "sheet_sha256": digest,
            },
        )
    return outcome
