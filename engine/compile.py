"""Compile a validated policy into blocks, derived fact fields and a durable-rules ruleset.

A *block* is one condition group whose status the evaluation needs per credential (a recognition
check, a slot, an exclusion, ...). Identical groups share one block. Each block becomes two
durable-rules rules over one credential fact: *strict* (every atom true; absent fields fail) and
*optimistic* (every atom true or its field absent). Strict → met; optimistic only → unknown;
neither → not met. That is exactly Kleene logic for conditions without negation, which the
policy language guarantees (negative operators are atoms of their own).

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
from rules.policy import Atom, Condition, Group, Policy
from rules.vocabulary import ELEMENTS

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
    derived: tuple[Derived, ...]
    derived_of: dict[Atom, str]
    fields: tuple[str, ...]  # plain element fields the facts need
    groups: int  # number of fact copies per credential
    ruleset: dict[str, Any]  # durable-rules definition
    name: str  # ruleset name: derived from the policy digest

    def block_for(self, group: Group) -> Block:
        return self.blocks_by_id[self.block_of[canonical(group)]]

    @property
    def blocks_by_id(self) -> dict[str, Block]:
        return {b.id: b for b in self.blocks}


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
    unique = {canonical(g): g for g in policy_groups(policy)}
    keys = sorted(unique)
    blocks = tuple(Block(f"b{i}", unique[k], i) for i, k in enumerate(keys))
    block_of = {k: f"b{i}" for i, k in enumerate(keys)}

    atoms = sorted({a for b in blocks for a in _atoms(b.group)}, key=_atom_key)
    derived = tuple(
        Derived(f"_d{i}", a) for i, a in enumerate(x for x in atoms if x.op in DERIVED_OPS)
    )
    derived_of = {d.atom: d.field for d in derived}
    fields = tuple(sorted({a.element for a in atoms if a.op not in DERIVED_OPS}))
    if len(fields) + len(derived) + 3 > MAX_FACT_FIELDS:
        raise EngineCompileError(
            f"policy needs {len(fields) + len(derived)} fact fields; at most "
            f"{MAX_FACT_FIELDS - 3} fit in one fact. Split the policy."
        )
    if 2 * len(blocks) > MAX_RULES:
        raise EngineCompileError(
            f"policy compiles to {2 * len(blocks)} rules; at most {MAX_RULES}. Split the policy."
        )
    per_group = MAX_RULES_PER_GROUP // 2
    n_groups = max(1, -(-len(blocks) // per_group))
    if n_groups > MAX_GROUPS:
        raise EngineCompileError(f"policy needs {n_groups} rule groups; at most {MAX_GROUPS}")

    ruleset: dict[str, Any] = {}
    for block in blocks:
        g = block.index // per_group
        for mode in ("s", "o"):
            expr = _expr(block.group, mode, derived_of)
            tests: list[Any] = [{"g": g}]
            if expr is not None:
                tests.append(expr)
            ruleset[f"{block.id}:{mode}"] = {"all": [{"m": {"$and": tests}}], "cap": 100000}
    # Matches every fact: no fact is ever "not handled" (which would skip the other rules), and
    # the session always fired a rule (deleting one that fired none crashes the process).
    ruleset["sentinel"] = {
        "all": [{"m": {"$or": [{"gate": 1}, {"$ex": {"c": 1}}]}}],
        "cap": 100000,
    }
    name = f"p{policy.digest[:32]}"
    return CompiledPolicy(
        policy, blocks, block_of, derived, derived_of, fields, n_groups, ruleset, name
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


def _expr(c: Condition, mode: str, derived_of: dict[Atom, str]) -> Any:
    """durable-rules expression; None means "always true" (optimistic `known`)."""
    if isinstance(c, Group):
        parts = [_expr(i, mode, derived_of) for i in c.items]
        if c.kind == "any" and any(p is None for p in parts):
            return None
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        if len(parts) > MAX_OR_BRANCHES:
            raise EngineCompileError(f"a condition group has {len(parts)} items; at most 100")
        if len(parts) == 1:
            return parts[0]
        return {"$and" if c.kind == "all" else "$or": parts}
    strict = _atom_expr(c, derived_of)
    if mode == "s":
        return strict
    if c.op == "known":
        return None
    field = derived_of.get(c, c.element)
    return {"$or": [strict, {"$nex": {field: 1}}]}


def _atom_expr(atom: Atom, derived_of: dict[Atom, str]) -> Any:
    if atom.op in DERIVED_OPS:
        field = derived_of[atom]
        if atom.op == "covers":
            need = covers_threshold(len(atom.value), atom.share)
            return {"$gte": {field: need}}
        return {field: 1}
    name = atom.element
    if atom.op == "known":
        return {"$ex": {name: 1}}
    if atom.op in ("in", "not_in"):
        values = [fact_value(name, v) for v in atom.value]
        if atom.op == "in":
            return {"$or": [{name: v} for v in values]} if len(values) > 1 else {name: values[0]}
        return (
            {"$and": [{"$neq": {name: v}} for v in values]}
            if len(values) > 1
            else {"$neq": {name: values[0]}}
        )
    value = fact_value(name, atom.value)
    if atom.op == "eq":
        return {name: value}
    op = {"ne": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}[atom.op]
    return {op: {name: value}}


def element_type(name: str) -> str:
    return ELEMENTS[name].type
