"""Typed constants in conditions and tables, and the word tokens text tests compare.

A value written in a policy is checked against the type of what it is compared with, so that
the engine never compares across types. Decimals become exact fractions (`rules.numbers`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from fractions import Fraction
from typing import Any

from rules.errors import Problem, describe, suggest
from rules.numbers import LIMIT, NumberError, constant

MAX_LIST = 100  # longer value lists would exceed what the engine may hang off one condition
_ISCED = re.compile(r"^[0-9]{2,4}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_WORD = re.compile(r"[0-9a-z]+")


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


INVALID = _Invalid()


def words(text: str) -> tuple[str, ...]:
    """Whole words of a text, without case or accents: "Diplôma in Data" → (diploma, in, data)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return tuple(_WORD.findall(plain))


def mentions(text_words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether the words contain the phrase as consecutive whole words."""
    n = len(phrase)
    first = phrase[0]
    return any(
        text_words[i] == first and text_words[i : i + n] == phrase
        for i in range(len(text_words) - n + 1)
    )


def is_number(raw: Any) -> bool:
    return isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw == raw


def sort_key(value: Any) -> tuple[str, str]:
    return (type(value).__name__, str(value))


class ValueReader:
    """Reads constants against a subject's type (anything with type, values, label, bounds)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems

    def _problem(self, path: str, message: str, given: Any) -> None:
        self.problems.append(Problem(path, f"{message}; got {describe(given)}"))

    def number(self, raw: Any) -> Fraction:
        return constant(raw)

    def fraction(self, raw: Any, path: str) -> Fraction | None:
        if not is_number(raw):
            self._problem(path, "expected a number", raw)
            return None
        try:
            return constant(raw)
        except NumberError as exc:
            self._problem(path, str(exc), raw)
            return None

    def scalars(self, raw: Any, path: str, subject: Any, item_type: str | None = None) -> Any:
        if not isinstance(raw, list) or not raw or len(raw) > MAX_LIST:
            self._problem(path, f"expected a list of 1 to {MAX_LIST} values", raw)
            return INVALID
        values = [self.scalar(v, f"{path}[{i}]", subject, item_type) for i, v in enumerate(raw)]
        if any(v is INVALID for v in values):
            return INVALID
        return tuple(sorted(set(values), key=sort_key))

    def scalar(self, raw: Any, path: str, subject: Any, item_type: str | None = None) -> Any:
        kind = item_type or subject.type
        name = getattr(subject, "key", "") or getattr(subject, "name", "")
        if kind in ("decimal", "integer"):
            return self._number(raw, path, subject, kind, name)
        if kind == "date":
            if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
                return raw
            try:
                if isinstance(raw, str):
                    return dt.date.fromisoformat(raw)
            except ValueError:
                pass
            self._problem(path, "expected an ISO date (YYYY-MM-DD)", raw)
            return INVALID
        if kind == "boolean":
            if not isinstance(raw, bool):
                self._problem(path, "expected true or false", raw)
                return INVALID
            return raw
        if kind == "isced" and not (isinstance(raw, str) and _ISCED.match(raw)):
            self._problem(path, "expected an ISCED-F code of 2 to 4 digits, as a string", raw)
            return INVALID
        if kind == "ordinal" and isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)  # framework levels are written 7 as often as "7"
        if not isinstance(raw, str) or not raw:
            self._problem(path, f"expected a non-empty string for {name}", raw)
            return INVALID
        if kind == "country" and not _COUNTRY.match(raw):
            self._problem(path, "expected an ISO 3166-1 alpha-2 country code such as 'SE'", raw)
            return INVALID
        if kind == "uri" and not _URI.match(raw):
            self._problem(path, "expected an absolute URI", raw)
            return INVALID
        if kind in ("code", "ordinal"):
            codes = subject.codes()
            if raw not in codes:
                label = getattr(subject, "label", name)
                shown = ", ".join(codes[:40]) + (", ..." if len(codes) > 40 else "")
                self.problems.append(
                    Problem(
                        path,
                        f"{describe(raw)} is not a {label} code; expected one of: {shown}",
                        suggest(raw, codes),
                    )
                )
                return INVALID
        return raw

    def _number(self, raw: Any, path: str, subject: Any, kind: str, name: str) -> Any:
        low, high = getattr(subject, "minimum", None), getattr(subject, "maximum", None)
        ok = is_number(raw) and (kind == "decimal" or isinstance(raw, int))
        if ok and low is not None and raw < low:
            ok = False
        if ok and high is not None and raw > high:
            ok = False
        if not ok:
            self._problem(path, f"expected {_range_text(kind, low, high)} for {name}", raw)
            return INVALID
        if kind == "integer":
            if abs(raw) > LIMIT:
                self._problem(path, f"expected a whole number from -{LIMIT} to {LIMIT}", raw)
                return INVALID
            return int(raw)
        try:
            return constant(raw)
        except NumberError as exc:
            self._problem(path, str(exc), raw)
            return INVALID


def _range_text(kind: str, low: float | None, high: float | None) -> str:
    what = "a whole number" if kind == "integer" else "a number"
    if low is not None and high is not None:
        return f"{what} from {_shown(low)} to {_shown(high)}"
    if low is not None:
        return f"{what} of at least {_shown(low)}"
    return what


def _shown(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"
