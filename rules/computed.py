"""Computed values and classification tables: small, closed forms, declared as data.

A computed value is an expression over numbers: constants (or ranges, `{range: [25, 30]}`),
subjects (`ects`, `{element: credits, system: nz_credit}`, `{fact: years}`), and `sum`,
`difference`, `product` and `quotient` (by a constant), `min`, `max`, `round_down` (to a step).
A classification maps combinations of values to a class, the first row that holds winning (or
the best class by priority), with a default or rows that leave no gap.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

from rules.catalogue import APPLICATION, CREDENTIAL, Subject
from rules.declarations import NAME
from rules.errors import Problem, describe, suggest
from rules.numbers import Interval, NumberError, bounds, constant, interval
from rules.policy import Atom, Classification, ClassRow, Computed, Condition, Expr, Group

OPERATIONS = ("sum", "difference", "product", "quotient", "min", "max", "round_down")
NUMERIC = ("decimal", "integer")
MAX_EXPRESSION_NODES = 50
MAX_COMBINATIONS = 20_000


class ComputedReader:
    def __init__(self, parser: Any):
        self.parser = parser
        self.problems: list[Problem] = parser.problems

    def _problem(self, path: str, message: str, given: Any) -> None:
        self.problems.append(Problem(path, f"{message}; got {describe(given)}"))

    def read_all(self, raw: Any, path: str) -> list[Computed]:
        """Declared in order: a value may use those declared before it, never itself."""
        if raw is None:
            return []
        if not isinstance(raw, dict):
            self._problem(path, "expected a mapping of computed values by name", raw)
            return []
        out = []
        catalogue = self.parser.catalogue
        for name, body in raw.items():
            where = f"{path}.{name}"
            if not isinstance(name, str) or not NAME.match(name) or catalogue.get(name):
                self._problem(
                    where, "expected a new name of lower-case letters, digits and _", name
                )
                continue
            if not isinstance(body, dict) or set(body) - {"label", "value", "unit"}:
                self._problem(where, "expected {label, value, unit}", body)
                continue
            scopes: set[str] = set()
            self.nodes = 0
            expr = self.expr(body.get("value"), f"{where}.value", scopes)
            if expr is None:
                continue
            label = body.get("label") if isinstance(body.get("label"), str) else name
            unit = body.get("unit") if isinstance(body.get("unit"), str) else None
            scope = CREDENTIAL if CREDENTIAL in scopes else APPLICATION
            catalogue.add(Subject(name, scope, "computed", name, label, "decimal", unit=unit))
            out.append(Computed(name, label, expr, unit))
        return out

    def expr(self, raw: Any, path: str, scopes: set[str]) -> Expr | None:
        self.nodes += 1
        if self.nodes > MAX_EXPRESSION_NODES:
            self._problem(path, f"an expression has at most {MAX_EXPRESSION_NODES} parts", raw)
            return None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            try:
                return Expr("const", (constant(raw),))
            except NumberError as exc:
                self._problem(path, str(exc), raw)
                return None
        if isinstance(raw, str) or (isinstance(raw, dict) and set(raw) & {"element", "fact"}):
            as_raw = {"element": raw} if isinstance(raw, str) else raw
            subject = self.parser.subject(as_raw, path, CREDENTIAL)
            if subject is None:
                return None
            if subject.type not in NUMERIC:
                self._problem(path, f"{subject.key} is not a number ({subject.type})", raw)
                return None
            scopes.add(subject.scope)
            return Expr("ref", (subject.key,))
        if not isinstance(raw, dict) or len(raw) != 1:
            self._problem(
                path,
                "expected a number, a subject, {range: [a, b]} or one of: " + ", ".join(OPERATIONS),
                raw,
            )
            return None
        ((op, args),) = raw.items()
        if op == "range":
            if not isinstance(args, list) or len(args) != 2:
                self._problem(f"{path}.range", "expected [low, high]", args)
                return None
            try:
                return Expr("const", (interval(constant(args[0]), constant(args[1])),))
            except (NumberError, TypeError) as exc:
                self._problem(f"{path}.range", str(exc), args)
                return None
        if op not in OPERATIONS:
            self._problem(path, f"expected one of: {', '.join(OPERATIONS)}", op)
            self.problems[-1] = Problem(
                self.problems[-1].path, self.problems[-1].message, suggest(op, OPERATIONS)
            )
            return None
        if not isinstance(args, list) or not 2 <= len(args) <= 20:
            self._problem(f"{path}.{op}", "expected a list of 2 to 20 parts", args)
            return None
        parts = [self.expr(a, f"{path}.{op}[{i}]", scopes) for i, a in enumerate(args)]
        if any(p is None for p in parts):
            return None
        if op in ("difference", "quotient", "round_down") and len(parts) != 2:
            self._problem(f"{path}.{op}", "expected exactly two parts", args)
            return None
        if op == "product" and sum(p.op != "const" for p in parts) > 1:
            self._problem(f"{path}.{op}", "a product multiplies by constants only", args)
            return None
        if op in ("quotient", "round_down"):
            divisor = parts[1]
            if divisor.op != "const" or bounds(divisor.args[0])[0] <= 0:
                self._problem(f"{path}.{op}[1]", "expected a constant above 0", args[1])
                return None
            if op == "round_down" and isinstance(divisor.args[0], Interval):
                self._problem(f"{path}.{op}[1]", "a step is one number", args[1])
                return None
        return Expr(op, tuple(parts))


def read_classifications(parser: Any, raw: Any, path: str) -> list[Classification]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        parser._problem(path, "expected a mapping of classifications by name", raw)
        return []
    out = []
    allowed = {"label", "hit", "classes", "rows", "default"}
    catalogue = parser.catalogue
    for name, body in raw.items():
        where = f"{path}.{name}"
        if not isinstance(name, str) or not NAME.match(name) or catalogue.get(name):
            parser._problem(where, "expected a new name of lower-case letters, digits and _", name)
            continue
        if not isinstance(body, dict) or set(body) - allowed:
            parser._problem(where, f"expected {{{', '.join(sorted(allowed))}}}", body)
            continue
        hit = body.get("hit", "first")
        if hit not in ("first", "priority"):
            parser._problem(f"{where}.hit", "expected first or priority", hit)
            continue
        classes = parser.declarations._values(body.get("classes"), f"{where}.classes")
        codes = [c for c, _ in classes]
        rows = []
        for i, row in enumerate(body.get("rows") or []):
            at = f"{where}.rows[{i}]"
            if not isinstance(row, dict) or set(row) - {"id", "when", "class"}:
                parser._problem(at, "expected {id, when, class}", row)
                continue
            if row.get("class") not in codes:
                parser.problems.append(
                    Problem(
                        f"{at}.class",
                        f"expected one of: {', '.join(codes)}",
                        suggest(row.get("class"), codes),
                    )
                )
                continue
            when = parser.group(row.get("when"), f"{at}.when")
            rows.append(ClassRow(str(row.get("id", f"row{i + 1}")), when, row["class"]))
        if not rows:
            parser._problem(f"{where}.rows", "expected at least one row", body.get("rows"))
            continue
        default = body.get("default")
        if default is not None and default not in codes:
            parser._problem(f"{where}.default", f"expected one of: {', '.join(codes)}", default)
            continue
        if default is None:
            gap = find_gap(rows, catalogue)
            if gap:
                parser.problems.append(
                    Problem(f"{where}.rows", f"no row holds when {gap}, and there is no default")
                )
                continue
        label = body.get("label") if isinstance(body.get("label"), str) else name
        scope = (
            APPLICATION
            if all(catalogue[k].scope == APPLICATION for r in rows for k in _keys(r.when))
            else CREDENTIAL
        )
        catalogue.add(Subject(name, scope, "classification", name, label, "code", classes))
        out.append(Classification(name, label, hit, classes, tuple(rows), default))
    return out


def _keys(c: Condition) -> set[str]:
    if isinstance(c, Atom):
        return {c.element}
    return {k for i in c.items for k in _keys(i)}


def find_gap(rows: list[ClassRow], catalogue: Any) -> str | None:
    """A combination of known values no row holds for, if any ("" when rows cover everything).

    Only tables over finite values (codes, ordinals, booleans) can be checked; any other input
    without a default is reported as a possible gap.
    """
    keys = sorted({k for r in rows for k in _keys(r.when)})
    domains = []
    for key in keys:
        subject = catalogue.get(key)
        if subject is None or subject.type not in ("code", "ordinal", "boolean"):
            return f"{key} takes a value no row can be checked against (declare a default)"
        domains.append((True, False) if subject.type == "boolean" else subject.codes())
    total = 1
    for d in domains:
        total *= len(d)
    if total > MAX_COMBINATIONS:
        return f"its {total:,} combinations cannot all be checked (declare a default)"
    for combo in itertools.product(*domains):
        values = dict(zip(keys, combo, strict=True))
        if not any(_holds(r.when, values, catalogue) for r in rows):
            return ", ".join(f"{k} is {v}" for k, v in values.items())
    return None


def _holds(c: Condition, values: dict[str, Any], catalogue: Any) -> bool:
    if isinstance(c, Group):
        found = [_holds(i, values, catalogue) for i in c.items]
        return all(found) if c.kind == "all" else any(found)
    value = values[c.element]
    subject = catalogue[c.element]
    rank = subject.rank if subject.type == "ordinal" else None
    if c.op == "known":
        return True
    if c.op in ("eq", "ne"):
        return (value == c.value) == (c.op == "eq")
    if c.op in ("in", "not_in"):
        return (value in c.value) == (c.op == "in")
    if rank is not None:
        a, b = rank(value), rank(c.value)
        return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[c.op]
    return False


def expression_text(expr: Expr, label_of: Any) -> str:
    """An expression as a reader would say it: "credit value (NZ credits) × 10"."""
    from rules.numbers import text

    if expr.op == "const":
        return text(expr.args[0])
    if expr.op == "ref":
        return label_of(expr.args[0])
    parts = [expression_text(p, label_of) for p in expr.args]
    symbol = {"sum": " + ", "difference": " − ", "product": " × ", "quotient": " ÷ "}.get(expr.op)
    if symbol:
        return "(" + symbol.join(parts) + ")"
    return f"{expr.op.replace('_', ' ')}({', '.join(parts)})"


__all__ = ["ComputedReader", "Fraction", "expression_text", "read_classifications"]
