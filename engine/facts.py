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
from engine.semantics import BY_VALUE_LIMIT, MET, NOT_MET, Context, evaluate
from rules.policy import Atom, Ref, TableTest

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
    index of each scope's first view in the `c` numbering.

    Values and derived verdicts are looked up by the value they come from (kept with the
    compiled policy): learners share values, and this runs for every credential of every
    evaluation."""
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
        plain = [
            (key, short[key], catalogue.get(key), key in ranged)
            for key in compiled.fields
            if short[key] in wanted or short[key] + "h" in wanted
        ]
        derived = [
            (d.field, d.atom, _by_value(d.atom)) for d in compiled.derived if d.field in wanted
        ]
        copies = [(g, compiled.group_fields[g]) for g in groups]
        for view in these:
            body: dict[str, Any] = {}
            for key, name, subject, two_ends in plain:
                value = view.get(key)
                if value is None or isinstance(value, (NoRow, Possible)):
                    continue
                body[name] = _fact_field(ctx, subject, value)
                if two_ends:
                    body[name + "h"] = high_value(value)
            for name, atom, element in derived:
                status = _derived_status(ctx, atom, element, view)
                if status == MET:
                    body[name] = 1
                elif status == NOT_MET:
                    body[name] = 0
            for g, fields in copies:
                # Each copy carries only what its rules test: matches come back with the whole
                # fact, and reading that echo was most of the cost of matching.
                fact = {"g": g, "c": index}
                fact.update((k, body[k]) for k in fields if k in body)
                facts.append(fact)
            index += 1
    return facts, offsets


def _by_value(atom: Any) -> str | None:
    """The element whose value alone decides the atom (None: it reads more, or is a group)."""
    if not isinstance(atom, Atom) or isinstance(atom.value, (TableTest, Ref)):
        return None
    if atom.of and atom.op.startswith("within_"):
        return None
    return atom.element


def _derived_status(ctx: Context, atom: Any, element: str | None, view: Any) -> str:
    if element is None:
        return ctx.status(atom, view) if isinstance(atom, Atom) else evaluate(atom, view, ctx)
    value = view.get(element)
    if value is None or isinstance(value, (NoRow, Possible)):
        return ctx.status(atom, view)
    # The type is part of the key: 1, 1.0 and True are equal as keys but not as values.
    key = (id(atom), ctx.as_of, type(value), value)
    try:
        found = ctx.by_value.get(key)
    except TypeError:  # an unhashable value
        return ctx.status(atom, view)
    if found is None:
        return ctx.status(atom, view)  # which keeps it by value
    return found


def _fact_field(ctx: Context, subject: Any, value: Any) -> Any:
    """`checked(subject, value)`, kept by value (subjects live as long as the compiled policy)."""
    key = ("fact", id(subject), type(value), value)
    try:
        found = ctx.by_value.get(key, _UNSEEN)
    except TypeError:
        return checked(subject, value)
    if found is _UNSEEN:
        found = checked(subject, value)
        if len(ctx.by_value) < BY_VALUE_LIMIT:
            ctx.by_value[key] = found
    return found


_UNSEEN = object()
