"""marshmallow schemas of the native credential format: one strict field class per element type.

The same fields read JSON values and CSV cells: `credential_schema(text=True)` is the variant whose
fields parse text cells (numbers written with digits, list items separated by "|"). Fields return
exactly the Python types `engine.inputs.check_value` expects; JSON null means "absent".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validates_schema

from models.credentials.terms import (
    ALPHA3_TO_ALPHA2,
    COUNTRY_URI,
    match_country,
    match_term,
    term_index,
    words,
)
from models.errors import expected, suggest
from rules.vocabulary import ELEMENTS, PROVENANCE, VOCABULARIES, Element

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
        return f" from {low:g} to {high:g}"
    return f" ≥ {low:g}" if low is not None else ""


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


class IdField(fields.Field):
    """The credential id: text, unique in its wallet (checked by the caller, across credentials)."""

    def __init__(self, what: str = "the credential's id as text", **kwargs: Any):
        messages = {
            "required": f"expected {what}; it is missing",
            "null": f"expected {what}; got None",
        }
        super().__init__(required=True, error_messages=messages, **kwargs)
        self.what = what

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _text(value, self.what, MAX_ID).strip()


class TextOnly(fields.Field):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _text(value)


class KindField(fields.Field):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if value in PROVENANCE:
            return value
        raise ValidationError(
            expected(f"one of {', '.join(PROVENANCE)}", value, suggest(value, PROVENANCE))
        )


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ProvenanceEntrySchema(Strict):
    kind = KindField(required=True, error_messages={"required": "expected a kind; it is missing"})
    source = TextOnly()
    note = TextOnly()


_ENTRY = ProvenanceEntrySchema()


def load_closed(schema: Schema, value: Any, what: str) -> dict:
    """Load a small object with fixed keys, naming each unknown key with a "did you mean"."""
    if not isinstance(value, dict):
        raise ValidationError(expected(what, value))
    keys = tuple(schema.fields)
    errors: dict[Any, Any] = {
        key: [expected(f"one of the keys {', '.join(keys)}", key, suggest(key, keys))]
        for key in value
        if key not in keys
    }
    try:
        loaded = schema.load({k: v for k, v in value.items() if k in keys})
    except ValidationError as exc:
        errors.update(exc.messages)  # type: ignore[arg-type]
    if errors:
        raise ValidationError(errors)
    return loaded


class ProvenanceField(fields.Field):
    """{element name: {kind, source, note}}: where each value came from."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if not isinstance(value, dict):
            raise ValidationError(expected("an object {element: {kind, source, note}}", value))
        loaded, errors = {}, {}
        for name, entry in value.items():
            try:
                if name not in ELEMENTS:
                    what = "a credential element name"
                    raise ValidationError(expected(what, name, suggest(name, ELEMENTS)))
                loaded[name] = load_closed(_ENTRY, entry, "an object {kind, source, note}")
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)
        return loaded


class _CredentialBase(Strict):
    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _provenance_agrees(self, data: dict, original: Any, **kwargs: Any) -> None:
        """kind "absent" exactly when the element has no value, so provenance never contradicts."""
        stated = original.get("provenance") if isinstance(original, dict) else None
        errors = {}
        for name, entry in stated.items() if isinstance(stated, dict) else ():
            kind = entry.get("kind") if isinstance(entry, dict) else None
            if name not in ELEMENTS or kind not in PROVENANCE:
                continue  # reported by ProvenanceField
            if original.get(name) is not None and kind == "absent":
                errors[name] = [
                    expected("a kind other than 'absent' for an element with a value", kind)
                ]
            elif original.get(name) is None and kind != "absent":
                errors[name] = [
                    expected("'absent' (or no entry) for an element without a value", kind)
                ]
        if errors:
            raise ValidationError({"provenance": errors})

    @post_load
    def _split(self, data: dict, **kwargs: Any) -> dict:
        values = {k: v for k, v in data.items() if k in ELEMENTS and v is not None}
        return {"id": data["id"], "values": values, "provenance": data.get("provenance", {})}


_FIELDS = {
    "decimal": NumberField, "integer": NumberField, "date": DateField, "country": CountryField,
    "text": TextField, "code": CodeField, "isced": IscedField, "text_list": ListField,
    "uri_list": ListField,
}  # fmt: skip


@cache
def credential_schema(text: bool = False) -> Schema:
    """The schema of one credential; `text=True` reads CSV cells (and has no provenance key).

    Loading returns {"id", "values" (absent elements left out), "provenance" (as stated)}.
    """
    declared: dict[str, fields.Field] = {
        name: _FIELDS[element.type](element, text) for name, element in ELEMENTS.items()
    }
    declared["id"] = IdField()
    if not text:
        declared["provenance"] = ProvenanceField()
    name = "CsvCredentialSchema" if text else "CredentialSchema"
    return _CredentialBase.from_dict(declared, name=name)()


CREDENTIAL_KEYS = ("id", "provenance", *ELEMENTS)


LEARNER_ID = IdField("the learner's id as text")


class LearnerSchema(Strict):
    """The wallet's learner: personal data, read only to derive the pseudonymous key."""

    id = LEARNER_ID
    name = TextOnly()


class LearnerField(fields.Field):
    default_error_messages = {"null": 'expected an object with "id" and optional "name"; got None'}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        return load_closed(LearnerSchema(), value, 'an object {"id": …, "name": …}')


class CredentialListField(fields.Field):
    """The raw list of credentials; each one is loaded separately so its path is known."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if not isinstance(value, list):
            raise ValidationError(expected("a list of credential objects", value))
        if len(value) > MAX_CREDENTIALS:
            raise ValidationError(
                f"expected at most {MAX_CREDENTIALS:,} credentials in a wallet; got {len(value):,}"
            )
        return value


class WalletSchema(Strict):
    learner = LearnerField()  # optional: policy examples need no learner; it is then "anonymous"
    credentials = CredentialListField(
        required=True, error_messages={"required": "expected a list of credentials; it is missing"}
    )
