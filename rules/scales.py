"""Qualifications frameworks, credit systems and grade schemes: the scales credentials are
written in, as data.

The built-in ones are read from `rules/data/*.yaml` (each entry cites its source); a policy (or
an organisation's vocabulary file) can declare more with the same shape. Conversions are exact:
a credit system defines its hours per credit (a number, or a range where the source gives one)
and, where the source fixes it, its ECTS per credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from rules.errors import Problem, describe
from rules.numbers import Interval, Number, NumberError, constant, interval

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Level:
    code: str
    label: str
    eqf: int | None  # the EQF level it is referenced to; None: not referenced


@dataclass(frozen=True)
class Framework:
    id: str
    title: str
    levels: tuple[Level, ...]  # lowest first
    source: str = ""
    note: str = ""

    def rank(self, code: str) -> int | None:
        for i, level in enumerate(self.levels):
            if level.code == code:
                return i
        return None

    def codes(self) -> tuple[str, ...]:
        return tuple(level.code for level in self.levels)

    def level(self, code: str) -> Level | None:
        rank = self.rank(code)
        return None if rank is None else self.levels[rank]


@dataclass(frozen=True)
class CreditSystem:
    id: str
    title: str
    unit: str  # what one credit is called: "ECTS credit", "NZ credit", ...
    hours: Number | None  # notional learning hours per credit
    ects: Fraction | None  # ECTS per credit, where the source fixes it
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class Grade:
    code: str
    label: str
    percent: Number | None = None  # where the scheme maps this grade onto 0–100


@dataclass(frozen=True)
class GradeScheme:
    """Either an ordered list of grades (worst first), or a numeric range with a direction."""

    id: str
    title: str
    grades: tuple[Grade, ...] = ()
    minimum: Fraction | None = None
    maximum: Fraction | None = None
    higher_is_better: bool = True
    pass_mark: str | Fraction | None = None
    per_credential_maximum: bool = False  # "points": the maximum travels with each grade
    source: str = ""

    @property
    def numeric(self) -> bool:
        return not self.grades

    def rank(self, code: str) -> int | None:
        for i, grade in enumerate(self.grades):
            if grade.code == code:
                return i
        return None

    def codes(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.grades)


class ScaleReader:
    """Reads framework / credit system / grade scheme declarations, collecting problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def _problem(self, path: str, message: str, given: Any) -> None:
        self.problems.append(Problem(path, f"{message}; got {describe(given)}"))

    def _text(self, raw: dict, key: str, path: str, required: bool = True) -> str:
        value = raw.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip() or len(value) > 500:
            self._problem(f"{path}.{key}", "expected text of 1 to 500 characters", value)
            return ""
        return value

    def _keys(self, raw: Any, path: str, allowed: set[str]) -> bool:
        if not isinstance(raw, dict):
            self._problem(path, "expected a mapping", raw)
            return False
        for key in sorted(set(raw) - allowed, key=str):
            self.problems.append(Problem(f"{path}.{key}", "unknown key"))
        return True

    def number(self, raw: Any, path: str, positive: bool = False) -> Number | None:
        """A number, or {min, max} for a range the source defines."""
        try:
            if isinstance(raw, dict) and set(raw) == {"min", "max"}:
                value = interval(constant(raw["min"]), constant(raw["max"]))
            else:
                value = constant(raw)
        except NumberError as exc:
            self._problem(path, f"{exc}; a number or {{min, max}}", raw)
            return None
        low = value.lo if isinstance(value, Interval) else value
        if positive and low <= 0:
            self._problem(path, "expected a number above 0", raw)
            return None
        return value

    def framework(self, key: str, raw: Any, path: str) -> Framework | None:
        if not self._keys(raw, path, {"title", "levels", "source", "note"}):
            return None
        levels, seen = [], set()
        items = raw.get("levels")
        if not isinstance(items, list) or not items or len(items) > 50:
            self._problem(
                f"{path}.levels", "expected a list of 1 to 50 levels, lowest first", items
            )
            items = []
        for i, item in enumerate(items):
            where = f"{path}.levels[{i}]"
            if not self._keys(item, where, {"code", "label", "eqf"}):
                continue
            code = item.get("code")
            code = str(code) if isinstance(code, int) and not isinstance(code, bool) else code
            if not isinstance(code, str) or not code or code in seen:
                self._problem(f"{where}.code", "expected a level code used once", item.get("code"))
                continue
            seen.add(code)
            eqf = item.get("eqf")
            if eqf is not None and (isinstance(eqf, bool) or eqf not in range(1, 9)):
                self._problem(f"{where}.eqf", "expected an EQF level 1 to 8, or nothing", eqf)
                eqf = None
            levels.append(Level(code, self._text(item, "label", where, False) or code, eqf))
        return Framework(
            key,
            self._text(raw, "title", path),
            tuple(levels),
            self._text(raw, "source", path, False),
            self._text(raw, "note", path, False),
        )

    def credit_system(self, key: str, raw: Any, path: str) -> CreditSystem | None:
        if not self._keys(raw, path, {"title", "unit", "hours", "ects", "source", "note"}):
            return None
        hours = self.number(raw["hours"], f"{path}.hours", True) if "hours" in raw else None
        ects = None
        if "ects" in raw:
            found = self.number(raw["ects"], f"{path}.ects", True)
            if isinstance(found, Interval):
                self._problem(f"{path}.ects", "expected one number of ECTS per credit", raw["ects"])
            else:
                ects = found
        if hours is None and ects is None:
            self._problem(
                path, "a credit system needs hours per credit, ECTS per credit or both", raw
            )
        return CreditSystem(
            key,
            self._text(raw, "title", path),
            self._text(raw, "unit", path, False) or key,
            hours,
            ects,
            self._text(raw, "source", path, False),
            self._text(raw, "note", path, False),
        )

    def grade_scheme(self, key: str, raw: Any, path: str) -> GradeScheme | None:
        allowed = {"title", "grades", "minimum", "maximum", "higher_is_better", "pass", "source"}
        if not self._keys(raw, path, allowed | {"per_credential_maximum"}):
            return None
        grades: list[Grade] = []
        items = raw.get("grades")
        if items is not None:
            if not isinstance(items, list) or not 2 <= len(items) <= 100:
                self._problem(f"{path}.grades", "expected 2 to 100 grades, worst first", items)
                items = []
            seen: set[str] = set()
            for i, item in enumerate(items):
                where = f"{path}.grades[{i}]"
                if not self._keys(item, where, {"code", "label", "percent"}):
                    continue
                code = item.get("code")
                if not isinstance(code, str) or not code or code in seen:
                    self._problem(f"{where}.code", "expected a grade code used once", code)
                    continue
                seen.add(code)
                pct = (
                    self.number(item["percent"], f"{where}.percent") if "percent" in item else None
                )
                grades.append(Grade(code, self._text(item, "label", where, False) or code, pct))
        low = self.number(raw["minimum"], f"{path}.minimum") if "minimum" in raw else None
        high = self.number(raw["maximum"], f"{path}.maximum") if "maximum" in raw else None
        per_credential = raw.get("per_credential_maximum") is True
        if not grades and not per_credential and (low is None or high is None):
            self._problem(path, "a grade scheme needs grades, or a minimum and a maximum", raw)
        if isinstance(low, Interval) or isinstance(high, Interval):
            self._problem(path, "minimum and maximum are single numbers", raw)
            low = high = None
        better = raw.get("higher_is_better", True)
        if not isinstance(better, bool):
            self._problem(f"{path}.higher_is_better", "expected true or false", better)
            better = True
        pass_mark: str | Fraction | None = None
        if "pass" in raw:
            if grades:
                pass_mark = raw["pass"] if raw["pass"] in seen else None
                if pass_mark is None:
                    self._problem(
                        f"{path}.pass", "expected one of the scheme's grades", raw["pass"]
                    )
            else:
                found = self.number(raw["pass"], f"{path}.pass")
                pass_mark = found if not isinstance(found, Interval) else None
        return GradeScheme(
            key,
            self._text(raw, "title", path),
            tuple(grades),
            low,
            high,
            better,
            pass_mark,
            per_credential,
            self._text(raw, "source", path, False),
        )

    def read_all(self, kind: str, raw: Any, path: str) -> dict[str, Any]:
        reader = {
            "frameworks": self.framework,
            "credit_systems": self.credit_system,
            "grade_schemes": self.grade_scheme,
        }[kind]
        if not isinstance(raw, dict):
            self._problem(path, f"expected a mapping of {kind.replace('_', ' ')} by id", raw)
            return {}
        out = {}
        for key, value in raw.items():
            if not isinstance(key, str) or not key.replace("_", "").isalnum():
                self._problem(path, "expected an id of letters, digits and _", key)
                continue
            found = reader(key, value, f"{path}.{key}")
            if found is not None:
                out[key] = found
        return out


@cache
def built_in(kind: str) -> MappingProxyType[str, Any]:
    """The built-in frameworks, credit systems or grade schemes (read once)."""
    raw = yaml.safe_load((DATA / f"{kind}.yaml").read_text(encoding="utf-8"))
    reader = ScaleReader()
    found = reader.read_all(kind, raw, kind)
    if reader.problems:  # a broken data file is a programming error, not a user's
        raise ValueError("; ".join(str(p) for p in reader.problems))
    return MappingProxyType(found)
