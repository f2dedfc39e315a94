"""The durable-rules tests for one atom: does it hold (s), may it hold (o), does it certainly
fail (r); and the form each value takes in a fact.

A decimal subject that can be a range has two fact fields, its low end (`eN`) and its high end
(`eNh`); a test holds when the whole range passes it and may hold when part of it does. On exact
numbers the two ends are equal and the tests reduce to plain comparisons. Absence is unknown,
unless the policy declared that absence of the subject means "not met".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from engine.shapes import FALSE, TRUE
from rules.numbers import Interval, bounds, encode, exact
from rules.policy import Atom, Policy


def fact_value(subject: Any, value: Any) -> Any:
    """A value as durable-rules compares it: exact numbers as scaled integers (a number's low
    end; `high_value` gives its high end), dates as day numbers, ordered codes as ranks."""
    kind = subject.type if subject is not None else "text"
    if kind == "decimal":
        return encode(_ends(value)[0])
    if kind == "ordinal":
        return subject.rank(value)
    if kind == "boolean":
        return int(value)
    if isinstance(value, dt.date):
        return value.toordinal()
    if kind.endswith("_list") or kind in ("credits", "level", "grade"):
        return 1  # only `known` is matched by the engine: the field is present
    return value


def high_value(value: Any) -> int:
    return encode(_ends(value)[1])


def _ends(value: Any) -> tuple:
    return bounds(value if isinstance(value, Interval) else exact(value))


def _or(*tests: Any) -> Any:
    return _joined("$or", tests)


def _and(*tests: Any) -> Any:
    return _joined("$and", tests)


def _joined(key: str, tests: tuple) -> Any:
    # Nested alternatives are flattened: durable-rules keeps every `$or` of a rule in one
    # expression sequence of 32 entries, and refuses more (error 113).
    flat = [t for x in tests for t in (x[key] if isinstance(x, dict) and list(x) == [key] else [x])]
    return flat[0] if len(flat) == 1 else {key: flat}


class Emit:
    """The three questions for one atom: holds (s), may hold (o), certainly fails (r)."""

    def __init__(self, policy: Policy, short: dict, derived_of: dict, ranged: frozenset):
        self.catalogue = policy.catalogue
        self.short, self.derived_of, self.ranged = short, derived_of, ranged

    def atom(self, atom: Atom, mode: str) -> Any:
        subject = self.catalogue.get(atom.element)
        strict_absence = subject is not None and subject.if_absent == "not_met"
        if atom in self.derived_of:
            field = self.derived_of[atom]
            # The verdict is computed with the semantics (absence included): 1, 0, or no field.
            return {field: 1} if mode == "s" else {field: 0} if mode == "r" else (
                {"$or": [{field: 1}, {"$nex": {field: 1}}]}
            )  # fmt: skip
        key = self.short[atom.element]
        present = {"$ex": {key: 1}}
        absent = {"$nex": {key: 1}}
        if atom.op == "known":
            if mode == "s":
                return present
            if mode == "r":
                return absent if strict_absence else FALSE
            return present if strict_absence else TRUE
        if mode == "s":
            return self._holds(atom, subject, key)
        if mode == "r":
            fails = self._fails(atom, subject, key)
            return _or(fails, absent) if strict_absence else fails
        may = self._may(atom, subject, key)
        return may if strict_absence else _or(may, absent)

    def _holds(self, atom: Atom, subject: Any, key: str) -> Any:
        if atom.element not in self.ranged:
            return _comparison(key, atom.op, [fact_value(subject, v) for v in _listed(atom)])
        lo, hi = key, key + "h"
        cs = [fact_value(subject, v) for v in _listed(atom)]
        c = cs[0]
        return {
            "eq": lambda: _and({lo: c}, {hi: c}),
            "ne": lambda: _or({"$gt": {lo: c}}, {"$lt": {hi: c}}),
            "gt": lambda: {"$gt": {lo: c}},
            "gte": lambda: {"$gte": {lo: c}},
            "lt": lambda: {"$lt": {hi: c}},
            "lte": lambda: {"$lte": {hi: c}},
            "in": lambda: _or(*[_and({lo: x}, {hi: x}) for x in cs]),
            "not_in": lambda: _and(*[_or({"$gt": {lo: x}}, {"$lt": {hi: x}}) for x in cs]),
        }[atom.op]()

    def _fails(self, atom: Atom, subject: Any, key: str) -> Any:
        # On exact values and on ranges alike, certainly failing a test is certainly passing
        # its negation: "≥ 5" fails exactly when all of the range is "< 5".
        return self._holds(replace(atom, op=_NEGATION[atom.op]), subject, key)

    def _may(self, atom: Atom, subject: Any, key: str) -> Any:
        if atom.element not in self.ranged:
            return self._holds(atom, subject, key)
        lo, hi = key, key + "h"
        cs = [fact_value(subject, v) for v in _listed(atom)]
        c = cs[0]
        return {
            "eq": lambda: _and({"$lte": {lo: c}}, {"$gte": {hi: c}}),
            "ne": lambda: _or({"$neq": {lo: c}}, {"$neq": {hi: c}}),
            "gt": lambda: {"$gt": {hi: c}},
            "gte": lambda: {"$gte": {hi: c}},
            "lt": lambda: {"$lt": {lo: c}},
            "lte": lambda: {"$lte": {lo: c}},
            "in": lambda: _or(*[_and({"$lte": {lo: x}}, {"$gte": {hi: x}}) for x in cs]),
            "not_in": lambda: _and(*[_or({"$neq": {lo: x}}, {"$neq": {hi: x}}) for x in cs]),
        }[atom.op]()


def _listed(atom: Atom) -> list[Any]:
    return list(atom.value) if atom.op in ("in", "not_in") else [atom.value]


# Each comparison and its certain failure (the field present, the test false).
_NEGATION = {
    "eq": "ne",
    "ne": "eq",
    "gt": "lte",
    "gte": "lt",
    "lt": "gte",
    "lte": "gt",
    "in": "not_in",
    "not_in": "in",
}
_ENGINE_OP = {"ne": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


def _comparison(name: str, op: str, values: list[Any]) -> Any:
    if op in ("in", "not_in"):
        tests = [{name: v} if op == "in" else {"$neq": {name: v}} for v in values]
        if len(tests) == 1:
            return tests[0]
        return {"$or" if op == "in" else "$and": tests}
    if op == "eq":
        return {name: values[0]}
    return {_ENGINE_OP[op]: {name: values[0]}}
