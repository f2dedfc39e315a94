"""Baselines the engine is measured against: the same per-block, per-credential matching done by

* `LoopMatcher`: a hand-written Python loop over plain tuples and dicts (tri-state, short-circuit),
  the "what would a programmer write without a rules engine" baseline;
* `ZenMatcher`: GoRules zen-engine (Rust). By default the blocks' "holds" and "certainly fails"
  tests are one compiled zen expression per policy (an array of booleans) evaluated once per
  credential: through zen's Python API that was ~7x faster than a decision table with one row per
  test (also available, `form="table"`, evaluated over all credentials in one call in loop mode),
  and faster than decision tables with one unary column per element and DNF rows.

Both take a `CompiledPolicy` (its blocks, i.e. the deduplicated condition groups) and return what
`engine.matching.match_reference` returns: {block id: (status of credential 0, 1, ...)}.

What the zen baseline covers: every operator the synthetic policies use (order and equality tests,
in / not in, within_years, starts_with, contains / not contains and covers on URI lists, known),
with the same Kleene tri-state result as the engine. The within-years bounds are constants of the
table (it is built for one application date), which favours zen slightly. Case-folded comparisons
on free-text lists (learning outcomes) are not translated: they raise `NotImplementedError`.
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from typing import Any

from engine.compile import CompiledPolicy
from engine.inputs import Credential
from engine.semantics import MET, NOT_MET, UNKNOWN, covers_threshold, shift_years
from rules.policy import Atom, Condition
from rules.vocabulary import ELEMENTS

Statuses = dict[str, tuple[str, ...]]


# --- hand-written loop -------------------------------------------------------------------------


def _plain(c: Condition) -> tuple:
    """A condition as plain tuples: ("all"|"any", [items]) or ("atom", element, op, value, n)."""
    if isinstance(c, Atom):
        value: Any = c.value
        need = 0
        fold = ELEMENTS[c.element].type == "text_list" if c.element in ELEMENTS else False
        if c.op in ("in", "not_in"):
            value = frozenset(value)
        elif c.op == "covers":
            value = frozenset(v.strip().casefold() if fold else v for v in value)
            need = covers_threshold(len(value), c.share)
        elif c.op in ("contains", "not_contains") and fold:
            value = value.strip().casefold()
        return ("atom", c.element, c.op, value, need, fold)
    return (c.kind, [_plain(i) for i in c.items])


class LoopMatcher:
    """Per-credential, per-block tri-state matching written as a plain interpreter loop."""

    def __init__(self, compiled: CompiledPolicy):
        self.blocks = [(b.id, _plain(b.group)) for b in compiled.blocks]

    def match(self, credentials: list[Credential], as_of: dt.date) -> Statuses:
        earliest: dict[int, dt.date] = {}
        rows = []
        for credential in credentials:
            values = credential.values
            row = []
            for _, tree in self.blocks:
                row.append(_check(tree, values, as_of, earliest))
            rows.append(row)
        return {
            block_id: tuple(row[k] for row in rows) for k, (block_id, _) in enumerate(self.blocks)
        }

    __call__ = match


def _check(tree: tuple, values: Any, as_of: dt.date, earliest: dict) -> str:
    kind = tree[0]
    if kind == "atom":
        return _atom(tree, values, as_of, earliest)
    if kind == "all":
        result = MET
        for item in tree[1]:
            status = _check(item, values, as_of, earliest)
            if status == NOT_MET:
                return NOT_MET
            if status == UNKNOWN:
                result = UNKNOWN
        return result
    result = NOT_MET
    for item in tree[1]:
        status = _check(item, values, as_of, earliest)
        if status == MET:
            return MET
        if status == UNKNOWN:
            result = UNKNOWN
    return result


def _atom(atom: tuple, values: Any, as_of: dt.date, earliest: dict) -> str:
    _, element, op, value, need, fold = atom
    x = values.get(element)
    if x is None:
        return UNKNOWN
    if op == "known":
        return MET
    if op == "eq":
        ok = x == value
    elif op == "ne":
        ok = x != value
    elif op == "gt":
        ok = x > value
    elif op == "gte":
        ok = x >= value
    elif op == "lt":
        ok = x < value
    elif op == "lte":
        ok = x <= value
    elif op == "in":
        ok = x in value
    elif op == "not_in":
        ok = x not in value
    elif op == "within_years":
        start = earliest.get(value)
        if start is None:
            start = earliest[value] = shift_years(as_of, -value)
        ok = start <= x <= as_of
    elif op == "starts_with":
        if x.startswith(value):
            return MET
        return UNKNOWN if value.startswith(x) else NOT_MET
    else:
        items = {v.strip().casefold() for v in x} if fold else set(x)
        if op == "contains":
            ok = value in items
        elif op == "not_contains":
            ok = value not in items
        elif op == "covers":
            ok = len(value & items) >= need
        else:
            raise ValueError(f"operator {op!r} is not handled by the loop baseline")
    return MET if ok else NOT_MET


# --- zen-engine --------------------------------------------------------------------------------


def _literal(value: Any) -> str:
    if isinstance(value, dt.date):
        return str(value.toordinal())
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        raise TypeError("booleans do not occur in policies")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Fraction):
        return repr(float(value))
    raise TypeError(f"cannot write {value!r} as a zen literal")


def _array(values: Any) -> str:
    return "[" + ", ".join(_literal(v) for v in values) + "]"


def zen_atom(atom: Atom, as_of: dt.date) -> tuple[str, str]:
    """zen expressions for "the atom holds" and "the atom certainly fails" (absent: neither)."""
    f, op, v = atom.element, atom.op, atom.value
    present = f"{f} != null"
    if ELEMENTS[f].type == "text_list" and op in ("contains", "not_contains", "covers"):
        raise NotImplementedError("case-folded text lists are not translated to zen")
    if op == "known":
        return present, "false"
    if op in ("eq", "ne", "gt", "gte", "lt", "lte"):
        symbol = {"eq": "==", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
        test = f"{f} {symbol} {_literal(v)}"
    elif op == "in":
        test = f"{f} in {_array(v)}"
    elif op == "not_in":
        test = f"not ({f} in {_array(v)})"
    elif op == "within_years":
        low, high = shift_years(as_of, -v).toordinal(), as_of.toordinal()
        test = f"{f} >= {low} and {f} <= {high}"
    elif op == "starts_with":
        p = _literal(v)
        holds = f"({present} and startsWith({f}, {p}))"
        fails = f"({present} and not startsWith({f}, {p}) and not startsWith({p}, {f}))"
        return holds, fails
    elif op == "contains":
        test = f"{_literal(v)} in {f}"
    elif op == "not_contains":
        test = f"not ({_literal(v)} in {f})"
    elif op == "covers":
        need = covers_threshold(len(set(v)), atom.share)
        test = f"count({_array(sorted(set(v)))}, # in {f}) >= {need}"
    else:
        raise NotImplementedError(f"operator {op!r} is not translated to zen")
    return f"({present} and {test})", f"({present} and not ({test}))"


def zen_condition(c: Condition, as_of: dt.date) -> tuple[str, str]:
    if isinstance(c, Atom):
        return zen_atom(c, as_of)
    parts = [zen_condition(i, as_of) for i in c.items]
    holds_join, fails_join = (" and ", " or ") if c.kind == "all" else (" or ", " and ")
    holds = holds_join.join(h for h, _ in parts) or ("true" if c.kind == "all" else "false")
    fails = fails_join.join(f for _, f in parts) or ("false" if c.kind == "all" else "true")
    return f"({holds})", f"({fails})"


def _zen_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.toordinal()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Fraction):
        return float(value)  # the synthetic policies' numbers are exact in binary too
    return value


def _atoms(c: Condition) -> list[Atom]:
    return [c] if isinstance(c, Atom) else [a for i in c.items for a in _atoms(i)]


class ZenMatcher:
    """The policy's blocks as zen-engine objects, built for one application date.

    form="expression" (the default, and much the fastest through zen's Python API): one compiled
    zen expression per policy, an array with each block's "holds" and "certainly fails" booleans,
    evaluated once per credential. form="table": one decision table (hit policy "collect", one
    row per block and mode, the cell a full expression) evaluated over all credentials in one
    call (the table's loop mode), the way zen's decision graphs are usually used.

    `tristate=True` gives the engine's full statuses; `tristate=False` evaluates only "holds"
    (met, or not met / unknown undistinguished): the bare-matching minimum.
    """

    def __init__(
        self,
        compiled: CompiledPolicy,
        as_of: dt.date,
        tristate: bool = True,
        form: str = "expression",
    ):
        import zen  # optional dependency (extra "bench")

        if form not in ("expression", "table"):
            raise ValueError(f"form must be 'expression' or 'table', not {form!r}")
        self.as_of, self.tristate, self.form = as_of, tristate, form
        self.block_ids = [b.id for b in compiled.blocks]
        self.fields = sorted({a.element for b in compiled.blocks for a in _atoms(b.group)})
        tests = []
        for b in compiled.blocks:
            holds, fails = zen_condition(b.group, as_of)
            tests.append((b.id, "s", holds))
            if tristate:
                tests.append((b.id, "r", fails))
        if form == "expression":
            self.expression = zen.compile_expression("[" + ", ".join(t for *_, t in tests) + "]")
            return
        content: dict[str, Any] = {
            "hitPolicy": "collect",
            "inputs": [{"id": "cond", "name": "condition"}],
            "outputs": [{"id": "out", "name": "block", "field": "b"}],
            "rules": [
                {"_id": f"{b}:{m}", "cond": test, "out": json.dumps(f"{b}:{m}")}
                for b, m, test in tests
            ],
            "executionMode": "loop",
            "inputField": "credentials",
            "outputPath": "results",
        }
        at = {"x": 0, "y": 0}
        graph = {
            "nodes": [
                {"id": "in", "type": "inputNode", "name": "in", "position": at},
                {
                    "id": "table",
                    "type": "decisionTableNode",
                    "name": "blocks",
                    "position": at,
                    "content": content,
                },
                {"id": "out", "type": "outputNode", "name": "out", "position": at},
            ],
            "edges": [
                {"id": "e1", "sourceId": "in", "targetId": "table", "type": "edge"},
                {"id": "e2", "sourceId": "table", "targetId": "out", "type": "edge"},
            ],
        }
        self.decision = zen.ZenEngine().create_decision(json.dumps(graph))

    def context(self, credential: Credential) -> dict[str, Any]:
        values = credential.values
        out = {}
        for name in self.fields:
            value = values.get(name)
            if value is not None:
                out[name] = _zen_value(value)
        return out

    def match(self, credentials: list[Credential], as_of: dt.date) -> Statuses:
        if as_of != self.as_of:
            raise ValueError("this zen matcher was built for another application date")
        contexts = [self.context(c) for c in credentials]
        if self.form == "expression":
            evaluate = self.expression.evaluate
            flags = [evaluate(ctx) for ctx in contexts]
            step = 2 if self.tristate else 1
            out: Statuses = {}
            for k, block in enumerate(self.block_ids):
                j = step * k
                out[block] = tuple(
                    MET if f[j] else NOT_MET if step == 2 and f[j + 1] else UNKNOWN for f in flags
                )
            return out
        hits = self.decision.evaluate({"credentials": contexts})["result"]["results"]
        fired: dict[str, set[int]] = {}
        for i, rows in enumerate(hits):
            for row in rows:
                fired.setdefault(row["b"], set()).add(i)
        n = len(credentials)
        out = {}
        for block in self.block_ids:
            holds = fired.get(f"{block}:s", ())
            fails = fired.get(f"{block}:r", ())
            out[block] = tuple(
                MET if i in holds else NOT_MET if i in fails else UNKNOWN for i in range(n)
            )
        return out

    __call__ = match


def met_pairs(statuses: Statuses) -> set[tuple[str, int]]:
    """The (block, credential index) pairs whose status is met."""
    return {(b, i) for b, row in statuses.items() for i, s in enumerate(row) if s == MET}
