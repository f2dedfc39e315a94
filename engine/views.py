"""What rules read: each credential (and the application) as values of the policy's subjects.

A `View` holds, for one credential, the value of every subject a condition may name: Annex I
elements (ECTS from the stated credit or hours when not stated, the EQF level through the
framework's referencing), readings in other scales (`credits@nz_credit`), declared elements,
applicant facts and choices, lookups in reference tables, computed values and classifications.
Each inferred value carries a note saying how it was obtained. The application has a view of its
own (facts and choices only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from engine import conversions as cv
from engine.binding import Bound
from engine.inputs import Credential, Provenance
from engine.lookup import NO_ROW, Possible, matching_rows
from engine.semantics import MET, NOT_MET, UNKNOWN, Context, column_status, evaluate
from engine.wording import show
from rules.catalogue import APPLICATION, CREDENTIAL
from rules.computed import expression_text
from rules.numbers import (
    Interval,
    add,
    bounds,
    divide,
    exact,
    interval,
    largest,
    multiply,
    smallest,
    subtract,
    text,
    within,
)
from rules.policy import Expr, Policy


@dataclass
class View:
    id: str
    values: dict[str, Any]
    provenance: dict[str, Provenance] = field(default_factory=dict)
    title: str | None = None

    def get(self, key: str) -> Any:
        return self.values.get(key)


def _inferred(source: Provenance | None, note: str) -> Provenance:
    return Provenance("inferred", source.source if source else "", note)


def beyond(value: Any, note: str = "") -> str | None:
    """Why a derived number is unknown, when it lies beyond ±10¹¹ (a conversion or a product of
    large values): only within that range does the engine compare numbers exactly."""
    if not isinstance(value, (Fraction, Interval)) or within(value):
        return None
    shown = f"{text(value)} lies beyond ±10¹¹, the range credstack compares, so it is unknown"
    return f"{note}; {shown}" if note else shown


class ViewBuilder:
    """Builds the views of one evaluation: typed inputs in, subject values out."""

    def __init__(self, policy: Policy, bound: Bound, as_of: dt.date):
        self.policy, self.bound, self.as_of = policy, bound, as_of
        self.catalogue = policy.catalogue
        self.scales = self.catalogue.scales
        self.hours = policy.settings.hours_per_ects
        self.ctx = Context(as_of, policy)
        self.shared: dict[str, Any] = dict(bound.facts)
        self.sources = bound.fact_sources
        for _, _, choices in bound.items:
            for key, value in choices.items():
                self.shared.setdefault(key, value)
        subjects = self.catalogue.subjects.values()
        self.own = [
            s for s in subjects if s.scope == CREDENTIAL and s.source in ("annex", "extended")
        ]
        self.qualified = [s for s in subjects if s.source == "qualified"]
        self.own_decimal = {s.key: s.type == "decimal" for s in self.own}

    def application(self) -> View:
        view = View("(application)", dict(self.shared), dict(self.sources), "the application")
        self._readings(view, APPLICATION)
        self._derived(view, APPLICATION)
        return view

    def credential(self, credential: Credential, declared: dict[str, Any]) -> View:
        raw = credential.values
        values: dict[str, Any] = dict(self.shared)
        provenance = dict(credential.provenance)
        own = self.own_decimal
        for key, value in raw.items():  # a credential carries few of the many elements
            if value is not None and key in own:
                values[key] = exact(value) if own[key] else value
        for key, fn in (("ects", cv.ects_of), ("workload_hours", cv.hours_of)):
            if key not in values:
                value, note = fn(raw, self.scales, self.hours)
                why = beyond(value, note)
                if value is not None:
                    if why is None:
                        values[key] = value
                    provenance[key] = _inferred(provenance.get("credits"), why or note)
        if "eqf_level" not in values:
            value, note = cv.eqf_of(raw, self.scales)
            if value is not None:
                values["eqf_level"] = value
                provenance["eqf_level"] = _inferred(provenance.get("framework_level"), note)
        values.update(declared)
        view = View(credential.id, values, provenance, raw.get("title"))
        self._readings(view, CREDENTIAL, raw)
        self._derived(view, CREDENTIAL)
        return view

    def _readings(self, view: View, scope: str, raw: Any = None) -> None:
        """Structured values read in the scale a condition names (`credits@nz_credit`)."""
        for s in self.qualified:
            if s.scope != scope:
                continue
            base = s.key.split("@", 1)[0]
            built_in = self.catalogue[base].source in ("annex", "extended")
            own = raw if raw is not None and built_in else None
            value, note = self._qualified(s, own, view, base)
            why = beyond(value, note)
            if value is not None:
                if why is None:
                    view.values[s.key] = value
                if why or note:
                    view.provenance[s.key] = _inferred(view.provenance.get(base), why or note)

    def _qualified(self, s: Any, raw: Any, view: View, base: str) -> tuple[Any, str]:
        """A built-in element reads from the whole credential (ECTS and hours are credit too);
        a declared element or fact reads from its own value only."""
        kind = self.catalogue[base].type
        slot = {"credits": "credits", "level": "framework_level", "grade": "grade"}[kind]
        own = raw if raw is not None else {slot: view.get(base)}
        if kind == "credits":
            return cv.credits_in(own, s.qualifier, self.scales, self.hours)
        if kind == "level":
            return cv.level_in(own, s.qualifier, self.scales)
        return cv.grade_in(own, s.qualifier, self.scales)

    # --- lookups, computed values and classifications ----------------------------------------

    def _derived(self, view: View, scope: str) -> None:
        policy = self.policy
        for lookup in policy.lookups:
            if self.catalogue[lookup.name].scope == scope:
                self._lookup(lookup, view)
        for computed in policy.computed:
            if self.catalogue[computed.name].scope == scope:
                value = self._expr(computed.expr, view)
                if value is not None:
                    how = expression_text(computed.expr, lambda k: self._shown(k, view))
                    why = beyond(value, how)
                    if why is None:
                        view.values[computed.name] = value
                    view.provenance[computed.name] = Provenance("inferred", "computed", why or how)
        for c in policy.classifications:
            if self.catalogue[c.name].scope == scope:
                value = self._classify(c, view)
                if value is not None:
                    view.values[c.name] = value

    def _shown(self, key: str, view: View) -> str:
        value = view.get(key)
        label = self.catalogue[key].label if key in self.catalogue.subjects else key
        return f"{label} {show(key, value, self.catalogue)}" if value is not None else label

    def _lookup(self, lookup: Any, view: View) -> None:
        table = self.policy.table(lookup.test.table)
        status, rows, statuses = matching_rows(
            lookup.test, table, view.get, self.as_of, column_status
        )
        if status == UNKNOWN and not rows:
            return  # a value it needs is unknown: so is the lookup
        found = {row[table.column(lookup.column)] for row in rows} - {None}
        if UNKNOWN in statuses or (rows and not found):
            return
        if not found:
            view.values[lookup.name] = NO_ROW
        elif len(found) == 1:
            view.values[lookup.name] = found.pop()
        else:
            view.values[lookup.name] = Possible(frozenset(found))
        shown = f"table '{table.id}' version {table.version}"
        view.provenance[lookup.name] = Provenance("inferred", shown, f"read from {shown}")

    def _expr(self, expr: Expr, view: View) -> Any:
        if expr.op == "const":
            return expr.args[0]
        if expr.op == "ref":
            value = view.get(expr.args[0])
            if value is None or value is NO_ROW or isinstance(value, Possible):
                return None
            return value if isinstance(value, Interval) else exact(value)
        parts = [self._expr(p, view) for p in expr.args]
        if any(p is None for p in parts):
            return None
        if expr.op == "sum":
            total = parts[0]
            for p in parts[1:]:
                total = add(total, p)
            return total
        if expr.op == "difference":
            return subtract(parts[0], parts[1])
        if expr.op == "product":
            total = parts[0]
            for p in parts[1:]:
                total = multiply(total, p)
            return total
        if expr.op == "quotient":
            return divide(parts[0], parts[1])
        if expr.op == "min":
            return smallest(parts)
        if expr.op == "max":
            return largest(parts)
        step = parts[1]
        lo, hi = bounds(parts[0])
        return interval((lo // step) * step, (hi // step) * step)

    def _classify(self, c: Any, view: View) -> Any:
        possible: list[str] = []
        for row in c.rows:
            status = evaluate(row.when, view, self.ctx)
            if status == NOT_MET:
                continue
            possible.append(row.cls)
            if status == MET and c.hit == "first":
                break
        else:
            if c.default is not None and (
                c.hit == "first" or not any(evaluate(r.when, view, self.ctx) == MET for r in c.rows)
            ):
                possible.append(c.default)
        if c.hit == "priority":
            order = [code for code, _ in c.classes]
            sure = [r.cls for r in c.rows if evaluate(r.when, view, self.ctx) == MET]
            best = min((order.index(x) for x in sure), default=None)
            possible = [x for x in possible if best is None or order.index(x) <= best]
            if best is not None:
                possible.append(order[best])
        found = set(possible)
        if not found:
            return None
        if len(found) == 1:
            return found.pop()
        return Possible(frozenset(found))


def views_for(policy: Policy, bound: Bound, credentials: list[Credential], as_of: dt.date):
    """(credential views, in the given order; the application's view)."""
    builder = ViewBuilder(policy, bound, as_of)
    views = [builder.credential(c, d) for c, d in zip(credentials, bound.declared, strict=True)]
    return views, builder.application()


def plain_views(policy: Policy, credentials: list[Credential], as_of: dt.date) -> list[View]:
    """Views of credentials alone (no applicant facts, no request): for matching and benchmarks."""
    from engine.binding import bind
    from engine.inputs import Wallet

    bound = bind(policy, Wallet("-", tuple(credentials)), credentials)
    return views_for(policy, bound, credentials, as_of)[0]
