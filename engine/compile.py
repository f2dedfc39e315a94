"""Compile a validated policy into blocks, derived fact fields and a durable-rules ruleset.

A *block* is one condition group whose status the evaluation needs per credential (a recognition
check, a slot, an exclusion, ...). Identical groups share one block. Each block becomes two
durable-rules rules over one credential fact: *strict* ("s": the group holds) and *refuted* ("r":
the group certainly fails, with every field it tests present). Strict → met; refuted → not met;
neither → unknown. That is Kleene logic, since an absent field never satisfies a test.

Only shapes that were tested against durable-rules are emitted: single-fact rules, equality, order
and existence tests, `$and`/`$or`; never a join, never a regex, never a test on `sid` or `id`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from engine.errors import EngineCompileError
from engine.semantics import covers_threshold
from engine.shapes import (
    FALSE,
    MAX_PATHS,
    TRUE,
    chunks,
    expression_key,
    normal_form,
    paths,
)
from rules.policy import Atom, Condition, Group, Policy

# Measured limits of durable-rules 2.0.28 (see ARCHITECTURE.md); we stay well inside them.
MAX_RULES_PER_GROUP = 62  # a fact may match at most 64 rules; +1 sentinel, +1 spare
MAX_RULES = 4000
MAX_OR_BRANCHES = 100
MAX_FACT_FIELDS = 200
MAX_GROUPS = 400  # children of the root `g` test (512 hangs create_ruleset)

DERIVED_OPS = ("within_years", "starts_with", "contains", "not_contains", "covers")


@dataclass(frozen=True)
class Derived:
    """A fact field computed in Python before asserting, for tests durable-rules cannot make."""

    field: str
    atom: Atom


@dataclass(frozen=True)
class Block:
    id: str
    group: Group
    index: int  # position in the sorted block list


@dataclass(frozen=True)
class CompiledPolicy:
    policy: Policy
    blocks: tuple[Block, ...]
    block_of: dict[str, str]  # canonical key of a group → block id
    group_block: dict[int, str]  # id() of each group object of `policy` → block id
    derived: tuple[Derived, ...]
    derived_of: dict[Atom, str]
    fields: tuple[str, ...]  # plain element fields the facts need
    groups: int  # number of fact copies per credential
    group_fields: tuple[tuple[str, ...], ...]  # the fact fields each rule group tests
    short: dict[str, str]  # element name → the key it has in a fact
    modes: dict[str, str]  # block id → "o" (may-hold rule) or "r" (certainly-fails rule)
    ruleset: dict[str, Any]  # durable-rules definition
    name: str  # ruleset name: derived from the policy digest


def policy_groups(policy: Policy) -> list[Group]:
    """Every condition group the evaluation needs a per-credential status for."""
    groups: list[Group] = [x.when for x in policy.exclusions]
    for rule in policy.recognition:
        if rule.applies_to is not None:
            groups.append(rule.applies_to)
        groups.extend(g for _, g in rule.checks)
    for target in policy.targets:
        groups.extend(s.when for s in target.slots)
        groups.extend(s.when for s in target.shares)
        if target.all_credentials is not None:
            groups.append(target.all_credentials)
    return groups


def compile_policy(policy: Policy) -> CompiledPolicy:
    every = [(canonical(g), g) for g in policy_groups(policy)]
    unique = dict(every)
    keys = sorted(unique)
    blocks = tuple(Block(f"b{i}", unique[k], i) for i, k in enumerate(keys))
    block_of = {k: f"b{i}" for i, k in enumerate(keys)}
    # Looking a group up by identity, not by re-serialising it, is what makes evaluation cheap.
    group_block = {id(g): block_of[k] for k, g in every}

    atoms = sorted({a for b in blocks for a in _atoms(b.group)}, key=_atom_key)
    derived = tuple(
        Derived(f"_d{i}", a) for i, a in enumerate(x for x in atoms if x.op in DERIVED_OPS)
    )
    derived_of = {d.atom: d.field for d in derived}
    # Element names become short keys: every match comes back as JSON with its whole fact.
    short = {name: f"e{i}" for i, name in enumerate(sorted({a.element for a in atoms}))}
    key_of = {a: derived_of.get(a) or short[a.element] for a in atoms}
    fields = tuple(sorted({a.element for a in atoms if a.op not in DERIVED_OPS}))
    if len(fields) + len(derived) + 3 > MAX_FACT_FIELDS:
        raise EngineCompileError(
            f"policy needs {len(fields) + len(derived)} fact fields; at most "
            f"{MAX_FACT_FIELDS - 3} fit in one fact. Split the policy."
        )
    modes: dict[str, str] = {}
    wanted: list[list[tuple[str, Any]]] = []  # per block: (rule name, expression)
    for block in blocks:
        rules: list[tuple[str, Any]] = []
        for mode, expr in _expressions(block.group, key_of):
            modes[block.id] = mode  # the second question asked: "o" or "r"
            if expr == FALSE:
                continue  # e.g. only `known` tests: the block can be unknown but never fail
            if paths(expr) > MAX_PATHS:
                raise EngineCompileError(
                    f"a condition group expands to {paths(expr)} alternatives in the engine; at "
                    f"most {MAX_PATHS}. Simplify its any/all nesting."
                )
            for j, chunk in enumerate(chunks(expr)):
                rules.append((f"{block.id}:{mode}" + (f":{j}" if j else ""), chunk))
        wanted.append(rules)
    total = sum(len(r) for r in wanted)
    if total > MAX_RULES:
        raise EngineCompileError(
            f"policy compiles to {total} rules; at most {MAX_RULES}. Split the policy."
        )

    # Pack blocks into rule groups: a fact copy carries one group number, so it can match at
    # most that group's rules, which stay under the engine's 64 matches per fact.
    ruleset: dict[str, Any] = {}
    used: list[set[str]] = [set()]
    count = 0
    for block, rules in zip(blocks, wanted, strict=True):
        if count + len(rules) > MAX_RULES_PER_GROUP:
            used.append(set())
            count = 0
        g = len(used) - 1
        count += len(rules)
        used[g] |= {key_of[a] for a in _atoms(block.group)}
        for rule_name, expr in rules:
            tests = (
                [{"g": g}]
                if expr == TRUE
                else [{"g": g}] + (expr["$and"] if list(expr) == ["$and"] else [expr])
            )
            ruleset[rule_name] = {"all": [{"m": {"$and": tests}}], "cap": 100000}
    n_groups = len(used)
    if n_groups > MAX_GROUPS:
        raise EngineCompileError(f"policy needs {n_groups} rule groups; at most {MAX_GROUPS}")
    # Always fires (on the gate fact, asserted last): deleting a session whose facts fired no
    # rule crashes the process. Facts that match nothing are normal: the C engine reports
    # "not handled" for the batch but still runs every rule that did match.
    ruleset["sentinel"] = {"all": [{"m": {"gate": 1}}]}
    name = f"p{policy.digest[:32]}"
    return CompiledPolicy(
        policy,
        blocks,
        block_of,
        group_block,
        derived,
        derived_of,
        fields,
        n_groups,
        tuple(tuple(sorted(u)) for u in used),
        short,
        modes,
        ruleset,
        name,
    )


def canonical(group: Group) -> str:
    return json.dumps(_canon(group), sort_keys=True, default=_json_value)


def _canon(c: Condition) -> Any:
    if isinstance(c, Atom):
        return ["atom", c.element, c.op, c.value, c.share]
    items = sorted((_canon(i) for i in c.items), key=lambda x: json.dumps(x, default=_json_value))
    return [c.kind, items]


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _atom_key(atom: Atom) -> str:
    return json.dumps(_canon(atom), default=_json_value)


def _atoms(c: Condition) -> list[Atom]:
    if isinstance(c, Atom):
        return [c]
    return [a for i in c.items for a in _atoms(i)]


def fact_value(element: str, value: Any) -> Any:
    """An element's value as durable-rules compares it: dates as day numbers."""
    if isinstance(value, dt.date):
        return value.toordinal()
    return value


OPTIMISTIC_PATHS = 64


def _expressions(group: Group, key_of: dict[Atom, str]) -> list[tuple[str, Any]]:
    """ "s" (holds), then "o" (may hold) where it stays small, else "r" (certainly fails).

    Either second question, with "s", tells met / unknown / not met apart. Most credentials fail
    most groups, and every match returns its whole fact as JSON, so the rarer "may hold" is the
    cheaper question; but it doubles the alternatives per condition, so large groups ask "r".
    """
    optimistic = _expr(group, "o", key_of)
    second = (
        ("o", optimistic)
        if paths(optimistic) <= OPTIMISTIC_PATHS
        else ("r", _expr(group, "r", key_of))
    )
    return [(mode, normal_form(expr)) for mode, expr in [("s", _expr(group, "s", key_of)), second]]


def _expr(c: Condition, mode: str, key_of: dict[Atom, str]) -> Any:
    """durable-rules expression: "s" the group holds; "o" it may hold (holds, or fields it needs
    are absent); "r" it certainly fails (every field it tests present).

    Returns TRUE or FALSE when the answer does not depend on the fact.
    """
    if isinstance(c, Atom):
        if mode == "s":
            return _atom_expr(c, key_of)
        if mode == "r":
            return _refute_atom(c, key_of)
        if c.op == "known":
            return TRUE
        return {"$or": [_atom_expr(c, key_of), {"$nex": {key_of[c]: 1}}]}
    kind = c.kind if mode != "r" else ("any" if c.kind == "all" else "all")
    key = "$and" if kind == "all" else "$or"
    unit, zero = (TRUE, FALSE) if kind == "all" else (FALSE, TRUE)
    parts: dict[str, Any] = {}
    for item in c.items:
        part = _expr(item, mode, key_of)
        if part == zero:
            return zero
        if part == unit:
            continue
        # Merge nested groups of the same kind and drop repeats; sorted, so that "a and b" and
        # "b and a" are one path (durable-rules refuses some rulesets with repeated paths).
        for x in part[key] if isinstance(part, dict) and list(part) == [key] else [part]:
            parts.setdefault(expression_key(x), x)
    if not parts:
        return unit
    if len(parts) > MAX_OR_BRANCHES:
        raise EngineCompileError(f"a condition group has {len(parts)} items; at most 100")
    ordered = [parts[k] for k in sorted(parts)]
    return ordered[0] if len(ordered) == 1 else {key: ordered}


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


def _refute_atom(atom: Atom, key_of: dict[Atom, str]) -> Any:
    if atom.op == "known":
        return FALSE  # a known value never fails; only its absence matters
    if atom.op in DERIVED_OPS:
        field = key_of[atom]
        if atom.op == "covers":
            return {"$lt": {field: covers_threshold(len(atom.value), atom.share)}}
        return {field: 0}
    return _comparison(key_of[atom], atom.element, _NEGATION[atom.op], atom.value)


def _atom_expr(atom: Atom, key_of: dict[Atom, str]) -> Any:
    if atom.op in DERIVED_OPS:
        field = key_of[atom]
        if atom.op == "covers":
            return {"$gte": {field: covers_threshold(len(atom.value), atom.share)}}
        return {field: 1}
    if atom.op == "known":
        return {"$ex": {key_of[atom]: 1}}
    return _comparison(key_of[atom], atom.element, atom.op, atom.value)


def _comparison(name: str, element: str, op: str, value: Any) -> Any:
    if op in ("in", "not_in"):
        values = [fact_value(element, v) for v in value]
        tests = [{name: v} if op == "in" else {"$neq": {name: v}} for v in values]
        if len(tests) == 1:
            return tests[0]
        return {"$or" if op == "in" else "$and": tests}
    if op == "eq":
        return {name: fact_value(element, value)}
    return {_ENGINE_OP[op]: {name: fact_value(element, value)}}
