"""Conditions and values in words: "EQF level ≥ 6", "the awarding body", "[Python; SQL]".

What a reader sees of a policy's conditions and of a credential's values: labels from the policy's
catalogue (its declared elements included), vocabulary labels for codes, ISO dates, exact numbers
rounded only for reading. The reference semantics (`engine.semantics`) and the explanations
(`engine.explain`) both put things into words through this module.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from engine.inputs import Credits, Grade, Level
from engine.lookup import NO_ROW, Possible
from rules.catalogue import Catalogue, scales
from rules.numbers import Interval, plain, text
from rules.operators import OPERATORS
from rules.policy import Atom, Group, Ref, TableTest

DEFAULT_CATALOGUE = Catalogue(scales())


def label_of(key: str, catalogue: Catalogue | None = None) -> str:
    subject = (catalogue or DEFAULT_CATALOGUE).get(key)
    if subject is not None:
        return subject.label
    return key.split(":", 1)[-1].replace("_", " ")


def atom_text(atom: Atom, catalogue: Catalogue | None = None) -> str:
    """A condition as a reader would say it: "EQF level ≥ 6"."""
    catalogue = catalogue or DEFAULT_CATALOGUE
    if isinstance(atom.value, TableTest):
        return table_text(atom, catalogue)
    label = label_of(atom.element, catalogue)
    if atom.element.startswith(("status:", "level:")):
        what = "status" if atom.element.startswith("status:") else "recognition level"
        label = f"{what} of '{atom.element.split(':', 1)[1]}'"
    op = OPERATORS.get(atom.op)
    expected = _expected_value(atom, catalogue)
    if atom.op == "known":
        return f"{label} is known"
    if atom.op.startswith("within_"):
        unit = atom.op.removeprefix("within_")
        unit = unit[:-1] if atom.value == 1 else unit
        since = ref_text(atom.of, catalogue) if atom.of else "the application date"
        return f"{label} within {atom.value} {unit} of {since}"
    if atom.op == "covers":
        if atom.share is None or atom.share >= 1:
            return f"{label} cover all of {expected}"
        return f"{label} cover at least {float(atom.share):.0%} of {expected}"
    if atom.op in ("has_words", "lacks_words"):
        word = "mentions" if atom.op == "has_words" else "does not mention"
        return f"{label} {word} " + " or ".join(f"“{p}”" for p in atom.value)
    if atom.op in ("in", "not_in"):
        word = "is one of" if atom.op == "in" else "is none of"
        return f"{label} {word} {expected}"
    return f"{label} {op.symbol if op else atom.op} {expected}"


def ref_text(key: str, catalogue: Catalogue | None = None) -> str:
    label = label_of(key, catalogue)
    return label if label.startswith("the ") else f"the {label}"


def _expected_value(atom: Atom, catalogue: Catalogue) -> Any:
    if isinstance(atom.value, Ref):
        return ref_text(atom.value.key, catalogue)
    return show(atom.element, atom.value, catalogue)


def table_text(atom: Atom, catalogue: Catalogue) -> str:
    test = atom.value
    pairs = ", ".join(f"{c} = {label_of(k, catalogue)}" for c, k in test.match)
    where = "".join(
        f"; {a.element.split(':', 1)[1]} {OPERATORS[a.op].symbol} {show('', a.value, catalogue)}"
        if a.op != "known" else f"; {a.element.split(':', 1)[1]} known"
        for a in test.where
    )  # fmt: skip
    on = f", valid on {ref_text(test.on, catalogue)}" if test.on else ""
    verb = "matches a row of" if atom.op == "matches" else "matches no row of"
    return f"{verb} table '{test.table}' ({pairs}{where}){on}"


def group_text(group: Group, catalogue: Catalogue | None = None) -> str:
    parts = [
        atom_text(i, catalogue) if isinstance(i, Atom) else _nested_text(i, catalogue)
        for i in group.items
    ]
    joiner = " and " if group.kind == "all" else " or "
    return joiner.join(parts)


def _nested_text(group: Group, catalogue: Catalogue | None) -> str:
    if group.label:
        return group.label
    return f"({group_text(group, catalogue)})"


def show(key: str, value: Any, catalogue: Catalogue | None = None) -> Any:
    """A value as a reader sees it: vocabulary labels, ISO dates, lists joined, exact numbers
    rounded for reading."""
    if value is None:
        return None
    subject = (catalogue or DEFAULT_CATALOGUE).get(key)
    if isinstance(value, Possible):
        return " or ".join(sorted(str(show(key, v, catalogue)) for v in value.values))
    if isinstance(value, tuple):
        # Labels can contain commas ("supervised, no identity verification"): use semicolons.
        return "[" + "; ".join(str(show(key, v, catalogue)) for v in value) + "]"
    if subject is not None and subject.values and isinstance(value, str):
        return subject.label_of(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return plain(value)  # JSON numbers stay numbers: 6, 7.5 (rounded only for reading)
    if isinstance(value, Interval):
        return text(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Credits):
        return f"{text(value.value)} {value.system}"
    if isinstance(value, Level):
        return f"{value.framework} level {value.level}"
    if isinstance(value, Grade):
        top = f" of {text(value.maximum)}" if value.maximum is not None else ""
        shown = text(value.value) if isinstance(value.value, Fraction) else value.value
        return f"{shown}{top} ({value.scheme})"
    if value is NO_ROW:
        return "no matching row"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
