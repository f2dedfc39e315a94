"""One strict marshmallow field class per element type of the native credential format.

The same fields read JSON values and CSV cells (`text=True`: numbers written with digits, list
items separated by "|"). Fields return exactly the Python types `engine.inputs.check_value`
expects; JSON null means "absent".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from marshmallow import ValidationError, fields

from models.credentials.terms import (
    ALPHA3_TO_ALPHA2,
    COUNTRY_URI,
    match_country,
    match_term,
    term_index,
    words,
)
from models.errors import expected, suggest
from rules.vocabulary import VOCABULARIES, Element

MAX_TEXT = 10_000  # characters in one text value or list item
MAX_LIST_ITEMS = 1_000
MAX_ID = 200
MAX_CREDENTIALS = 5_000  # per wallet
LIST_SEPARATOR = "|"

_DECIMAL_TEXT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")
_INTEGER_TEXT = re.compile(r"[0-9]{1,9}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISCED = re.compile(r"[0-9]{2,4}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# Lone surrogates (possible through JSON "\ud800" escapes) cannot be stored as UTF-8; NUL breaks
# C-level consumers (SQLite text, the rule engine's JSON).
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def _range(element: Element) -> str:
    low, high = element.minimum, element.maximum
    if low is not None and high is not None:
        return f" from {shown(low)} to {shown(high)}"
    return f" ≥ {shown(low)}" if low is not None else ""


def shown(number: float) -> str:
    """A range end as written in a message: 10000, not 1e+04."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def in_range(element: Element, number: Any) -> bool:
    """A finite number within the element's range (a structured element: of its number)."""
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return False
    if isinstance(number, float) and not math.isfinite(number):
        return False
    return _in_range(element, number)


def _in_range(element: Element, number: float) -> bool:
    low, high = element.minimum, element.maximum
    return (low is None or number >= low) and (high is None or number <= high)


def _text(value: Any, what: str = "non-empty text", limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(expected(what, value))
    if len(value) > limit:
        raise ValidationError(expected(f"{what} of at most {limit:,} characters", value))
    bad = _BAD_CHARS.search(value)
    if bad:
        raise ValidationError(
            expected(f"{what} without the character U+{ord(bad.group()):04X}", value)
        )
    return value


class ElementField(fields.Field):
    """Base of the element fields: reads a JSON value, or a CSV cell when `text` is set."""

    def __init__(self, element: Element, text: bool = False, **kwargs: Any):
        super().__init__(allow_none=True, **kwargs)  # JSON null = absent, dropped after loading
        self.element = element
        self.text = text


class NumberField(ElementField):
    """decimal → float, integer → int: a JSON number (never a string or a boolean), or digits."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        whole = self.element.type == "integer"
        what = f"a {'whole ' if whole else ''}number{_range(self.element)}"
        if self.text:
            cell = value.strip() if isinstance(value, str) else ""
            pattern = _INTEGER_TEXT if whole else _DECIMAL_TEXT
            if not pattern.fullmatch(cell):
                fix = cell.replace(",", ".")  # a decimal comma: suggest the point
                fix = fix if not whole and pattern.fullmatch(fix) else None
                raise ValidationError(expected(f"{what}, written in digits", value, fix))
            number: float = int(cell) if whole else float(cell)
        elif isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            raise ValidationError(expected(what, value))  # 6.5 is an error, not 6; "5" too
        else:
            try:
                number = value if whole else float(value)
            except OverflowError:  # an integer too large for a float
                number = math.inf
        if not math.isfinite(number) or not _in_range(self.element, number):
            raise ValidationError(expected(what, value))
        return number


class DateField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        # Parsed YAML (policy examples) already holds dates; a datetime is not a date here.
        if not self.text and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str) and _DATE.fullmatch(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass  # 2024-02-30 and the like
        raise ValidationError(expected("a date written YYYY-MM-DD", value))


class CountryField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        found = match_country(value) if isinstance(value, str) else None
        if found:
            return found[0]
        alpha2 = ALPHA3_TO_ALPHA2.get(value.strip().upper()) if isinstance(value, str) else None
        what = f"an ISO 3166-1 alpha-2 country code such as 'SE', or a URI {COUNTRY_URI}SWE"
        raise ValidationError(expected(what, value, alpha2))


class TextField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _text(value).strip() if self.text else _text(value)


class CodeField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        name = self.element.vocabulary or ""
        found = match_term(name, value) if isinstance(value, str) else None
        if found:
            return found[0]
        codes = VOCABULARIES[name].codes()
        spellings = term_index(name)
        known = [s for s in spellings if ":" not in s]  # suggest codes and labels, not URIs
        guess = suggest(words(value), known) if isinstance(value, str) else None
        what = f"one of {', '.join(codes)} (or a term's label or EU vocabulary URI)"
        raise ValidationError(expected(what, value, spellings[guess][0] if guess else None))


class IscedField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and _ISCED.fullmatch(value.strip()):
            return value.strip()
        raise ValidationError(
            expected('an ISCED-F code of 2 to 4 digits as text, e.g. "0613"', value)
        )


class ListField(ElementField):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple:
        uri = self.element.type == "uri_list"
        item_what = "an absolute URI (scheme:…)" if uri else "non-empty text"
        if self.text:
            if not isinstance(value, str):
                raise ValidationError(expected(f"items separated by {LIST_SEPARATOR}", value))
            items: list[Any] = [item.strip() for item in value.split(LIST_SEPARATOR)]
        elif isinstance(value, list):
            items = value
        else:
            raise ValidationError(expected(f"a list of {item_what} items", value))
        if len(items) > MAX_LIST_ITEMS:
            raise ValidationError(f"expected at most {MAX_LIST_ITEMS} items; got {len(items)}")
        errors: dict[int, list[str]] = {}
        for i, item in enumerate(items):
            try:
                _text(item, item_what)
                if uri and not _URI.fullmatch(item):
                    raise ValidationError(expected(item_what, item))
            except ValidationError as exc:
                errors[i] = exc.messages  # type: ignore[assignment]
        if errors and self.text:  # a cell has no [i] paths: say which item instead
            raise ValidationError([f"item {i + 1}: {m[0]}" for i, m in errors.items()])
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]
        return tuple(items)
