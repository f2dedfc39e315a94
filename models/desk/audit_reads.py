"""Reading the audit trail for people: entries filtered (action kind, person, date range, case) and
paged, each with the name of the member of staff who acted and its details as ordered pairs.

The trail itself (`models.desk.audit`) holds ids and no personal data; names of staff are looked
up here at reading time, so the chain never holds them. The store filters and pages in SQL
(`models.store.audit_reads`); `TrailFilter.keeps` says the same of one entry, for whoever holds
entries already.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from models.desk.access import ANY_ROLE, require
from models.desk.records import AuditEntry, User
from models.store import audit_reads as store_audit
from models.store import users as store_users
from models.store.database import DB

PER_PAGE = 50


@dataclass(frozen=True)
class TrailFilter:
    """What to show; None means any."""

    event: str | None = None
    actor_id: int | None = None
    since: dt.date | None = None  # from this day (UTC), inclusive
    until: dt.date | None = None  # up to this day (UTC), inclusive
    case_id: int | None = None

    def keeps(self, entry: AuditEntry) -> bool:
        day = entry.at[:10]
        return (
            (self.event is None or entry.event == self.event)
            and (self.actor_id is None or entry.actor_id == self.actor_id)
            and (self.since is None or day >= self.since.isoformat())
            and (self.until is None or day <= self.until.isoformat())
            and (self.case_id is None or entry.subject == f"case:{self.case_id}")
        )


@dataclass(frozen=True)
class TrailPage:
    entries: tuple[AuditEntry, ...]
    total: int  # entries matching the filter
    page: int
    pages: int
    people: Mapping[int, str] = field(default_factory=dict)  # staff id → display name
    events: tuple[str, ...] = ()  # every action kind of the organisation's trail


def trail_page(
    db: DB, user: User, wanted: TrailFilter, page: int = 1, per_page: int = PER_PAGE
) -> TrailPage:
    """One page of the user's organisation's trail, newest first."""
    require(user, *ANY_ROLE)
    page = max(page, 1)
    org = user.organisation_id
    subject = None if wanted.case_id is None else f"case:{wanted.case_id}"
    kept, total = store_audit.audit_slice(
        db, org, event=wanted.event, actor_id=wanted.actor_id, since=wanted.since,
        until=wanted.until, subject=subject, offset=(page - 1) * per_page, limit=per_page,
    )  # fmt: skip
    people = {u.id: u.display_name for u in store_users.list_users(db, org)}
    pages = max(1, -(-total // per_page))
    events = tuple(store_audit.audit_event_kinds(db, org))
    return TrailPage(tuple(kept), total, page, pages, people, events)


def detail_pairs(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An entry's details as (key, text) pairs in key order: lists joined, mappings as
    "key: value" items, None as a dash; never a Python repr."""
    return [(key, _text(value)) for key, value in sorted(details.items())]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_text(v)}" for k, v in sorted(value.items())) or "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value) or "—"
    return str(value)
