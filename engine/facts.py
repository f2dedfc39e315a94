"""Turn views into the typed facts durable-rules sees.

Every value is converted to the form its subject's type takes in a fact (and checked on the way:
durable-rules compares across types silently, `ects >= 5` being true for the string "abc").
Tests the engine cannot make are answered here by the reference semantics and carried as 0/1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from engine.compile import SCOPES, CompiledPolicy
from engine.emit import fact_value, high_value
from engine.lookup import NoRow, Possible
from engine.semantics import BY_VALUE_LIMIT, MET, NOT_MET, Context, decided_by, evaluate
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


@dataclass(frozen=True)
class _Plan:
    """How the facts of one scope are built, worked out once per compiled policy: the plain
    fields (key, fact name, subject, two ends?), the derived fields grouped by the one element
    whose value decides them, the other derived fields, and the rule groups' copies."""

    plain: tuple[tuple[str, str, Any, bool], ...]
    by_element: tuple[tuple[str, tuple[tuple[str, Atom], ...]], ...]
    other: tuple[tuple[str, Any], ...]
    copies: tuple[tuple[int, tuple[str, ...]], ...]


def _plan(compiled: CompiledPolicy, scope: str) -> _Plan | None:
    key = ("facts plan", scope)
    found = compiled.words.get(key, _UNSEEN)
    if found is not _UNSEEN:
        return found
    groups = [g for g, s in enumerate(compiled.group_scope) if s == scope]
    plan = None
    if groups:
        short, catalogue = compiled.short, compiled.policy.catalogue
        wanted = {f for g in groups for f in compiled.group_fields[g]}
        # A number known as a range has two fields; a group may test only one end.
        plain = tuple(
            (k, short[k], catalogue.get(k), k in compiled.ranged)
            for k in compiled.fields
            if short[k] in wanted or short[k] + "h" in wanted
        )
        by_element: dict[str, list[tuple[str, Atom]]] = {}
        other = []
        for d in compiled.derived:
            if d.field in wanted:
                element = decided_by(d.atom)
                if element is None:
                    other.append((d.field, d.atom))
                else:
                    by_element.setdefault(element, []).append((d.field, d.atom))
        plan = _Plan(
            plain,
            tuple((e, tuple(members)) for e, members in by_element.items()),
            tuple(other),
            tuple((g, compiled.group_fields[g]) for g in groups),
        )
    compiled.words[key] = plan
    return plan


def build_facts(
    compiled: CompiledPolicy, views: dict[str, list[Any]], ctx: Context
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One fact per view per rule group of its scope (the backend adds sid and id), and the
    index of each scope's first view in the `c` numbering.

    Values and derived verdicts are looked up by the value they come from (kept with the
    compiled policy): learners share values, and this runs for every credential of every
    evaluation. The verdicts of all derived fields reading one element are one lookup."""
    facts: list[dict[str, Any]] = []
    offsets: dict[str, int] = {}
    index = 0
    for scope in SCOPES:
        these = views.get(scope, [])
        offsets[scope] = index
        plan = _plan(compiled, scope)
        if plan is None:
            index += len(these)
            continue
        for view in these:
            body: dict[str, Any] = {}
            for key, name, subject, two_ends in plan.plain:
                value = view.get(key)
                if value is None or isinstance(value, (NoRow, Possible)):
                    continue
                body[name] = _fact_field(ctx, subject, value)
                if two_ends:
                    body[name + "h"] = high_value(value)
            for element, members in plan.by_element:
                statuses = _element_statuses(ctx, element, members, view)
                for (name, _), status in zip(members, statuses, strict=True):
                    if status == MET:
                        body[name] = 1
                    elif status == NOT_MET:
                        body[name] = 0
            for name, atom in plan.other:
                status = (
                    ctx.status(atom, view) if isinstance(atom, Atom) else evaluate(atom, view, ctx)
                )
                if status == MET:
                    body[name] = 1
                elif status == NOT_MET:
                    body[name] = 0
            for g, fields in plan.copies:
                # Each copy carries only what its rules test: matches come back with the whole
                # fact, and reading that echo was most of the cost of matching.
                fact = {"g": g, "c": index}
                fact.update((k, body[k]) for k in fields if k in body)
                facts.append(fact)
            index += 1
    return facts, offsets


def _element_statuses(
    ctx: Context, element: str, members: tuple[tuple[str, Atom], ...], view: Any
) -> tuple[str, ...]:
    """The statuses of the derived atoms reading `element`, kept by its value (the members
    tuple lives in the plan, as long as the compiled policy)."""
    value = view.get(element)
    if value is None or isinstance(value, (NoRow, Possible)):
        return tuple(ctx.status(atom, view) for _, atom in members)
    # The type is part of the key: 1, 1.0 and True are equal as keys but not as values.
    key = (id(members), ctx.as_of, type(value), value)
    try:
        found = ctx.by_value.get(key)
    except TypeError:  # an unhashable value
        return tuple(ctx.status(atom, view) for _, atom in members)
    if found is None:
        found = tuple(ctx.status(atom, view) for _, atom in members)
        if len(ctx.by_value) < BY_VALUE_LIMIT:
            ctx.by_value[key] = found
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
