"""Where a policy's condition lists are, with the paths `policy check` uses, and conditions in
plain words for findings and changes (the engine words results; `rules` cannot import it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rules.catalogue import Catalogue
from rules.operators import OPERATORS
from rules.policy import Atom, Condition, Expr, Group, Policy, Ref, TableTest, Target


@dataclass(frozen=True)
class Finding:
    """One thing a static check found: how serious, where (a path into the policy document, as
    in `policy check` problems), what it says (one line an officer understands), which check."""

    severity: str  # "error" (cannot be met / never fires), "warning" (suspicious), "info"
    path: str
    message: str
    check: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.path or '<document>'}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
            "check": self.check,
        }


SEVERITIES = ("error", "warning", "info")


def slot_paths(policy: Policy, document: Mapping[str, Any] | None) -> dict[tuple[int, str], str]:
    """(target index, slot id) → path. The validated target keeps its slots in id order; the
    document, when given, says where each was written."""
    out: dict[tuple[int, str], str] = {}
    raw_targets = (document or {}).get("targets")
    for i, target in enumerate(policy.targets):
        written: list[Any] = []
        if isinstance(raw_targets, list) and i < len(raw_targets):
            written = raw_targets[i].get("slots") or [] if isinstance(raw_targets[i], dict) else []
        where = {s.get("id"): j for j, s in enumerate(written) if isinstance(s, dict)}
        for slot in target.slots:
            j = where.get(slot.id)
            out[(i, slot.id)] = (
                f"targets[{i}].slots[{j}]" if j is not None else f"targets[{i}].slots.{slot.id}"
            )
    return out


def condition_lists(
    policy: Policy, document: Mapping[str, Any] | None = None
) -> Iterator[tuple[str, Group]]:
    """Every condition list of the policy, with its path."""
    for i, x in enumerate(policy.equivalences):
        yield f"equivalences[{i}].when", x.when
    for i, x in enumerate(policy.exclusions):
        yield f"exclusions[{i}].when", x.when
    for i, r in enumerate(policy.recognition):
        if r.applies_to is not None:
            yield f"recognition[{i}].applies_to", r.applies_to
        for aspect, group in r.checks:
            yield f"recognition[{i}].checks.{aspect}", group
    slots = slot_paths(policy, document)
    for i, t in enumerate(policy.targets):
        yield from target_lists(t, i, slots)
    for i, c in enumerate(policy.criteria):
        yield f"criteria[{i}].when", c.when
        if c.applies_to is not None:
            yield f"criteria[{i}].applies_to", c.applies_to
    for c in policy.classifications:
        for j, row in enumerate(c.rows):
            yield f"classifications.{c.name}.rows[{j}].when", row.when
    for r in policy.requests:
        for j, row in enumerate(r.rows):
            yield f"requests.{r.id}.decision.rows[{j}].when", row.when


def target_lists(t: Target, i: int, slots: dict) -> Iterator[tuple[str, Group]]:
    if t.all_credentials is not None:
        yield f"targets[{i}].all_credentials", t.all_credentials
    for slot in t.slots:
        yield f"{slots[(i, slot.id)]}.when", slot.when
    for j, share in enumerate(t.shares):
        yield f"targets[{i}].shares[{j}].when", share.when
    for j, total in enumerate(t.totals):
        if total.where is not None:
            yield f"targets[{i}].totals[{j}].where", total.where


def atoms_of(condition: Condition) -> Iterator[Atom]:
    if isinstance(condition, Atom):
        yield condition
        return
    for item in condition.items:
        yield from atoms_of(item)


def expr_refs(expr: Any) -> Iterator[str]:
    if isinstance(expr, Expr):
        if expr.op == "ref":
            yield str(expr.args[0])
            return
        for arg in expr.args:
            yield from expr_refs(arg)


# --- conditions in words ----------------------------------------------------------------------


def label(key: str, catalogue: Catalogue | None) -> str:
    subject = catalogue.get(key) if catalogue is not None else None
    if subject is not None:
        return subject.label
    return key.split(":", 1)[-1].replace("_", " ")


def value_text(key: str, value: Any, catalogue: Catalogue | None = None) -> str:
    if isinstance(value, Ref):
        return f"the {label(value.key, catalogue)}"
    if isinstance(value, tuple):
        return "[" + "; ".join(value_text(key, v, catalogue) for v in value) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Fraction):
        return number_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    subject = catalogue.get(key) if catalogue is not None else None
    if subject is not None and subject.values and isinstance(value, str):
        return subject.label_of(value)
    return str(value)


def number_text(value: Fraction | int | float) -> str:
    number = Fraction(value)
    if number.denominator == 1:
        return str(number.numerator)
    return f"{float(number):.4f}".rstrip("0").rstrip(".")


def atom_words(atom: Atom, catalogue: Catalogue | None = None) -> str:
    """ "EQF level ≥ 6", "status of 'cert' = met", "matches a row of table 'register'"."""
    if isinstance(atom.value, TableTest):
        verb = "matches a row of" if atom.op == "matches" else "matches no row of"
        return f"{verb} table '{atom.value.table}'"
    name = label(atom.element, catalogue)
    if atom.element.startswith(("status:", "level:")):
        what = "status" if atom.element.startswith("status:") else "recognition level"
        name = f"{what} of '{atom.element.split(':', 1)[1]}'"
    if atom.op == "known":
        return f"{name} is known"
    if atom.op.startswith("within_"):
        since = f"the {label(atom.of, catalogue)}" if atom.of else "the application date"
        return f"{name} within {atom.value} {atom.op.removeprefix('within_')} of {since}"
    shown = value_text(atom.element, atom.value, catalogue)
    if atom.op == "covers":
        share = atom.share if atom.share is not None else 1
        return f"{name} cover {float(share):.0%} of {shown}"
    op = OPERATORS.get(atom.op)
    return f"{name} {op.symbol if op else atom.op} {shown}"


def group_words(group: Group | None, catalogue: Catalogue | None = None) -> str:
    if group is None:
        return "(none)"
    parts = []
    for item in group.items:
        if isinstance(item, Atom):
            parts.append(atom_words(item, catalogue))
        elif item.label:
            parts.append(item.label)
        else:
            parts.append(f"({group_words(item, catalogue)})")
    return (" and " if group.kind == "all" else " or ").join(parts) or "(nothing)"
