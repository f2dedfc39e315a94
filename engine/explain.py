"""Shared pieces of an explanation: condition traces, evidence requests, missing-item phrases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.inputs import Credential
from engine.semantics import MET, NOT_MET, UNKNOWN, Context, atom_text, group_text, show, trace
from rules.policy import Group
from rules.vocabulary import ELEMENTS, OPERATORS

RANK = {MET: 2, UNKNOWN: 1, NOT_MET: 0}


@dataclass(frozen=True)
class Excluded:
    """Exclusions that hold (hard) or may hold (soft, with what would settle them)."""

    hard: tuple[str, ...] = ()
    soft: tuple[str, ...] = ()
    requests: tuple[dict[str, Any], ...] = ()


NOT_EXCLUDED = Excluded()


@dataclass
class EvalContext:
    """Everything the outcome builders share for one evaluation."""

    ctx: Context
    credentials: list[Credential]
    statuses: dict[str, tuple[str, ...]]  # block id → status per credential index
    block_of: Any  # callable: Group → block id

    def status(self, group: Group, index: int) -> str:
        return self.statuses[self.block_of(group)][index]

    def vector(self, group: Group) -> tuple[str, ...]:
        """The group's status for every credential, in credential order."""
        return self.statuses[self.block_of(group)]


def condition_rows(
    group: Group,
    credential: Credential,
    ctx: Context,
    aspect: str | None = None,
    only: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """Trace rows for one credential; `only` keeps rows of those statuses."""
    rows = []
    for r in trace(group, credential, ctx):
        if only and r.status not in only:
            continue
        row = {
            "text": r.text,
            "status": r.status,
            "credential": credential.id,
            "element": r.atom.element,
            "actual": r.actual,
            "expected": expected_text(r.atom),
        }
        prov = credential.provenance.get(r.atom.element)
        if prov is not None and r.actual is not None and prov.kind != "native":
            row["provenance"] = prov.note or prov.kind
        if aspect:
            row["aspect"] = aspect
        rows.append(row)
    return rows


def expected_text(atom: Any) -> str:
    if atom.op == "known":
        return "a known value"
    if atom.op == "within_years":
        return f"within {atom.value} years"
    if atom.op == "covers":
        share = atom.share if atom.share is not None else 1.0
        return f"at least {share:.0%} of {show(atom.element, atom.value)}"
    if atom.op in ("in", "not_in"):
        word = "one of" if atom.op == "in" else "none of"
        return f"{word} {show(atom.element, atom.value)}"
    return f"{OPERATORS[atom.op].symbol} {show(atom.element, atom.value)}"


def evidence_requests(
    group: Group, credential: Credential, ctx: Context, why: str
) -> list[dict[str, Any]]:
    """One request per element a group needs and the credential lacks."""
    seen: dict[str, dict[str, Any]] = {}
    for r in trace(group, credential, ctx):
        if r.status != UNKNOWN or r.atom.element in seen:
            continue
        label = ELEMENTS[r.atom.element].label
        what = "the" if credential.get(r.atom.element) is None else "a more precise"
        seen[r.atom.element] = {
            "credential": credential.id,
            "element": r.atom.element,
            "request": f"Credential '{credential.id}': provide {what} {label} "
            f"(needed for {why}: {atom_text(r.atom)}).",
        }
    return list(seen.values())


def merge_requests(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One request per credential and element, keeping the first wording."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in requests:
        out.setdefault((r["credential"], r["element"]), r)
    return list(out.values())


def failing_phrases(group: Group, credential: Credential, ctx: Context) -> list[str]:
    """ "EQF level is 5; needs ≥ 6" for each atom that is not met."""
    out = []
    for r in trace(group, credential, ctx):
        if r.status == NOT_MET:
            label = ELEMENTS[r.atom.element].label
            out.append(f"{label} is {r.actual}; needs {expected_text(r.atom)}")
    return out


def describe_group(group: Group) -> str:
    return group_text(group)


def dedupe(items: list[Any]) -> list[Any]:
    """Keep the first of equal items, in order (dicts compared by value)."""
    seen, out = set(), []
    for item in items:
        key = repr(sorted(item.items())) if isinstance(item, dict) else repr(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
