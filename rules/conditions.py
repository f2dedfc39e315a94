"""Parse and type-check the condition lists of a policy (`when`, `applies_to`, `checks`, ...).

Conditions are checked against the closed vocabulary here, once, so the engine never sees a value
of the wrong type (durable-rules would compare the string "abc" with a number and say it is larger).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from rules.errors import Problem, describe, suggest
from rules.policy import Atom, Condition, Group
from rules.vocabulary import ELEMENTS, OPERATORS, RULE_ELEMENTS, VOCABULARIES

MAX_DEPTH = 4
MAX_LIST = 100  # longer value lists would exceed what the engine may hang off one condition
_ISCED = re.compile(r"^[0-9]{2,4}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_ATOM_KEYS = {"element", "op", "value", "share"}
_GROUP_KEYS = {"all", "any", "equivalent_to"}


class ConditionParser:
    """Turns the raw condition lists of one document into typed `Group`s, collecting problems."""

    def __init__(self, equivalences: Mapping[str, Group] | None = None):
        self.problems: list[Problem] = []
        self.equivalences = dict(equivalences or {})
        self.references: list[tuple[str, str]] = []  # (path, module) of equivalent_to uses

    def group(self, raw: Any, path: str, kind: str = "all", depth: int = 0) -> Group:
        if not isinstance(raw, list):
            self._problem(path, "expected a list of conditions", raw)
            return Group(kind, ())
        if not raw:
            self._problem(path, "expected at least one condition", raw)
        if depth > MAX_DEPTH:
            self._problem(path, f"conditions nest deeper than {MAX_DEPTH} levels", raw)
            return Group(kind, ())
        items = [self.item(x, f"{path}[{i}]", depth) for i, x in enumerate(raw)]
        return Group(kind, tuple(x for x in items if x is not None))

    def item(self, raw: Any, path: str, depth: int) -> Condition | None:
        if not isinstance(raw, dict):
            self._problem(path, "expected a condition (a mapping with element, op, value)", raw)
            return None
        keys = set(raw)
        if keys & _GROUP_KEYS:
            return self._group_item(raw, path, depth)
        unknown = keys - _ATOM_KEYS
        for key in sorted(unknown, key=str):
            self.problems.append(
                Problem(
                    f"{path}.{key}",
                    "unknown key; a condition has element, op, value (and share for covers), "
                    "or is a group: all / any / equivalent_to",
                    suggest(key, sorted(_ATOM_KEYS | _GROUP_KEYS)),
                )
            )
        if unknown:
            return None
        return self.atom(raw, path)

    def _group_item(self, raw: dict, path: str, depth: int) -> Condition | None:
        if len(raw) != 1:
            self._problem(path, "a group has exactly one key: all, any or equivalent_to", raw)
            return None
        ((key, value),) = raw.items()
        if key == "equivalent_to":
            if not isinstance(value, str) or not value:
                self._problem(f"{path}.equivalent_to", "expected a module code", value)
                return None
            self.references.append((f"{path}.equivalent_to", value))
            return Group("any", (), label=f"equivalent to {value}")
        return self.group(value, f"{path}.{key}", key, depth + 1)

    def atom(self, raw: dict, path: str) -> Atom | None:
        name = raw.get("element")
        element = ELEMENTS.get(name) if isinstance(name, str) else None
        op_name = raw.get("op")
        op = OPERATORS.get(op_name) if isinstance(op_name, str) else None
        if element is None or not element.usable_in_rules:
            why = "is personal data and cannot be used in a rule" if element else "is not known"
            self.problems.append(
                Problem(
                    f"{path}.element",
                    f"element {describe(name)} {why}; expected one of: {', '.join(RULE_ELEMENTS)}",
                    suggest(name, RULE_ELEMENTS),
                )
            )
        if op is None:
            self.problems.append(
                Problem(
                    f"{path}.op",
                    f"operator {describe(op_name)} is not known; expected one of: "
                    f"{', '.join(OPERATORS)}",
                    suggest(op_name, OPERATORS),
                )
            )
        if element is None or op is None or not element.usable_in_rules:
            return None
        if element.type not in op.types:
            usable = [o.name for o in OPERATORS.values() if element.type in o.types]
            self._problem(
                f"{path}.op",
                f"operator '{op.name}' does not apply to {element.name} ({element.type}); "
                f"expected one of: {', '.join(usable)}",
                op_name,
            )
            return None
        share = self._share(raw, path, op.name)
        if op.value == "none":
            if "value" in raw:
                self._problem(f"{path}.value", f"'{op.name}' takes no value", raw["value"])
                return None
            return Atom(element.name, op.name)
        if "value" not in raw:
            self._problem(f"{path}.value", f"'{op.name}' needs a value", None)
            return None
        value = self._value(raw["value"], f"{path}.value", element.name, op.value)
        if value is _INVALID:
            return None
        return Atom(element.name, op.name, value, share)

    def _share(self, raw: dict, path: str, op: str) -> float | None:
        if "share" not in raw:
            return 1.0 if op == "covers" else None
        share = raw["share"]
        if op != "covers":
            self._problem(f"{path}.share", "share is only used with the 'covers' operator", share)
        elif not _is_number(share) or not 0 < share <= 1:
            self._problem(f"{path}.share", "expected a number above 0 and at most 1", share)
        else:
            return float(share)
        return None

    def _value(self, raw: Any, path: str, element: str, shape: str) -> Any:
        if shape == "years":
            if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 100:
                self._problem(path, "expected a whole number of years from 1 to 100", raw)
                return _INVALID
            return raw
        if shape == "prefix":
            if not isinstance(raw, str) or not re.fullmatch(r"[0-9]{2,3}", raw):
                self._problem(path, "expected a 2- or 3-digit ISCED-F code, as a string", raw)
                return _INVALID
            return raw
        if shape == "list":
            if not isinstance(raw, list) or not raw or len(raw) > MAX_LIST:
                self._problem(path, f"expected a list of 1 to {MAX_LIST} values", raw)
                return _INVALID
            values = [self._scalar(v, f"{path}[{i}]", element) for i, v in enumerate(raw)]
            if any(v is _INVALID for v in values):
                return _INVALID
            return tuple(sorted(set(values), key=_sort_key))
        return self._scalar(raw, path, element)

    def _scalar(self, raw: Any, path: str, element_name: str) -> Any:
        element = ELEMENTS[element_name]
        kind = element.type
        if kind in ("decimal", "integer"):
            ok = _is_number(raw) and (kind == "decimal" or isinstance(raw, int))
            if ok and element.minimum is not None and raw < element.minimum:
                ok = False
            if ok and element.maximum is not None and raw > element.maximum:
                ok = False
            if not ok:
                self._problem(path, f"expected {_range_text(element)} for {element.name}", raw)
                return _INVALID
            return int(raw) if kind == "integer" else float(raw)
        if kind == "date":
            if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
                return raw
            try:
                return dt.date.fromisoformat(raw) if isinstance(raw, str) else _INVALID
            except ValueError:
                pass
            self._problem(path, "expected an ISO date (YYYY-MM-DD)", raw)
            return _INVALID
        if kind == "isced" and not (isinstance(raw, str) and _ISCED.match(raw)):
            self._problem(path, "expected an ISCED-F code of 2 to 4 digits, as a string", raw)
            return _INVALID
        if not isinstance(raw, str) or not raw:
            self._problem(path, f"expected a non-empty string for {element.name}", raw)
            return _INVALID
        if kind == "country" and not _COUNTRY.match(raw):
            self._problem(path, "expected an ISO 3166-1 alpha-2 country code such as 'SE'", raw)
            return _INVALID
        if kind == "code":
            codes = VOCABULARIES[element.vocabulary or ""].codes()
            if raw not in codes:
                self.problems.append(
                    Problem(
                        path,
                        f"{describe(raw)} is not a {element.label} code; expected one of: "
                        f"{', '.join(codes)}",
                        suggest(raw, codes),
                    )
                )
                return _INVALID
        return raw

    def _problem(self, path: str, message: str, given: Any) -> None:
        self.problems.append(Problem(path, f"{message}; got {describe(given)}"))


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


_INVALID = _Invalid()


def _is_number(raw: Any) -> bool:
    return isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw == raw


def _sort_key(value: Any) -> tuple[str, str]:
    return (type(value).__name__, str(value))


def _range_text(element: Any) -> str:
    kind = "a whole number" if element.type == "integer" else "a number"
    if element.minimum is not None and element.maximum is not None:
        return f"{kind} from {element.minimum:g} to {element.maximum:g}"
    if element.minimum is not None:
        return f"{kind} of at least {element.minimum:g}"
    return kind


def resolve_equivalences(group: Group, tables: Mapping[str, Group]) -> Group:
    """Replace `equivalent_to` placeholders by the equivalence table's conditions."""
    items: list[Condition] = []
    for item in group.items:
        if isinstance(item, Group) and item.label and item.label.startswith("equivalent to "):
            module = item.label.removeprefix("equivalent to ")
            items.append(Group("any", tables[module].items, item.label))
        elif isinstance(item, Group):
            items.append(Group(item.kind, resolve_equivalences(item, tables).items, item.label))
        else:
            items.append(item)
    return Group(group.kind, tuple(items), group.label)
