"""Per-view status of every block, computed two independent ways.

`match_durable` asks durable-rules (the engine's answer); `match_reference` applies the plain
Python semantics. Both return {block id: (status for view 0, view 1, ...)}, the views being those
of the block's scope (credentials, the application, or the request items); property tests prove
they agree, and `evaluate` can run either.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine import durable_backend
from engine.compile import CompiledPolicy
from engine.errors import EngineMalfunction
from engine.facts import build_facts
from engine.semantics import MET, NOT_MET, UNKNOWN, Context, evaluate
from rules.catalogue import CREDENTIAL

Statuses = dict[str, tuple[str, ...]]


def _scoped(views: Any) -> dict[str, list[Any]]:
    """A list of views (or credentials) is the credential scope."""
    return views if isinstance(views, dict) else {CREDENTIAL: list(views)}


def match_reference(
    compiled: CompiledPolicy, views: Any, as_of: dt.date, ctx: Context | None = None
) -> Statuses:
    """Every block by the reference semantics (its own context: it checks the engine)."""
    views = _scoped(views)
    ctx = Context(as_of, compiled.policy)
    return {
        b.id: tuple(evaluate(b.group, v, ctx) for v in views.get(b.scope, ()))
        for b in compiled.blocks
        if b.scope in views
    }


def match_durable(
    compiled: CompiledPolicy, views: Any, as_of: dt.date, ctx: Context | None = None
) -> Statuses:
    """Every block through durable-rules. With the evaluation's context, the conditions worked
    out in Python on the way (derived fields) are not worked out again by the explanations."""
    views = _scoped(views)
    ctx = ctx or Context(as_of, compiled.policy)
    facts, offsets = build_facts(compiled, views, ctx)
    # Each rule fires once per group it lives in (cap batches its matches), plus the sentinel.
    budget = len(compiled.ruleset) + compiled.groups + 8
    fired: dict[str, list[int]] = {}
    if facts:
        for rule, found in durable_backend.run(
            compiled.name, compiled.ruleset, facts, budget
        ).items():
            # Chunks of one question ("b3:o", "b3:o:1", ...) answer it together.
            fired.setdefault(":".join(rule.split(":")[:2]), []).extend(found)
    out: Statuses = {}
    for block in compiled.blocks:
        if block.scope not in views:
            continue
        start, n = offsets[block.scope], len(views[block.scope])
        holds = _indexes(fired.get(f"{block.id}:s", ()), start, n, block.id)
        # Work in proportion to the matches, not to the views: most views fail most blocks.
        if compiled.modes[block.id] == "o":
            maybe = _indexes(fired.get(f"{block.id}:o", ()), start, n, block.id)
            if not holds <= maybe:
                raise EngineMalfunction(f"block {block.id} holds where it cannot")
            row = [NOT_MET] * n
            for i in maybe:
                row[i] = UNKNOWN
        else:
            fails = _indexes(fired.get(f"{block.id}:r", ()), start, n, block.id)
            if holds & fails:
                raise EngineMalfunction(f"block {block.id} both holds and fails")
            row = [UNKNOWN] * n
            for i in fails:
                row[i] = NOT_MET
        for i in holds:
            row[i] = MET
        out[block.id] = tuple(row)
    return out


def _indexes(found: Any, start: int, n: int, block: str) -> set[int]:
    """The views a block's rule matched, by index in their scope (a match outside it would be
    the engine confusing facts)."""
    indexes = {i - start for i in found}
    if indexes and (min(indexes) < 0 or max(indexes) >= n):
        raise EngineMalfunction(f"block {block} matched a fact outside its scope")
    return indexes


MATCHERS = {"durable": match_durable, "reference": match_reference}
