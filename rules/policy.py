"""The validated policy: frozen, hashable data built once by the loader and read by the engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Union

Value = str | int | float | dt.date | tuple[Any, ...] | None


@dataclass(frozen=True)
class Atom:
    """One comparison of one credential element: `ects gte 5`."""

    element: str
    op: str
    value: Value = None
    share: float | None = None


@dataclass(frozen=True)
class Group:
    """All (or any) of its items; `label` names a group expanded from an equivalence table."""

    kind: str  # "all" | "any"
    items: tuple[Condition, ...]
    label: str | None = None


Condition = Union[Atom, Group]  # noqa: UP007 - a forward reference needs Union


@dataclass(frozen=True)
class Equivalence:
    module: str
    title: str
    credits: float | None
    when: Group


@dataclass(frozen=True)
class Exclusion:
    id: str
    reason: str
    when: Group


@dataclass(frozen=True)
class Tier:
    """One Lisbon outcome a recognition rule can reach, best first."""

    level: str
    requires: tuple[str, ...]
    recognised_as: str | None = None
    credits: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class RecognitionRule:
    id: str
    title: str
    applies_to: Group | None
    checks: tuple[tuple[str, Group], ...]  # (aspect, conditions), in aspect order
    tiers: tuple[Tier, ...]
    otherwise: str = "refused"


@dataclass(frozen=True)
class Slot:
    id: str
    title: str
    min: int
    max: int | None  # None: no upper bound
    when: Group


@dataclass(frozen=True)
class Share:
    title: str
    when: Group
    min_share: float
    of: str  # "ects" | "count"


@dataclass(frozen=True)
class Target:
    id: str
    title: str
    slots: tuple[Slot, ...]
    builds_on: tuple[str, ...] = ()
    all_credentials: Group | None = None
    min_total_ects: float | None = None
    min_count: int | None = None
    max_per_provider: int | None = None
    shares: tuple[Share, ...] = ()
    awards: str | None = None
    credits: float | None = None


@dataclass(frozen=True)
class Settings:
    hours_per_ects: float = 30.0
    double_counting: str = "forbidden"  # or "allowed"
    overlap_element: str | None = None  # credentials overlapping on this list element count once
    overlap_min_share: float = 0.5


@dataclass(frozen=True)
class Example:
    name: str
    as_of: dt.date
    wallet: Any  # the wallet document, as written; models/ turns it into credentials
    expect: tuple[tuple[str, str, str | None], ...]  # (rule or target id, status, level)


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    organisation: str
    purpose: str
    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    settings: Settings
    recognition: tuple[RecognitionRule, ...]
    targets: tuple[Target, ...]
    equivalences: tuple[Equivalence, ...]
    exclusions: tuple[Exclusion, ...]
    examples: tuple[Example, ...]
    digest: str  # sha256 of the canonical JSON of the validated document (examples excluded)

    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.recognition) + tuple(t.id for t in self.targets)
