"""Compile a validated policy into blocks, derived fact fields and a durable-rules ruleset.

A *block* is one condition group whose status the evaluation needs per credential (a recognition
check, a slot, an exclusion, ...). Identical groups share one block. Each block becomes two
durable-rules rules over one credential fact: *strict* ("s": the group holds) and *refuted* ("r":
the group certainly fails, with every field it tests present). Strict → met; refuted → not met;
neither → unknown. That is Kleene logic, since an absent field never satisfies a test.

Blocks have a scope: credential blocks are matched against every credential's view, application
blocks against the application's (facts and choices), outcome blocks (decision-table rows)
against one view per request item, after the rules have been decided.

Values reach the engine in forms it compares safely: decimals as scaled integers (`rules.numbers.
encode`; a number known as a range as two fields, its low and high end), dates as day numbers,
ordered codes as ranks, booleans as 0/1. Tests durable-rules cannot make (text words, list
membership, reference tables, values compared with other values, classifications) are computed
by the reference semantics into a 0/1 field before matching, and the engine tests that field.

Only shapes that were tested against durable-rules are emitted: single-fact rules, equality, order
and existence tests, `$and`/`$or`; never a join, never a regex, never a test on `sid` or `id`.
Rules are split and packed into groups so that the network durable-rules builds from each group
fits its fixed-size matching stack and tables (`engine.network`); a condition group too large for
its expressions is decided by the reference semantics into a 0/1 field, like a derived test.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from engine.emit import Emit
from engine.errors import EngineCompileError
from engine.network import Network, fitting
from engine.shapes import (
    FALSE,
    MAX_PATHS,
    TRUE,
    chunks,
    expression_key,
    normal_form,
    paths,
)
from rules.catalogue import APPLICATION, CREDENTIAL, OUTCOME
from rules.policy import Atom, Condition, Group, Policy, Ref, TableTest

# Measured limits of durable-rules 2.0.28 (see ARCHITECTURE.md); we stay well inside them.
MAX_RULES_PER_GROUP = 62  # besides engine.network's bound on what one fact walks
MAX_RULES = 4000
MAX_OR_BRANCHES = 100
MAX_FACT_FIELDS = 200
MAX_GROUPS = 400  # children of the root `g` test (512 hangs create_ruleset)

DERIVED_OPS = (
    "within_years",
    "within_months",
    "within_days",
    "starts_with",
    "contains",
    "not_contains",
    "covers",
    "has_words",
    "lacks_words",
    "matches",
    "no_match",
)
DERIVED_SOURCES = ("classification", "lookup")
SCOPES = (CREDENTIAL, APPLICATION, OUTCOME)


@dataclass(frozen=True)
class Derived:
    """A fact field computed in Python before asserting, for tests durable-rules cannot make
    (and condition groups too large for its expressions): the reference semantics' verdict,
    1 (met), 0 (not met) or absent (unknown)."""

    field: str
    atom: Atom | Group


@dataclass(frozen=True)
class Block:
    id: str
    group: Group
    index: int  # position in the sorted block list
    scope: str = CREDENTIAL


@dataclass(frozen=True)
class CompiledPolicy:
    policy: Policy
    blocks: tuple[Block, ...]
    block_of: dict[str, str]  # canonical key of a group → block id
    group_block: dict[int, str]  # id() of each group object of `policy` → block id
    derived: tuple[Derived, ...]
    derived_of: dict[Atom, str]
    fields: tuple[str, ...]  # plain subject fields the facts need
    groups: int  # number of rule groups (a view gets one fact copy per group of its scope)
    group_fields: tuple[tuple[str, ...], ...]  # the fact fields each rule group tests
    short: dict[str, str]  # subject key → the key it has in a fact (its high end: key + "h")
    modes: dict[str, str]  # block id → "o" (may-hold rule) or "r" (certainly-fails rule)
    ruleset: dict[str, Any]  # durable-rules definition
    name: str  # ruleset name: derived from the policy digest
    group_scope: tuple[str, ...] = ()  # scope of each rule group
    ranged: frozenset[str] = frozenset()  # decimal subjects: facts carry a low and a high end
    words: dict = field(default_factory=dict)  # explanations' words, shared by evaluations
    by_value: dict = field(default_factory=dict)  # conditions' statuses by the value they read


def policy_groups(policy: Policy) -> list[tuple[Group, str]]:
    """Every condition group the evaluation needs a status for, with its scope."""
    groups: list[Group] = [x.when for x in policy.exclusions]
    for rule in policy.recognition:
        if rule.applies_to is not None:
            groups.append(rule.applies_to)
        groups.extend(g for _, g in rule.checks)
    for target in policy.targets:
        groups.extend(s.when for s in target.slots)
        groups.extend(s.when for s in target.shares)
        groups.extend(t.where for t in target.totals if t.where is not None)
        if target.all_credentials is not None:
            groups.append(target.all_credentials)
    out = [(g, CREDENTIAL) for g in groups]
    for c in policy.criteria:
        scope = APPLICATION if c.about == "application" else CREDENTIAL
        out.append((c.when, scope))
        if c.applies_to is not None:
            out.append((c.applies_to, CREDENTIAL))
    for r in policy.requests:
        out.extend((row.when, OUTCOME) for row in r.rows)
    return out


def is_derived(atom: Atom, policy: Policy) -> bool:
    if atom.op in DERIVED_OPS or isinstance(atom.value, (Ref, TableTest)) or atom.of:
        return True
    subject = policy.catalogue.get(atom.element) if policy.catalogue else None
    if subject is None:
        return False
    if subject.type.endswith("_list") or subject.type in ("credits", "level", "grade"):
        return atom.op != "known"
    return subject.source in DERIVED_SOURCES


def compile_policy(policy: Policy) -> CompiledPolicy:
    every = [(f"{scope}|{canonical(g)}", g, scope) for g, scope in policy_groups(policy)]
    unique = {k: (g, scope) for k, g, scope in every}
    # Blocks of one scope sit together: a rule group never mixes scopes.
    keys = sorted(unique, key=lambda k: (SCOPES.index(unique[k][1]), k))
    blocks = tuple(Block(f"b{i}", unique[k][0], i, unique[k][1]) for i, k in enumerate(keys))
    block_of = {k: f"b{i}" for i, k in enumerate(keys)}
    # Looking a group up by identity, not by re-serialising it, is what makes evaluation cheap.
    group_block = {id(g): block_of[k] for k, g, _ in every}

    atoms = sorted({a for b in blocks for a in _atoms(b.group)}, key=_atom_key)
    derived_atoms = [x for x in atoms if is_derived(x, policy)]
    derived: tuple[Derived, ...] = tuple(Derived(f"_d{i}", a) for i, a in enumerate(derived_atoms))
    derived_of = {d.atom: d.field for d in derived}
    plain = [a for a in atoms if a not in derived_of]
    catalogue = policy.catalogue
    ranged = frozenset(
        a.element
        for a in plain
        if catalogue.get(a.element) and catalogue[a.element].type == "decimal"
    )
    # Subject keys become short keys: every match comes back as JSON with its whole fact.
    short = {name: f"e{i}" for i, name in enumerate(sorted({a.element for a in plain}))}
    fields = tuple(sorted({a.element for a in plain}))
    emit = Emit(policy, short, derived_of, ranged)
    modes: dict[str, str] = {}
    wanted: list[list[tuple[str, list[Any]]]] = []  # per block: (rule name, its tests)
    for block in blocks:
        try:
            rules, modes[block.id] = _block_rules(block, emit)
        except EngineCompileError:
            # Too large for the engine's expressions: the reference semantics decide the group
            # into a 0/1 field (as for tests the engine cannot make), and the engine tests it.
            field = f"_g{block.index}"
            derived += (Derived(field, block.group),)
            rules, modes[block.id] = (
                [(f"{block.id}:s", [{field: 1}]), (f"{block.id}:r", [{field: 0}])],
                "r",
            )
        wanted.append(rules)
    width = len(fields) + len(ranged) + len(derived)
    if width + 3 > MAX_FACT_FIELDS:
        raise EngineCompileError(
            f"policy needs {width} fact fields; at most {MAX_FACT_FIELDS - 3} fit in one fact. "
            "Split the policy."
        )
    total = sum(len(r) for r in wanted)
    if total > MAX_RULES:
        raise EngineCompileError(
            f"policy compiles to {total} rules; at most {MAX_RULES}. Split the policy."
        )

    # Pack rules into groups: a fact copy carries one group number, so it walks only that
    # group's rules, which stay within the engine's fixed-size matching structures.
    ruleset: dict[str, Any] = {}
    used: list[set[str]] = []
    scopes: list[str] = []
    network = Network()
    count = 0
    for block, rules in zip(blocks, wanted, strict=True):
        for rule_name, tests in rules:
            g = len(used) - 1
            fits = (
                used
                and count < MAX_RULES_PER_GROUP
                and scopes[-1] == block.scope
                and network.add({"$and": [{"g": g}] + tests}) is None
            )
            if not fits:
                used.append(set())
                scopes.append(block.scope)
                g, count, network = len(used) - 1, 0, Network()
                why = network.add({"$and": [{"g": g}] + tests})
                if why is not None:  # pragma: no cover - `fitting` made every piece fit alone
                    raise EngineCompileError(f"a condition is too large for the engine: {why}")
            count += 1
            used[g] |= _fields(tests)
            ruleset[rule_name] = {"all": [{"m": {"$and": [{"g": g}] + tests}}], "cap": 100000}
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
        tuple(scopes),
        ranged,
    )


def _block_rules(block: Block, emit: Emit) -> tuple[list[tuple[str, list[Any]]], str]:
    """The rules of a block (name, tests after the group test) and its second question."""
    rules: list[tuple[str, list[Any]]] = []
    mode = "o"
    for mode, expr in _expressions(block.group, emit):
        if expr == FALSE:
            continue  # e.g. only `known` tests: the block can be unknown but never fail
        if paths(expr) > MAX_PATHS:
            raise EngineCompileError(
                f"a condition group expands to {paths(expr)} alternatives in the engine; at "
                f"most {MAX_PATHS}. Simplify its any/all nesting."
            )
        # Pieces that each fit the engine's matching stack on their own (with a group test).
        pieces = [
            piece[1:] for chunk in chunks(expr) for piece in fitting([{"g": 0}] + _tests(chunk))
        ]
        for j, tests in enumerate(pieces):
            rules.append((f"{block.id}:{mode}" + (f":{j}" if j else ""), tests))
    return rules, mode  # the second question asked: "o" or "r"


def _tests(expr: Any) -> list[Any]:
    """The tests of one rule, after its group test."""
    if expr == TRUE:
        return []
    return list(expr["$and"]) if isinstance(expr, dict) and list(expr) == ["$and"] else [expr]


def _fields(tests: list[Any]) -> set[str]:
    """The fact fields some test of a rule reads."""
    out: set[str] = set()
    for t in tests:
        ((op, body),) = t.items()
        if op in ("$and", "$or"):
            out |= _fields(body)
        else:
            out |= set(body) if op.startswith("$") else {op}
    return out


def canonical(group: Group) -> str:
    return json.dumps(_canon(group), sort_keys=True, default=_json_value)


def _canon(c: Condition) -> Any:
    if isinstance(c, Atom):
        return ["atom", c.element, c.op, _canon_value(c.value), c.share, c.of]
    items = sorted((_canon(i) for i in c.items), key=lambda x: json.dumps(x, default=_json_value))
    return [c.kind, items]


def _canon_value(value: Any) -> Any:
    if isinstance(value, Ref):
        return ["ref", value.key]
    if isinstance(value, TableTest):
        return ["table", value.table, value.match, [_canon(a) for a in value.where], value.on]
    return value


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "denominator"):
        return f"{value.numerator}/{value.denominator}"
    raise TypeError(type(value).__name__)


def _atom_key(atom: Atom) -> str:
    return json.dumps(_canon(atom), default=_json_value)


def _atoms(c: Condition) -> list[Atom]:
    if isinstance(c, Atom):
        return [c]
    return [a for i in c.items for a in _atoms(i)]


OPTIMISTIC_PATHS = 64


def _expressions(group: Group, emit: Emit) -> list[tuple[str, Any]]:
    """ "s" (holds), then "o" (may hold) where it stays small, else "r" (certainly fails).

    Either second question, with "s", tells met / unknown / not met apart. Most credentials fail
    most groups, and every match returns its whole fact as JSON, so the rarer "may hold" is the
    cheaper question; but it doubles the alternatives per condition, so large groups ask "r".
    """
    optimistic = _expr(group, "o", emit)
    second = (
        ("o", optimistic)
        if paths(optimistic) <= OPTIMISTIC_PATHS
        else ("r", _expr(group, "r", emit))
    )
    return [(mode, normal_form(expr)) for mode, expr in [("s", _expr(group, "s", emit)), second]]


def _expr(c: Condition, mode: str, emit: Emit) -> Any:
    """durable-rules expression: "s" the group holds; "o" it may hold (holds, or a value it needs
    is unknown); "r" it certainly fails.

    Returns TRUE or FALSE when the answer does not depend on the fact.
    """
    if isinstance(c, Atom):
        return emit.atom(c, mode)
    kind = c.kind if mode != "r" else ("any" if c.kind == "all" else "all")
    key = "$and" if kind == "all" else "$or"
    unit, zero = (TRUE, FALSE) if kind == "all" else (FALSE, TRUE)
    parts: dict[str, Any] = {}
    for item in c.items:
        part = _expr(item, mode, emit)
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
