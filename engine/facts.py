"""Turn views into the typed facts durable-rules sees.

Every value is converted to the form its subject's type takes in a fact (and checked on the way:
durable-rules compares across types silently, `ects >= 5` being true for the string "abc").
Tests the engine cannot make are answered here by the reference semantics and carried as 0/1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.compile import SCOPES, CompiledPolicy
from engine.emit import fact_value, high_value
from engine.lookup import NoRow, Possible
from engine.semantics import MET, NOT_MET, Context, evaluate
from rules.policy import Atom

_STRINGS = ("text", "code", "country", "isced", "uri")


def checked(subject: Any, value: Any) -> Any:
    """The value as a fact field, after checking it has its subject's type."""
    kind = subject.type if subject is not None else "text"
    ok = True
    if kind in _STRINGS:
        ok = isinstance(value, str)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "date":
        ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "ordinal":
        ok = isinstance(value, str) and subject.rank(value) is not None
    if not ok:
        raise TypeError(f"{subject.key if subject else '?'}: expected {kind}, got {value!r:.40}")
    return fact_value(subject, value)


def build_facts(
    compiled: CompiledPolicy, views: dict[str, list[Any]], ctx: Context
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One fact per view per rule group of its scope (the backend adds sid and id), and the
    index of each scope's first view in the `c` numbering."""
    catalogue = compiled.policy.catalogue
    short, ranged = compiled.short, compiled.ranged
    facts: list[dict[str, Any]] = []
    offsets: dict[str, int] = {}
    index = 0
    for scope in SCOPES:
        these = views.get(scope, [])
        offsets[scope] = index
        groups = [g for g, s in enumerate(compiled.group_scope) if s == scope]
        if not groups:
            index += len(these)
            continue
        wanted = {f for g in groups for f in compiled.group_fields[g]}
        # A number known as a range has two fields; a group may test only one end.
        plain = [k for k in compiled.fields if short[k] in wanted or short[k] + "h" in wanted]
        derived = [d for d in compiled.derived if d.field in wanted]
        for view in these:
            body: dict[str, Any] = {}
            for key in plain:
                value = view.get(key)
                if value is None or isinstance(value, (NoRow, Possible)):
                    continue
                body[short[key]] = checked(catalogue.get(key), value)
                if key in ranged:
                    body[short[key] + "h"] = high_value(value)
            for d in derived:
                atom = d.atom
                status = (
                    ctx.status(atom, view) if isinstance(atom, Atom) else evaluate(atom, view, ctx)
                )
                if status == MET:
                    body[d.field] = 1
                elif status == NOT_MET:
                    body[d.field] = 0
            for g in groups:
                # Each copy carries only what its rules test: matches come back with the whole
                # fact, and parsing that JSON was most of the cost of matching.
                fact = {"g": g, "c": index}
                fact.update((k, body[k]) for k in compiled.group_fields[g] if k in body)
                facts.append(fact)
            index += 1
    return facts, offsets
