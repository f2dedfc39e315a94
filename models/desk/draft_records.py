"""The record of a policy draft: a policy being written on the desk before it is published."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PolicyDraft:
    id: int
    organisation_id: int
    text: str = field(repr=False)  # exactly as written, comments included
    policy_id: str | None  # what the text declares, when it can be read
    version: str | None
    based_on: int | None  # the published version (policies row) it was started from
    supersedes_version: str | None
    supersedes_from: dt.date | None
    created_by: int
    created_at: str
    updated_by: int
    updated_at: str
    published_policy: int | None  # the version it became; a published draft is closed
    deleted_at: str | None

    @property
    def open(self) -> bool:
        return self.published_policy is None and self.deleted_at is None
