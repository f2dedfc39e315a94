"""The one definition of what each condition means, in plain Python (the reference evaluation).

Tri-state (Kleene) logic: an absent element makes a comparison *unknown*, never false. `all` is
not_met if any item is not_met, else unknown if any is unknown, else met; `any` is the dual. The
durable-rules compilation must agree with this module on every credential; property tests check it.
This module also produces the per-condition trace that explains an outcome.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from engine.inputs import Credential
from rules.policy import Atom, Condition, Group
from rules.vocabulary import ELEMENTS, OPERATORS, VOCABULARIES

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"


@dataclass(frozen=True)
class Context:
    """What a condition may depend on besides the credential."""

    as_of: dt.date


@dataclass(frozen=True)
class AtomResult:
    atom: Atom
    status: str
    actual: Any  # the credential's value as shown to a reader (None when absent)
    text: str  # "EQF level ≥ 6"


def evaluate_atom(atom: Atom, credential: Credential, ctx: Context) -> str:
    value = credential.get(atom.element)
    if value is None:
        return UNKNOWN
    op = atom.op
    if op == "known":
        return MET
    if op in ("eq", "ne", "gt", "gte", "lt", "lte"):
        return _verdict(_compare(op, value, atom.value))
    if op == "in":
        return _verdict(value in atom.value)
    if op == "not_in":
        return _verdict(value not in atom.value)
    if op == "within_years":
        return _verdict(shift_years(ctx.as_of, -atom.value) <= value <= ctx.as_of)
    if op == "starts_with":
        if value.startswith(atom.value):
            return MET
        # A code coarser than the prefix ("06" against "061") might still fall under it.
        return UNKNOWN if atom.value.startswith(value) else NOT_MET
    items = {_fold(atom.element, v) for v in value}
    if op == "contains":
        return _verdict(_fold(atom.element, atom.value) in items)
    if op == "not_contains":
        return _verdict(_fold(atom.element, atom.value) not in items)
    if op == "covers":
        wanted = {_fold(atom.element, v) for v in atom.value}
        return _verdict(len(wanted & items) >= covers_threshold(len(wanted), atom.share))
    raise ValueError(f"operator {op!r} has no reference semantics")


def evaluate(condition: Condition, credential: Credential, ctx: Context) -> str:
    if isinstance(condition, Atom):
        return evaluate_atom(condition, credential, ctx)
    statuses = [evaluate(item, credential, ctx) for item in condition.items]
    return combine(condition.kind, statuses)


def combine(kind: str, statuses: list[str]) -> str:
    decisive, other = (NOT_MET, MET) if kind == "all" else (MET, NOT_MET)
    if decisive in statuses:
        return decisive
    if UNKNOWN in statuses:
        return UNKNOWN
    return other


def trace(group: Group, credential: Credential, ctx: Context) -> list[AtomResult]:
    """Every atom of a group with its status, in the order written."""
    out: list[AtomResult] = []
    for item in group.items:
        if isinstance(item, Atom):
            out.append(
                AtomResult(
                    item,
                    evaluate_atom(item, credential, ctx),
                    show(item.element, credential.get(item.element)),
                    atom_text(item),
                )
            )
        else:
            out.extend(trace(item, credential, ctx))
    return out


def covers_threshold(size: int, share: float | None) -> int:
    """How many of `size` listed items `covers` needs: the least k with k/size ≥ share."""
    return max(1, math.ceil(size * (share if share is not None else 1.0) - 1e-9))


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


def _fold(element: str, value: str) -> str:
    # Learning outcomes are prose: compare them without case or surrounding space. URIs are exact.
    return value.strip().casefold() if ELEMENTS[element].type == "text_list" else value


def atom_text(atom: Atom) -> str:
    """A condition as a reader would say it: "EQF level ≥ 6"."""
    label = ELEMENTS[atom.element].label
    op = OPERATORS[atom.op]
    if atom.op == "known":
        return f"{label} is known"
    if atom.op == "within_years":
        unit = "year" if atom.value == 1 else "years"
        return f"{label} within {atom.value} {unit} of the application date"
    if atom.op == "covers":
        shown = show(atom.element, atom.value)
        if atom.share is None or atom.share >= 1:
            return f"{label} cover all of {shown}"
        return f"{label} cover at least {atom.share:.0%} of {shown}"
    if atom.op in ("in", "not_in"):
        word = "is one of" if atom.op == "in" else "is none of"
        return f"{label} {word} {show(atom.element, atom.value)}"
    return f"{label} {op.symbol} {show(atom.element, atom.value)}"


def group_text(group: Group) -> str:
    parts = [atom_text(i) if isinstance(i, Atom) else _nested_text(i) for i in group.items]
    joiner = " and " if group.kind == "all" else " or "
    return joiner.join(parts)


def _nested_text(group: Group) -> str:
    if group.label:
        return group.label
    return f"({group_text(group)})"


def show(element: str, value: Any) -> Any:
    """A value as a reader sees it: vocabulary labels, ISO dates, lists joined."""
    if value is None:
        return None
    meta = ELEMENTS[element]
    if isinstance(value, tuple):
        # Labels can contain commas ("supervised, no identity verification"): use semicolons.
        return "[" + "; ".join(str(show(element, v)) for v in value) + "]"
    if meta.vocabulary:
        return VOCABULARIES[meta.vocabulary].label_of(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
