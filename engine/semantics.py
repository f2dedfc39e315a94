"""The one definition of what each condition means, in plain Python (the reference evaluation).

Tri-state (Kleene) logic: an absent value makes a comparison *unknown*, never false (unless the
policy declared that absence means "not met"). `all` is not_met if any item is not_met, else
unknown if any is unknown, else met; `any` is the dual. A number known only as a range (a
conversion the source defines as 25–30 hours) meets a test when the whole range does, fails it
when none of it does, and is unknown otherwise. The durable-rules compilation must agree with
this module on every credential; property tests check it. This module also produces the
per-condition trace that explains an outcome.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

from engine.lookup import NoRow, Possible, matching_rows
from engine.wording import DEFAULT_CATALOGUE, atom_text, show
from rules.catalogue import Catalogue, Subject
from rules.numbers import Interval, compare, exact
from rules.policy import Atom, Condition, Group, Ref, TableTest
from rules.values import mentions, words

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"


@dataclass(frozen=True)
class Context:
    """What a condition may depend on besides the values it reads."""

    as_of: dt.date
    policy: Any = None  # rules.policy.Policy (None: the built-in vocabulary only)
    _tables: dict = field(default_factory=dict, compare=False)
    # What explanations work out more than once in one evaluation (words for a condition,
    # a condition's status for a view), by the ids of objects that live as long as it does.
    texts: dict = field(default_factory=dict, compare=False)
    # Words for a condition depend on the policy only: kept with the compiled policy and shared
    # by its evaluations (keyed by the ids of its atoms, which live as long as it does).
    words: dict = field(default_factory=dict, compare=False)
    # A condition that reads one element has one status per value of it (on one date): kept
    # with the compiled policy too, so credentials and learners sharing a value share the work.
    by_value: dict = field(default_factory=dict, compare=False)
    # The views whose ids key `texts`, held so that no id is reused while it is (one entry per
    # view, and plain strings as values: the cyclic collector has less to walk).
    pins: dict = field(default_factory=dict, compare=False)

    def pin(self, view: Any) -> int:
        key = id(view)
        if key not in self.pins:
            self.pins[key] = view
        return key

    def status(self, atom: Atom, view: Any) -> str:
        """`evaluate_atom`, worked out once per condition and view in one evaluation."""
        key = (id(atom), self.pin(view))
        found = self.texts.get(key)
        if found is None:
            found = self.texts[key] = self._status(atom, view)
        return found

    def _status(self, atom: Atom, view: Any) -> str:
        if decided_by(atom) is None:
            return evaluate_atom(atom, view, self)  # it reads more than its own element
        value = view.get(atom.element)
        if value is None or isinstance(value, (Possible, NoRow)):
            return evaluate_atom(atom, view, self)
        # The type is part of the key: 1, 1.0 and True are equal as keys but not as values.
        key = (id(atom), self.as_of, type(value), value)
        try:
            found = self.by_value.get(key)
        except TypeError:  # an unhashable value
            return evaluate_atom(atom, view, self)
        if found is None:
            found = evaluate_atom(atom, view, self)
            if len(self.by_value) >= BY_VALUE_LIMIT:
                self.by_value.clear()  # a long batch with ever new values: start again
            self.by_value[key] = found  # atoms live as long as the compiled policy holding this
        return found

    def text_of(self, atom: Atom) -> str:
        found = self.words.get(id(atom))
        if found is None:
            found = self.words[id(atom)] = atom_text(atom, self.catalogue)
        return found

    @property
    def catalogue(self) -> Catalogue:
        return self.policy.catalogue if self.policy is not None else DEFAULT_CATALOGUE

    def subject(self, key: str) -> Subject | None:
        return self.catalogue.get(key)

    def table(self, table_id: str) -> Any:
        found = self._tables.get(table_id)
        if found is None:
            found = self._tables[table_id] = self.policy.table(table_id)
        return found


BY_VALUE_LIMIT = 200_000


def decided_by(condition: Any) -> str | None:
    """The element whose value alone decides a condition, so that its status can be kept by
    that value (None: a group, a table test, a comparison with another element, a date range
    counted from another date)."""
    if not isinstance(condition, Atom) or isinstance(condition.value, (TableTest, Ref)):
        return None
    if condition.of and condition.op.startswith("within_"):
        return None
    return condition.element


class AtomResult(NamedTuple):
    """One condition of a trace (a named tuple: traces are built for every explanation, and a
    frozen dataclass costs several times as much to make)."""

    atom: Atom
    status: str
    actual: Any  # the value as shown to a reader (None when absent)
    text: str  # "EQF level ≥ 6"


def evaluate_atom(atom: Atom, view: Any, ctx: Context) -> str:
    if isinstance(atom.value, TableTest):
        status = table_status(atom.value, view, ctx)
        return status if atom.op == "matches" else _negate(status)
    value = view.get(atom.element)
    if value is None:
        subject = ctx.subject(atom.element)
        return NOT_MET if subject is not None and subject.if_absent == "not_met" else UNKNOWN
    if isinstance(value, NoRow):
        return NOT_MET
    if isinstance(value, Possible):
        found = {_evaluate_value(atom, v, view, ctx) for v in value.values}
        return found.pop() if len(found) == 1 else UNKNOWN
    return _evaluate_value(atom, value, view, ctx)


def _evaluate_value(atom: Atom, value: Any, view: Any, ctx: Context) -> str:
    op = atom.op
    if op == "known":
        return MET
    expected = atom.value
    if isinstance(expected, Ref):
        expected = view.get(expected.key)
        if expected is None:
            return UNKNOWN
    subject = ctx.subject(atom.element)
    kind = subject.type if subject is not None else "text"
    if op.startswith("within_"):
        day = view.get(atom.of) if atom.of else ctx.as_of
        if day is None:
            return UNKNOWN
        return _verdict(earliest(op, day, expected) <= value <= day)
    if op == "starts_with":
        if value.startswith(expected):
            return MET
        # A code coarser than the prefix ("06" against "061") might still fall under it.
        return UNKNOWN if expected.startswith(value) else NOT_MET
    if op in ("has_words", "lacks_words"):
        texts = value if isinstance(value, tuple) else (value,)
        tokens = [words(t) for t in texts]
        found = any(mentions(t, words(p)) for p in expected for t in tokens)
        return _verdict(found if op == "has_words" else not found)
    if kind.endswith("_list"):
        return _list_verdict(atom, value, expected, kind)
    if kind == "ordinal":
        rank = subject.rank
        value, expected = (
            rank(value),
            (tuple(rank(v) for v in expected) if isinstance(expected, tuple) else rank(expected)),
        )
    if isinstance(value, (Fraction, Interval, float)) or kind == "decimal":
        return _number_verdict(op, _number(value), expected)
    if op == "in":
        return _verdict(value in expected)
    if op == "not_in":
        return _verdict(value not in expected)
    return _verdict(_compare(op, value, expected))


def _number(value: Any) -> Fraction | Interval:
    return value if isinstance(value, (Fraction, Interval)) else exact(value)


def _number_verdict(op: str, value: Fraction | Interval, expected: Any) -> str:
    if op in ("in", "not_in"):
        found = [compare("eq", value, exact(v)) for v in expected]
        inside = True if True in found else (None if None in found else False)
        if op == "not_in":
            inside = None if inside is None else not inside
        return _tri(inside)
    return _tri(compare(op, value, exact(expected)))


def _list_verdict(atom: Atom, value: tuple, expected: Any, kind: str) -> str:
    fold = kind == "text_list"
    items = {_fold(v, fold) for v in value}
    if atom.op == "contains":
        return _verdict(_fold(expected, fold) in items)
    if atom.op == "not_contains":
        return _verdict(_fold(expected, fold) not in items)
    wanted = {_fold(v, fold) for v in expected}
    return _verdict(len(wanted & items) >= covers_threshold(len(wanted), atom.share))


def table_status(test: TableTest, view: Any, ctx: Context) -> str:
    return matching_rows(test, ctx.table(test.table), view.get, ctx.as_of, column_status)[0]


def column_status(atom: Atom, cell: Any) -> str:
    """A `where` test on one cell of a table row (rows are data: an empty cell is unknown)."""
    if atom.op == "known":
        return _verdict(cell is not None)
    if cell is None:
        return UNKNOWN
    if isinstance(cell, Fraction) or isinstance(atom.value, Fraction):
        return _number_verdict(atom.op, exact(cell), atom.value)
    if atom.op in ("in", "not_in"):
        return _verdict((cell in atom.value) == (atom.op == "in"))
    return _verdict(_compare(atom.op, cell, atom.value))


def evaluate(condition: Condition, view: Any, ctx: Context) -> str:
    if isinstance(condition, Atom):
        return evaluate_atom(condition, view, ctx)
    statuses = [evaluate(item, view, ctx) for item in condition.items]
    return combine(condition.kind, statuses)


def combine(kind: str, statuses: list[str]) -> str:
    decisive, other = (NOT_MET, MET) if kind == "all" else (MET, NOT_MET)
    if decisive in statuses:
        return decisive
    if UNKNOWN in statuses:
        return UNKNOWN
    return other


def trace(group: Group, view: Any, ctx: Context) -> list[AtomResult]:
    """Every atom of a group with its status, in the order written."""
    out: list[AtomResult] = []
    for item in group.items:
        if isinstance(item, Atom):
            out.append(
                AtomResult(
                    item, ctx.status(item, view), actual_of(item, view, ctx), ctx.text_of(item)
                )
            )
        else:
            out.extend(trace(item, view, ctx))
    return out


def actual_of(atom: Atom, view: Any, ctx: Context) -> Any:
    if isinstance(atom.value, TableTest):
        shown = [show(k, view.get(k), ctx.catalogue) for _, k in atom.value.match]
        return ", ".join(str(s) for s in shown if s is not None) or None
    # Many conditions read one element: it is put into words once per view.
    key = ("shown", atom.element, ctx.pin(view))
    found = ctx.texts.get(key, _UNSEEN)
    if found is _UNSEEN:
        found = ctx.texts[key] = show(atom.element, view.get(atom.element), ctx.catalogue)
    return found


_UNSEEN = object()


def covers_threshold(size: int, share: Any) -> int:
    """How many of `size` listed items `covers` needs: the least k with k/size ≥ share."""
    return max(1, math.ceil(size * (share if share is not None else 1)))


def earliest(op: str, day: dt.date, count: int) -> dt.date:
    """The first day still "within" `count` years, months or days before `day`."""
    if op == "within_days":
        return day - dt.timedelta(days=count)
    if op == "within_months":
        index = day.year * 12 + day.month - 1 - count
        year, month = divmod(index, 12)
        last = calendar.monthrange(year, month + 1)[1]
        return dt.date(year, month + 1, min(day.day, last))
    return shift_years(day, -count)


def shift_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (earlier if negative); 29 February falls to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _compare(op: str, value: Any, expected: Any) -> bool:
    if op == "eq":
        return value == expected
    if op == "ne":
        return value != expected
    if op == "gt":
        return value > expected
    if op == "gte":
        return value >= expected
    if op == "lt":
        return value < expected
    return value <= expected


def _verdict(flag: bool) -> str:
    return MET if flag else NOT_MET


def _tri(flag: bool | None) -> str:
    return UNKNOWN if flag is None else MET if flag else NOT_MET


def _negate(status: str) -> str:
    return {MET: NOT_MET, NOT_MET: MET}.get(status, status)


def _fold(value: str, fold: bool) -> str:
    # Learning outcomes are prose: compare them without case or surrounding space. URIs are exact.
    return value.strip().casefold() if fold else value
