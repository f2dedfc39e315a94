"""The validated policy: frozen, hashable data built once by the loader and read by the engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Union

Value = str | int | float | dt.date | tuple[Any, ...] | None


@dataclass(frozen=True)
class Ref:
    """A value taken from another subject (an applicant fact, a choice) instead of a constant."""

    key: str


@dataclass(frozen=True)
class TableTest:
    """`matches` / `no_match`: the subject's values find a row of a reference table, valid on a
    date, whose other columns pass `where`."""

    table: str
    match: tuple[tuple[str, str], ...]  # (column, subject key) pairs, sorted
    where: tuple[Atom, ...] = ()  # column tests; their `element` is "column:NAME"
    on: str | None = None  # subject key of the date the row must be valid on; None: as-of


@dataclass(frozen=True)
class Atom:
    """One comparison of one subject: `ects gte 5`, `credits@nz_credit gte 15`, `fact:ielts ...`.

    `element` is a subject key of the policy's catalogue (`rules.catalogue`); `value` is a typed
    constant, a `Ref` to another subject, or a `TableTest`.
    """

    element: str
    op: str
    value: Value | Ref | TableTest = None
    share: Fraction | None = None
    of: str | None = None  # within_years: the date subject counted from (None: the as-of date)
    warning: str | None = None  # shown when the condition holds; never changes a status


@dataclass(frozen=True)
class Group:
    """All (or any) of its items; `label` names a group expanded from an equivalence table."""

    kind: str  # "all" | "any"
    items: tuple[Condition, ...]
    label: str | None = None
    warning: str | None = None


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
    min_share: Fraction
    of: str  # "ects" | "count"


@dataclass(frozen=True)
class Total:
    """A sum over a target's credentials: of a numeric subject (credit in a system), optionally
    only over those meeting `where`, with a minimum and/or a maximum."""

    title: str
    of: str  # numeric subject key, e.g. "credits@uk_cats" or "ects"
    minimum: Fraction | None = None
    maximum: Fraction | None = None
    where: Group | None = None


@dataclass(frozen=True)
class Target:
    id: str
    title: str
    slots: tuple[Slot, ...]
    builds_on: tuple[str, ...] = ()
    all_credentials: Group | None = None
    min_total_ects: Fraction | None = None
    min_count: int | None = None
    max_per_provider: int | None = None
    shares: tuple[Share, ...] = ()
    awards: str | None = None
    credits: Fraction | None = None
    totals: tuple[Total, ...] = ()


@dataclass(frozen=True)
class Settings:
    hours_per_ects: Any = Fraction(30)  # a Fraction, or a rules.numbers.Interval
    double_counting: str = "forbidden"  # or "allowed"
    overlap_element: str | None = None  # credentials overlapping on this list element count once
    overlap_min_share: Fraction = Fraction(1, 2)


# --- language 2: declarations, tables, computed values ------------------------------------------


@dataclass(frozen=True)
class Declared:
    """An element, applicant fact or request choice the policy declares (typed, labelled)."""

    name: str
    type: str  # a rules.vocabulary VALUE_TYPES name
    label: str
    help: str = ""
    values: tuple[tuple[str, str], ...] = ()  # (code, label); ordinal: worst first
    unit: str | None = None  # a number's unit; a grade's scheme (`scheme:` in the policy)
    if_absent: str = "unknown"  # "unknown" (evidence request) or "not_met"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """A reference table: typed columns, a key, optional validity columns, rows in key order."""

    id: str
    title: str
    version: str
    source: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    valid_from: str | None
    valid_to: str | None
    rows: tuple[tuple[Any, ...], ...]  # typed, in column order, sorted by key and validity
    digest: str  # sha256 of the canonical rows: the explanation names it with the version

    def column(self, name: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.name == name)


@dataclass(frozen=True)
class Expr:
    """A computed number: `const` (a Number), `ref` (a subject key) or an operation on args."""

    op: str  # const | ref | sum | difference | product | quotient | min | max | round_down
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Computed:
    name: str
    label: str
    expr: Expr
    unit: str | None = None


@dataclass(frozen=True)
class ClassRow:
    id: str
    when: Group
    cls: str


@dataclass(frozen=True)
class Classification:
    """A per-credential decision table: rows of conditions → a class, first match or priority."""

    name: str
    label: str
    hit: str  # "first" | "priority"
    classes: tuple[tuple[str, str], ...]  # (code, label); for "priority" best first
    rows: tuple[ClassRow, ...]
    default: str | None


@dataclass(frozen=True)
class Lookup:
    """A column of the row a credential (or the application) matches in a table."""

    name: str
    label: str
    test: TableTest
    column: str


# --- language 2: criteria, requests, dispositions ----------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """A plain met / not met check, of the application or of credentials (not Lisbon words)."""

    id: str
    title: str
    about: str  # "application" | "each_credential" | "any_credential"
    when: Group
    applies_to: Group | None = None
    met: str | None = None  # plain words for the letter
    not_met: str | None = None


@dataclass(frozen=True)
class Disposition:
    code: str
    label: str
    favourable: bool
    options: tuple[str, ...] = ()  # offered to the applicant whenever this is the answer


@dataclass(frozen=True)
class DecisionRow:
    id: str
    when: Group
    disposition: str
    reasons: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestKind:
    """What an applicant can ask for, and the decision table that answers it."""

    id: str
    title: str
    considers: tuple[str, ...]  # rule / target / criterion ids the answer uses
    rows: tuple[DecisionRow, ...]
    otherwise: str
    hit: str = "first"  # "first" | "priority" (by the order of `dispositions`)
    choices: tuple[Declared, ...] = ()
    names: tuple[str, ...] = ()  # ids an item may name with `for` (its answer then uses it)
    per_credential: bool = False  # an item names the credential it is about
    options: tuple[str, ...] = ()
    next_best: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExampleExpectations:
    outcomes: tuple[tuple[str, str, str | None], ...]  # (rule or target id, status, level)
    dispositions: tuple[tuple[str, str], ...] = ()  # (request item id, disposition)
    credentials: tuple[tuple[str, str, str], ...] = ()  # (credential id, rule id, status)
    set_aside: tuple[str, ...] = ()


@dataclass(frozen=True)
class Example:
    name: str
    as_of: dt.date
    wallet: Any  # the wallet document, as written; models/ turns it into credentials
    expect: tuple[tuple[str, str, str | None], ...]  # (rule or target id, status, level)
    expectations: ExampleExpectations | None = None
    applicant: Any = None  # applicant facts as written
    request: Any = None  # the request as written


@dataclass(frozen=True)
class Source:
    url: str
    retrieved: dt.date | None = None
    note: str | None = None


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
    catalogue: Any = None  # rules.catalogue.Catalogue: every subject a condition can name
    criteria: tuple[Criterion, ...] = ()
    tables: tuple[Table, ...] = ()
    computed: tuple[Computed, ...] = ()
    classifications: tuple[Classification, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    dispositions: tuple[Disposition, ...] = ()
    requests: tuple[RequestKind, ...] = ()
    mappings: tuple[tuple[str, str], ...] = ()  # (source term, declared element)
    sources: tuple[Source, ...] = ()
    imports: tuple[tuple[str, str, str], ...] = ()  # (id, version, digest) of vocabulary files

    def rule_ids(self) -> tuple[str, ...]:
        return (
            tuple(r.id for r in self.recognition)
            + tuple(t.id for t in self.targets)
            + tuple(c.id for c in self.criteria)
        )

    def table(self, table_id: str) -> Table:
        return next(t for t in self.tables if t.id == table_id)
