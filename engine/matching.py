"""Per-credential status of every block, computed two independent ways.

`match_durable` asks durable-rules (the engine's answer); `match_reference` applies the plain
Python semantics. Both return {block id: (status of credential 0, status of credential 1, ...)};
property tests prove they agree, and `evaluate` can run either.
"""

from __future__ import annotations

import datetime as dt

from engine import durable_backend
from engine.compile import CompiledPolicy
from engine.errors import EngineMalfunction
from engine.facts import build_facts
from engine.inputs import Credential
from engine.semantics import MET, NOT_MET, UNKNOWN, Context, evaluate

Statuses = dict[str, tuple[str, ...]]


def match_reference(
    compiled: CompiledPolicy, credentials: list[Credential], as_of: dt.date
) -> Statuses:
    ctx = Context(as_of)
    return {b.id: tuple(evaluate(b.group, c, ctx) for c in credentials) for b in compiled.blocks}


def match_durable(
    compiled: CompiledPolicy, credentials: list[Credential], as_of: dt.date
) -> Statuses:
    facts = build_facts(compiled, credentials, as_of)
    # Each rule fires once per group it lives in (cap batches its matches), plus the sentinel.
    budget = len(compiled.ruleset) + compiled.groups + 8
    fired: dict[str, list[int]] = {}
    if facts:
        for rule, found in durable_backend.run(
            compiled.name, compiled.ruleset, facts, budget
        ).items():
            # Chunks of one question ("b3:o", "b3:o:1", ...) answer it together.
            fired.setdefault(":".join(rule.split(":")[:2]), []).extend(found)
    n = len(credentials)
    out: Statuses = {}
    for block in compiled.blocks:
        holds = set(fired.get(f"{block.id}:s", ()))
        if compiled.modes[block.id] == "o":
            maybe = set(fired.get(f"{block.id}:o", ()))
            if not holds <= maybe:
                raise EngineMalfunction(f"block {block.id} holds where it cannot")
            fails = set(range(n)) - maybe
        else:
            fails = set(fired.get(f"{block.id}:r", ()))
            if holds & fails:
                raise EngineMalfunction(f"block {block.id} both holds and fails")
        out[block.id] = tuple(
            MET if i in holds else NOT_MET if i in fails else UNKNOWN for i in range(n)
        )
    return out


MATCHERS = {"durable": match_durable, "reference": match_reference}
