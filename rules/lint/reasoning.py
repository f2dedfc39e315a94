"""Whether conditions can ever hold together, by interval and set reasoning over the condition
tree (never by enumerating values or combinations).

Within an `all`, each subject gathers a range (from eq, gt, gte, lt, lte: numbers, dates and
ordinal ranks), a set of allowed values (eq, in), values ruled out (ne, not_in), list members
required and refused (contains, not_contains) and phrases (has_words, lacks_words). A subject whose
range is empty, or whose allowed values all fall outside its range or are ruled out, makes the
`all` contradictory. An `any` is contradictory when every one of its branches is, given what the
enclosing `all` already requires. Values taken from another subject (`{fact: ...}`), table tests
and date windows are not reasoned about: they never make a finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from rules.catalogue import Catalogue
from rules.lint.walk import label, value_text
from rules.policy import Atom, Condition, Group, Ref, TableTest

_ORDERED_OPS = ("gt", "gte", "lt", "lte")


@dataclass
class Range:
    """What one subject must be within one conjunction."""

    lo: Any = None
    lo_strict: bool = False
    hi: Any = None
    hi_strict: bool = False
    allowed: set[Any] | None = None
    ruled_out: set[Any] = field(default_factory=set)
    has: set[Any] = field(default_factory=set)
    lacks: set[Any] = field(default_factory=set)
    phrases: list[set[str]] = field(default_factory=list)
    no_phrases: set[str] = field(default_factory=set)

    def copy(self) -> Range:
        return Range(
            self.lo, self.lo_strict, self.hi, self.hi_strict,
            None if self.allowed is None else set(self.allowed), set(self.ruled_out),
            set(self.has), set(self.lacks), [set(p) for p in self.phrases], set(self.no_phrases),
        )  # fmt: skip


State = dict[str, Range]


class Reasoner:
    """Contradictions in condition groups of one policy (ordinal ranks from its catalogue)."""

    def __init__(self, catalogue: Catalogue | None):
        self.catalogue = catalogue

    # --- public ----------------------------------------------------------------------------

    def conflict(self, group: Group | None, state: State | None = None) -> str | None:
        """Why `group` can never hold (given `state`, what an enclosing `all` requires), or None."""
        if group is None:
            return None
        state = {} if state is None else {k: r.copy() for k, r in state.items()}
        if group.kind == "any":
            return self._any(group, state)
        return self._all(group.items, state)

    def together(self, *groups: Group | None) -> str | None:
        """Why the groups can never hold at once (a slot's conditions and the target's
        conditions on every credential, a tier's checks), or None."""
        present = tuple(g for g in groups if g is not None)
        return self.conflict(Group("all", present)) if present else None

    def upper_bound(self, key: str, *groups: Group | None) -> Fraction | None:
        """The largest value `key` can take where all `groups` hold (None: unbounded, unknown,
        or the groups contradict)."""
        state: State = {}
        for g in groups:
            if g is None or g.kind != "all":
                continue
            if self._all(g.items, state, nested_any=False) is not None:
                return None
        r = state.get(key)
        if r is None:
            return None
        tops = []
        if r.hi is not None and isinstance(r.hi, (int, Fraction)):
            tops.append(Fraction(r.hi))
        if r.allowed and all(isinstance(v, (int, Fraction)) for v in r.allowed):
            tops.append(Fraction(max(r.allowed)))
        return min(tops) if tops else None

    # --- groups ----------------------------------------------------------------------------

    def _all(
        self, items: tuple[Condition, ...], state: State, nested_any: bool = True
    ) -> str | None:
        anys = []
        for item in self._flat(items):
            if isinstance(item, Group):
                anys.append(item)
                continue
            why = self._add(state, item)
            if why:
                return why
        if not nested_any:
            return None
        for sub in anys:
            why = self._any(sub, state)
            if why:
                return why
        return None

    def _flat(self, items: tuple[Condition, ...]) -> list[Condition]:
        out: list[Condition] = []
        for item in items:
            if isinstance(item, Group) and item.kind == "all":
                out += self._flat(item.items)
            elif isinstance(item, Group) and len(item.items) == 1:
                out += self._flat(item.items)  # a one-branch `any` is that branch
            else:
                out.append(item)
        return out

    def _any(self, group: Group, state: State) -> str | None:
        if not group.items:
            return None  # an empty group is the parser's business, not a contradiction
        reasons = []
        for branch in group.items:
            inner = Group("all", (branch,)) if isinstance(branch, Atom) else branch
            why = self.conflict(inner, state)
            if why is None:
                return None
            reasons.append(why)
        if len(reasons) == 1:
            return reasons[0]
        return f"none of the {len(reasons)} alternatives can hold ({reasons[0]}; ...)"

    # --- atoms -----------------------------------------------------------------------------

    def _add(self, state: State, atom: Atom) -> str | None:
        if isinstance(atom.value, (Ref, TableTest)) or atom.op.startswith("within_"):
            return None
        r = state.setdefault(atom.element, Range())
        op, value = atom.op, atom.value
        if op in _ORDERED_OPS or (op == "eq" and self._rank(atom.element, value) is not None):
            point = self._rank(atom.element, value)
            if point is None:
                return None
            if op in ("gt", "gte", "eq"):
                self._raise_lo(r, point, op == "gt")
            if op in ("lt", "lte", "eq"):
                self._lower_hi(r, point, op == "lt")
        if op == "eq":
            r.allowed = {value} if r.allowed is None else r.allowed & {value}
        elif op == "in":
            r.allowed = set(value) if r.allowed is None else r.allowed & set(value)
        elif op == "ne":
            r.ruled_out.add(value)
        elif op == "not_in":
            r.ruled_out |= set(value)
        elif op == "contains":
            r.has.add(value)
        elif op == "not_contains":
            r.lacks.add(value)
        elif op == "has_words":
            r.phrases.append({str(v).casefold() for v in value})
        elif op == "lacks_words":
            r.no_phrases |= {str(v).casefold() for v in value}
        return self._check(atom.element, r)

    def _rank(self, key: str, value: Any) -> Any:
        """A comparable point for ordered subjects: numbers, dates, an ordinal code's rank."""
        subject = self.catalogue.get(key) if self.catalogue is not None else None
        if subject is not None and subject.type == "ordinal":
            return subject.rank(value) if isinstance(value, str) else None
        if isinstance(value, bool) or isinstance(value, (tuple, str)) or value is None:
            return None
        return value

    def _integral(self, key: str) -> bool:
        subject = self.catalogue.get(key) if self.catalogue is not None else None
        return subject is not None and subject.type in ("integer", "ordinal")

    def _raise_lo(self, r: Range, point: Any, strict: bool) -> None:
        if r.lo is None or point > r.lo or (point == r.lo and strict):
            r.lo, r.lo_strict = point, strict

    def _lower_hi(self, r: Range, point: Any, strict: bool) -> None:
        if r.hi is None or point < r.hi or (point == r.hi and strict):
            r.hi, r.hi_strict = point, strict

    def _check(self, key: str, r: Range) -> str | None:
        name = label(key, self.catalogue)
        lo, hi = r.lo, r.hi
        if self._integral(key):
            lo = None if lo is None else (math.floor(lo) + 1 if r.lo_strict else math.ceil(lo))
            hi = None if hi is None else (math.ceil(hi) - 1 if r.hi_strict else math.floor(hi))
            strict_lo = strict_hi = False
        else:
            strict_lo, strict_hi = r.lo_strict, r.hi_strict
        if lo is not None and hi is not None:
            empty = lo > hi or (lo == hi and (strict_lo or strict_hi))
            if empty:
                return f"{name} must be {self._bound(key, r, 'lo')} and {self._bound(key, r, 'hi')}"
        if r.allowed is not None:
            possible = {v for v in r.allowed if v not in r.ruled_out and self._inside(key, v, r)}
            if not possible:
                return self._no_value(key, name, r)
        if r.has & r.lacks:
            value = value_text(key, sorted(r.has & r.lacks, key=str)[0], self.catalogue)
            return f"{name} must both contain and not contain {value}"
        for wanted in r.phrases:
            if wanted and wanted <= r.no_phrases:
                return f"{name} must both mention and not mention {', '.join(sorted(wanted))}"
        return None

    def _inside(self, key: str, value: Any, r: Range) -> bool:
        point = self._rank(key, value)
        if point is None:
            return True
        if r.lo is not None and (point < r.lo or (point == r.lo and r.lo_strict)):
            return False
        return not (r.hi is not None and (point > r.hi or (point == r.hi and r.hi_strict)))

    def _no_value(self, key: str, name: str, r: Range) -> str:
        shown = value_text(key, tuple(sorted(r.allowed or (), key=str)), self.catalogue)
        if r.allowed and len(r.allowed) == 1:
            shown = value_text(key, next(iter(r.allowed)), self.catalogue)
        if not r.allowed:
            return f"{name} must equal two different values at once"
        if r.ruled_out & r.allowed:
            return f"{name} must be {shown} and must not be it"
        bounds = " and ".join(
            self._bound(key, r, end) for end in ("lo", "hi") if getattr(r, end) is not None
        )
        return f"{name} must be {shown} and {bounds}"

    def _bound(self, key: str, r: Range, end: str) -> str:
        subject = self.catalogue.get(key) if self.catalogue is not None else None
        point = r.lo if end == "lo" else r.hi
        strict = r.lo_strict if end == "lo" else r.hi_strict
        if subject is not None and subject.type == "ordinal" and isinstance(point, int):
            shown = value_text(key, subject.codes()[point], self.catalogue)
        else:
            shown = value_text(key, point, self.catalogue)
        symbol = (">" if strict else "≥") if end == "lo" else ("<" if strict else "≤")
        return f"{symbol} {shown}"
