"""A model of the alpha network durable-rules builds from our rules, so that every rule group
stays inside the engine's fixed-size structures.

durable-rules 2.0.28 matches a fact by walking its alpha network depth first with a stack of 64
entries (`handleAlpha` in events.c). A node pushes every child the fact passes: a test child
when its test holds, a `$nex` child when the field is absent, and, always, the join node of each
`$or` it is an alternative of. A fact that would push a 65th entry fails with error 303 and
leaves the session half-written; deleting it then segfaults the process. So 65 alternatives of
one `$or` that all hold crash the engine, and so do 65 rules of one group whose first tests all
hold. durable-rules shares nodes: the same test under the same parent is one node, whichever rule
it came from, so the alternatives of different rules meet under one node.

Beside the stack, a node has 512 hash slots for test children (a full table hangs
`create_ruleset` and matching), 128 entries for `$nex` and join children (a 129th can overwrite
another node's list) and 256 entries for the rules that end on it.

`Network` rebuilds that sharing for the rules added to it and bounds, for any fact, how many
entries the walk needs: per node, the most children one fact can push together (per field, the
most of its tests one value passes; every join), and below that, the deepest child's own walk.
Adding a rule that would not fit is undone, so rules can be packed into groups one at a time.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from engine.errors import EngineCompileError

STACK = 64  # entries in durable-rules' matching stack
STACK_BUDGET = 60  # what one rule group may need (the root and the gate fact's rule use some)
MAX_TEST_CHILDREN = 400  # of 512 hash slots per node
MAX_LIST_CHILDREN = 100  # of 128 `$nex` and join entries per node
MAX_ENDINGS = 200  # of 256 rules ending on one node


class _Node:
    __slots__ = ("tests", "joins", "ends", "parents", "_fields", "_most", "_pushes", "_stack")

    def __init__(self) -> None:
        self.tests: dict[tuple, _Node] = {}  # (field, op, value type, value) → child
        self.joins: list[_Node] = []  # join nodes of the `$or`s this node is an alternative of
        self.ends = 0  # rules that end here
        self.parents: list[_Node] = []
        self._fields: dict[str, list[tuple[str, Any]]] = {}  # field → (operator, value) tested
        self._most: dict[str, int] = {}  # field → the most of its tests one fact passes
        self._pushes = 0
        self._stack: int | None = None

    def children(self) -> list[_Node]:
        return [*self.tests.values(), *self.joins]

    def add_test(self, key: tuple) -> _Node:
        child = self.tests[key] = _Node()
        child.parents.append(self)
        self._fields.setdefault(key[0], []).append((key[1], key[3]))
        self._recount(key[0])
        return child

    def remove_test(self, key: tuple) -> None:
        del self.tests[key]
        self._fields[key[0]].remove((key[1], key[3]))
        self._recount(key[0])

    def _recount(self, field: str) -> None:
        tests = self._fields[field]
        self._pushes -= self._most.pop(field, 0)
        if tests:
            self._most[field] = _most_at_once(tests)
            self._pushes += self._most[field]
        self.changed()

    def changed(self) -> None:
        """Its children changed: its walk, and its ancestors', must be bounded again."""
        self._invalidate()

    def _invalidate(self) -> None:
        # A cached node has cached descendants, so an uncached node has uncached ancestors.
        if self._stack is None:
            return
        self._stack = None
        for parent in self.parents:
            parent._invalidate()

    def pushes(self) -> int:
        """The most children one fact can push here."""
        return len(self.joins) + self._pushes

    def stack(self) -> int:
        """Stack entries the walk from this node needs at its peak (the node itself popped)."""
        if self._stack is None:
            children = self.children()
            pushed = self.pushes()
            deepest = max((c.stack() for c in children), default=0)
            self._stack = max(pushed, pushed - 1 + deepest) if children else 0
        return self._stack

    def crowded(self) -> str | None:
        absent = sum(1 for key in self.tests if key[1] == "$nex")  # listed with the joins
        listed = len(self.joins) + absent
        if len(self.tests) - absent > MAX_TEST_CHILDREN:
            return f"more than {MAX_TEST_CHILDREN} different tests follow one test"
        if listed > MAX_LIST_CHILDREN:
            return f"more than {MAX_LIST_CHILDREN} alternatives or absence tests hang off one test"
        if self.ends > MAX_ENDINGS:
            return f"more than {MAX_ENDINGS} rules end on one test"
        return None


class Network:
    """The shared alpha network of a set of single-fact rules (each an expression)."""

    def __init__(self, budget: int = STACK_BUDGET) -> None:
        self.budget = budget  # stack entries a fact may need at most
        self.root = _Node()
        self._log: list[tuple] = []
        self._touched: list[_Node] = []

    def add(self, expr: Any) -> str | None:
        """Add a rule; if the network then no longer fits, undo that and say why not."""
        self._log, self._touched = [], []
        end = self._build(self.root, expr)
        end.ends += 1
        self._log.append(("end", end))
        self._touched.append(end)
        why = self.problem()
        if why is not None:
            self._undo()
        return why

    def problem(self) -> str | None:
        for node in self._touched:
            why = node.crowded()
            if why is not None:
                return why
        need = self.root.stack()
        if need > self.budget:
            return f"one fact could need {need} entries of the engine's stack of {STACK}"
        return None

    def _build(self, parent: _Node, expr: Any) -> _Node:
        if isinstance(expr, dict) and list(expr) == ["$and"]:
            for item in expr["$and"]:
                parent = self._build(parent, item)
            return parent
        if isinstance(expr, dict) and list(expr) == ["$or"]:
            join = _Node()
            for item in expr["$or"]:
                end = self._build(parent, item)
                end.joins.append(join)
                join.parents.append(end)
                end.changed()
                self._log.append(("join", end, join))
                self._touched.append(end)
            return join
        key = test_key(expr)
        child = parent.tests.get(key)
        if child is None:
            child = parent.add_test(key)
            self._log.append(("test", parent, key))
            self._touched.append(parent)
        return child

    def _undo(self) -> None:
        for entry in reversed(self._log):
            if entry[0] == "end":
                entry[1].ends -= 1
            elif entry[0] == "join":
                end, join = entry[1], entry[2]
                end.joins.remove(join)
                end.changed()
            else:
                parent, key = entry[1], entry[2]
                parent.remove_test(key)
        self._log = []


def test_key(expr: Any) -> tuple:
    """(field, operator, value type, value) of one durable-rules test."""
    ((op, body),) = expr.items()
    if op.startswith("$"):
        ((field, value),) = body.items()
    else:
        field, value, op = op, body, "eq"
    return (field, op, type(value).__name__, value)


def _most_at_once(tests: list[tuple[str, Any]]) -> int:
    """The most of these tests on one field that one fact passes together."""
    if len(tests) == 1 or all(op == "eq" for op, _ in tests):
        return 1  # the usual cases: one test, or values to compare with (one at most is equal)
    absent = 1 if any(op == "$nex" for op, _ in tests) else 0
    present = [(op, v) for op, v in tests if op != "$nex"]
    exists = sum(1 for op, _ in present if op == "$ex")
    compared = [(op, v) for op, v in present if op != "$ex"]
    return max(absent, exists + _most_true(compared))


_ORDER = ("$gt", "$gte", "$lt", "$lte")


def _most_true(tests: list[tuple[str, Any]]) -> int:
    if not tests:
        return 0
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for _, v in tests)
    if not numeric:  # text is only tested for (in)equality; count any order test as passing
        equal = Counter(v for op, v in tests if op == "eq")
        unequal = Counter(v for op, v in tests if op == "$neq")
        n_unequal = sum(unequal.values())
        ordered = sum(1 for op, _ in tests if op in _ORDER)
        points = list(equal) + list(unequal)
        best = max((equal[x] + n_unequal - unequal[x] for x in points), default=0)
        return ordered + max(best, n_unequal)
    # Sweep the number line: below the smallest constant (position 0), at the i-th constant
    # (2i + 1), between it and the next (2i + 2); each test passes on a run of positions.
    constants = sorted({v for _, v in tests})
    at = {c: 2 * i + 1 for i, c in enumerate(constants)}
    end = 2 * len(constants) + 1
    delta = [0] * (end + 1)
    for op, v in tests:
        p = at[v]
        runs = {
            "eq": ((p, p + 1),),
            "$neq": ((0, p), (p + 1, end)),
            "$gt": ((p + 1, end),),
            "$gte": ((p, end),),
            "$lt": ((0, p),),
            "$lte": ((0, p + 1),),
        }[op]
        for start, stop in runs:
            delta[start] += 1
            delta[stop] -= 1
    best = running = 0
    for step in delta[:end]:
        running += step
        best = max(best, running)
    return best


def fitting(tests: list[Any]) -> list[list[Any]]:
    """The rule `$and: tests` as rules that each fit a network of their own: its largest `$or`
    split in halves until they do. A fact matches the rule exactly when it matches one of them."""
    alternatives = sum(len(t["$or"]) for t in tests if list(t) == ["$or"])
    if len(tests) + alternatives <= STACK_BUDGET or Network().add({"$and": tests}) is None:
        return [tests]  # alone, a rule needs at most an entry per test and per alternative
    ors = [i for i, t in enumerate(tests) if isinstance(t, dict) and list(t) == ["$or"]]
    widest = max(ors, key=lambda i: len(tests[i]["$or"]), default=None)
    if widest is None or len(tests[widest]["$or"]) < 2:
        raise EngineCompileError(
            "a condition is too large for the engine even on its own; simplify its any/all nesting"
        )
    items = tests[widest]["$or"]
    half = len(items) // 2
    out = []
    for part in (items[:half], items[half:]):
        if len(part) > 1:
            inserted = [{"$or": part}]
        elif isinstance(part[0], dict) and list(part[0]) == ["$and"]:
            inserted = part[0]["$and"]
        else:
            inserted = [part[0]]
        rest = tests[:widest] + tests[widest + 1 :]
        seen = {repr(t) for t in rest}
        out += fitting(rest[:widest] + [t for t in inserted if repr(t) not in seen] + rest[widest:])
    return out
