"""Typed declarations: the elements, applicant facts and request choices a policy adds.

A declaration is data (`rules.policy.Declared`): a name, a type from the closed list, values with
labels for codes, a unit for decimals, a label and help, and what absence means. It is checked
here, once; conditions on it are then typed like those on Annex I elements.
"""

from __future__ import annotations

import re
from typing import Any

from rules.errors import Problem, describe, suggest
from rules.policy import Declared
from rules.vocabulary import ELEMENTS, RESERVED_FACT_FIELDS

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DECLARABLE = (
    "text",
    "code",
    "ordinal",
    "integer",
    "decimal",
    "date",
    "boolean",
    "uri",
    "country",
    "isced",
    "level",
    "credits",
    "grade",
    "list",
)
LIST_ITEMS = {
    "text": "text_list",
    "uri": "uri_list",
    "code": "code_list",
    "country": "country_list",
}
LIST_ITEMS["isced"] = "isced_list"
MAX_VALUES = 200
_KEYS = {"type", "of", "values", "unit", "scheme", "label", "help", "if_absent"}


class DeclarationReader:
    """Reads `{NAME: declaration}` mappings, collecting every problem with its path."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems

    def _problem(self, path: str, message: str, given: Any, hint: str | None = None) -> None:
        self.problems.append(Problem(path, f"{message}; got {describe(given)}", hint))

    def read_all(self, raw: Any, path: str, taken: set[str]) -> list[Declared]:
        if raw is None:
            return []
        if not isinstance(raw, dict):
            self._problem(path, "expected a mapping of declarations by name", raw)
            return []
        out = []
        for name, body in raw.items():
            where = f"{path}.{name}"
            if not isinstance(name, str) or not NAME.match(name):
                self._problem(where, "expected a name of lower-case letters, digits and _", name)
                continue
            if name in ELEMENTS or name in RESERVED_FACT_FIELDS or name in taken:
                what = "an Annex I or built-in element" if name in ELEMENTS else "already declared"
                self._problem(where, f"the name is {what}; choose another", name)
                continue
            if name == "provenance":  # wallets and cases say where values came from under it
                self._problem(where, "the name is reserved for provenance; choose another", name)
                continue
            found = self.read(name, body, where)
            if found is not None:
                taken.add(name)
                out.append(found)
        return out

    def read(self, name: str, raw: Any, path: str) -> Declared | None:
        if not isinstance(raw, dict):
            self._problem(path, "expected a declaration with at least `type`", raw)
            return None
        for key in sorted(set(raw) - _KEYS, key=str):
            self.problems.append(Problem(f"{path}.{key}", "unknown key", suggest(key, _KEYS)))
        kind = raw.get("type")
        if kind not in DECLARABLE:
            hint = suggest(kind, DECLARABLE)
            self._problem(f"{path}.type", f"expected one of: {', '.join(DECLARABLE)}", kind, hint)
            return None
        item = raw.get("of")
        if kind == "list":
            if item not in LIST_ITEMS:
                self._problem(f"{path}.of", f"expected one of: {', '.join(LIST_ITEMS)}", item)
                return None
            kind = LIST_ITEMS[item]
        elif item is not None:
            self._problem(f"{path}.of", "only a list has `of`", item)
        coded = kind in ("code", "ordinal", "code_list")
        values = self._values(raw.get("values"), f"{path}.values") if coded else ()
        if coded and not values:
            if "values" not in raw:
                self._problem(f"{path}.values", f"a {kind} needs its values", None)
            return None
        if not coded and "values" in raw:
            self._problem(f"{path}.values", "only code, ordinal and list of code take values", 0)
        unit = raw.get("unit")
        if unit is not None and (kind != "decimal" and kind != "integer" or not _short(unit)):
            self._problem(f"{path}.unit", "a unit (short text) belongs to a number", unit)
            unit = None
        if "scheme" in raw:  # the scheme a grade's plain numbers or codes are in
            if kind != "grade" or not _short(raw["scheme"]):
                why = "a grade scheme's id belongs to a grade"
                self._problem(f"{path}.scheme", why, raw["scheme"])
            else:
                unit = raw["scheme"]  # checked against the scales by the builder
        absent = raw.get("if_absent", "unknown")
        if absent not in ("unknown", "not_met"):
            self._problem(f"{path}.if_absent", "expected unknown or not_met", absent)
            absent = "unknown"
        label = raw.get("label", name.replace("_", " "))
        if not _short(label):
            self._problem(f"{path}.label", "expected text of 1 to 200 characters", label)
            label = name
        help_text = raw.get("help", "")
        if not isinstance(help_text, str) or len(help_text) > 1000:
            self._problem(f"{path}.help", "expected text of at most 1,000 characters", help_text)
            help_text = ""
        return Declared(name, kind, label, help_text, values, unit, absent)

    def _values(self, raw: Any, path: str) -> tuple[tuple[str, str], ...]:
        """{code: label} (in order), [code, ...] or [{code, label}, ...]."""
        if isinstance(raw, dict):
            pairs = list(raw.items())
        elif isinstance(raw, list):
            pairs = []
            for item in raw:
                if isinstance(item, dict) and set(item) <= {"code", "label"} and "code" in item:
                    pairs.append((item["code"], item.get("label", item["code"])))
                else:
                    pairs.append((item, item))
        else:
            self._problem(path, "expected {code: label, ...} or a list of codes", raw)
            return ()
        if not 1 <= len(pairs) <= MAX_VALUES:
            self._problem(path, f"expected 1 to {MAX_VALUES} values", raw)
            return ()
        out, seen = [], set()
        for code, label in pairs:
            code = str(code) if isinstance(code, int) and not isinstance(code, bool) else code
            if not isinstance(code, str) or not code or len(code) > 100 or code in seen:
                self._problem(path, "expected distinct codes of 1 to 100 characters", code)
                continue
            seen.add(code)
            out.append((code, label if _short(label) else code))
        return tuple(out)


def _short(text: Any) -> bool:
    return isinstance(text, str) and 0 < len(text.strip()) <= 200
