"""The shapes of durable-rules expressions, and how to keep compiled rules within them.

Measured on durable-rules 2.0.28: ANDs of ORs of single tests register fine (2^11 alternatives
tried), but an OR whose alternatives are ANDs is kept in one expression sequence of 32 entries
and is refused from 14 alternatives on (error 113, "expression limit exceeded"), fewer when the
ANDs hold ORs themselves. Such expressions are rewritten here as unique, non-contradictory,
minimal alternatives, at most PATHS_PER_RULE per rule.
"""

from __future__ import annotations

from typing import Any

from engine.errors import EngineCompileError

TRUE, FALSE = "TRUE", "FALSE"  # constants of the expression builder, never sent to the engine
MAX_PATHS = 1024
PATHS_PER_RULE = 8  # measured: an OR of up to 13 ANDs registers; 14 gives error 113


def expression_key(expr: Any) -> str:
    # Expressions are built in a fixed key order, so repr is a canonical (and cheap) key.
    return repr(expr)


def paths(expr: Any) -> int:
    """How many alternative paths durable-rules builds for an expression (its DNF size)."""
    if isinstance(expr, dict) and list(expr) == ["$or"]:
        return sum(paths(x) for x in expr["$or"])
    if isinstance(expr, dict) and list(expr) == ["$and"]:
        total = 1
        for x in expr["$and"]:
            total *= paths(x)
        return total
    return 1


def normal_form(expr: Any) -> Any:
    """The expression as durable-rules will expand it anyway (an OR of ANDs), but with every path
    unique, free of contradictions and of paths that contain another path.

    durable-rules refuses a ruleset (error 113) when one rule expands into several identical
    paths, which "may hold" forms over one field produce easily (e.g. three `$nex` on it).
    """
    if expr in (TRUE, FALSE) or not _or_of_and(expr):
        return expr  # ANDs of ORs of single tests register fine (measured up to 2^11 paths)
    found = _dnf(expr)
    unique = {frozenset(p): p for p in found if not _contradicts(p.values())}
    if len(unique) > MAX_PATHS:
        raise EngineCompileError(
            f"a condition group expands to {len(unique)} alternatives in the engine; at most "
            f"{MAX_PATHS}. Simplify its any/all nesting."
        )
    minimal = [p for k, p in unique.items() if not any(o < k for o in unique)]
    if not minimal:
        return FALSE
    ordered = sorted((sorted(p.items()) for p in minimal), key=repr)
    conjunctions = [
        [t for _, t in p][0] if len(p) == 1 else {"$and": [t for _, t in p]} for p in ordered
    ]
    return conjunctions[0] if len(conjunctions) == 1 else {"$or": conjunctions}


def _or_of_and(expr: Any) -> bool:
    """Whether an OR somewhere in the expression has an AND among its alternatives: the shape
    durable-rules keeps in one bounded expression sequence."""
    if not isinstance(expr, dict) or len(expr) != 1:
        return False
    ((op, body),) = expr.items()
    if op == "$or":
        return any(isinstance(x, dict) and list(x) == ["$and"] for x in body) or any(
            _or_of_and(x) for x in body
        )
    if op == "$and":
        return any(_or_of_and(x) for x in body)
    return False


def chunks(expr: Any) -> list[Any]:
    """At most PATHS_PER_RULE alternatives per rule: durable-rules keeps an OR of ANDs in one
    expression sequence of 32 entries and refuses longer ones (error 113, from 14 up)."""
    if not (isinstance(expr, dict) and list(expr) == ["$or"]) or not _or_of_and(expr):
        return [expr]
    items = expr["$or"]
    parts = [items[i : i + PATHS_PER_RULE] for i in range(0, len(items), PATHS_PER_RULE)]
    return [p[0] if len(p) == 1 else {"$or": p} for p in parts]


def _dnf(expr: Any) -> list[dict[str, Any]]:
    """Paths of an expression: each a {canonical text: test} conjunction."""
    if isinstance(expr, dict) and list(expr) == ["$or"]:
        return [p for x in expr["$or"] for p in _dnf(x)]
    if isinstance(expr, dict) and list(expr) == ["$and"]:
        out: list[dict[str, Any]] = [{}]
        for x in expr["$and"]:
            out = [{**a, **b} for a in out for b in _dnf(x)]
            if len(out) > 4 * MAX_PATHS:
                raise EngineCompileError(
                    f"a condition group expands to more than {4 * MAX_PATHS} alternatives in the "
                    "engine. Simplify its any/all nesting."
                )
        return out
    return [{expression_key(expr): expr}]


def _contradicts(tests: Any) -> bool:
    """Two equality tests of one field with different values, or a test of an absent field."""
    equal: dict[str, Any] = {}
    absent, tested = set(), set()
    for t in tests:
        ((op, body),) = t.items()
        if op == "$nex":
            absent.update(body)
        elif op.startswith("$"):
            tested.update(body)
        else:
            tested.add(op)
            if equal.setdefault(op, body) != body:
                return True
    return bool(absent & tested)
