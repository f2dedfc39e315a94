"""Fields of the native format beyond Annex I's flat elements: structured values (credits,
framework levels, grades), the elements a policy declares (`extensions`, typed only when a policy
reads them), and what an applicant asks for (`request`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from types import MappingProxyType
from typing import Any

from marshmallow import ValidationError, fields

from engine.inputs import Credits, Grade, Level, Provenance, Request, RequestItem
from models.credentials.fields import (
    _BAD_CHARS,
    _DECIMAL_TEXT,
    MAX_LIST_ITEMS,
    MAX_TEXT,
    DateField,
    ElementField,
    _range,
    _text,
    in_range,
)
from models.errors import expected
from rules.numbers import exact
from rules.vocabulary import ELEMENTS, FACT_PROVENANCE

_SCALE_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_EXTENSION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_:#./-]{0,199}$")
MAX_EXTENSIONS = 100


class StructuredField(ElementField):
    """credits {system, value}, framework_level {framework, level}, grade (text or {scheme,
    value[, max]}). CSV cells write "system:value", "framework:level" and "scheme:value".
    Which systems, frameworks and schemes exist is the policy's business (it may declare its
    own); here only the shape is checked."""

    KEYS = {"credits": ("system", "value"), "level": ("framework", "level")}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        kind = self.element.type
        if kind == "grade":
            return self._grade(value)
        first, second = self.KEYS[kind]
        if self.text and isinstance(value, str) and ":" in value:
            a, _, b = value.partition(":")
            value = {first: a.strip(), second: b.strip()}
        what = f"{{{first}, {second}}}" + (f' (in a cell: "{first}:{second}")' if self.text else "")
        if not isinstance(value, dict) or set(value) != {first, second}:
            raise ValidationError(expected(what, value))
        scale = value[first]
        if not isinstance(scale, str) or not _SCALE_ID.fullmatch(scale):
            raise ValidationError(expected(f"a {first} id such as 'ects' or 'nzqf'", scale))
        if kind == "credits":
            amount = value["value"]
            if isinstance(amount, str) and _DECIMAL_TEXT.fullmatch(amount):
                amount = float(amount)
            if isinstance(amount, bool) or not isinstance(amount, (int, float)):
                raise ValidationError(expected("a number of credits", value["value"]))
            if not in_range(self.element, amount):
                what = f"a number of credits{_range(self.element)}"
                raise ValidationError(expected(what, value["value"]))
            return Credits(scale, exact(amount))
        level = value["level"]
        level = str(level) if isinstance(level, int) and not isinstance(level, bool) else level
        return Level(scale, _text(level, "a level code", 20))

    def _grade(self, value: Any) -> Any:
        if isinstance(value, str) and not (self.text and ":" in value):
            return _text(value, "a grade", 200).strip()
        if isinstance(value, str):
            scheme, _, grade = value.partition(":")
            value = {"scheme": scheme.strip(), "value": grade.strip()}
        if not isinstance(value, dict) or not {"scheme", "value"} <= set(value) <= {
            "scheme", "value", "max",
        }:  # fmt: skip
            raise ValidationError(expected("text, or {scheme, value} (points: + max)", value))
        scheme = value["scheme"]
        if not isinstance(scheme, str) or not _SCALE_ID.fullmatch(scheme):
            raise ValidationError(expected("a grade scheme id such as 'ects_grade'", scheme))
        grade = value["value"]
        top = value.get("max")
        numbers = [
            x for x in (grade, top) if isinstance(x, (int, float)) and not isinstance(x, bool)
        ]
        if isinstance(grade, str):
            if _DECIMAL_TEXT.fullmatch(grade) and top is not None:
                grade = float(grade)
            else:
                return Grade(scheme, _text(grade, "a grade", 40).strip())
        if len(numbers) != (2 if top is not None else 1) or not all(map(math.isfinite, numbers)):
            raise ValidationError(expected("a grade and its maximum as numbers", value))
        if not all(in_range(self.element, x) for x in numbers):
            what = f"a grade (and maximum) as numbers{_range(self.element)}"
            raise ValidationError(expected(what, value))
        return Grade(scheme, exact(grade), exact(top) if top is not None else None)


def extension_name(name: str) -> bool:
    return bool(_EXTENSION_NAME.fullmatch(name))


class ExtensionsField(fields.Field):
    """Elements a policy may declare, as written: {name: value}. Typed when a policy reads them."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if not isinstance(value, dict) or len(value) > MAX_EXTENSIONS:
            what = f"an object of at most {MAX_EXTENSIONS} declared elements {{name: value}}"
            raise ValidationError(expected(what, value))
        errors = {}
        for name, item in value.items():
            if not _EXTENSION_NAME.fullmatch(name):
                errors[name] = [expected("a name of letters, digits and _ : # . / -", name)]
            elif not _plain_value(item):
                errors[name] = [expected("text, a number, true/false, a list or an object", item)]
        if errors:
            raise ValidationError(errors)
        return {k: v for k, v in value.items() if v is not None}


def applicant_from(value: Any) -> tuple[dict[str, Any], dict[str, Provenance]]:
    """The applicant's facts `{name: value, …}` (typed when a policy reads them) and, under
    `provenance`, where some came from: `{name: {kind, source, note}}` with kind one of
    stated, document, verified, finding."""
    if isinstance(value, dict) and "provenance" in value:
        facts = {k: v for k, v in value.items() if k != "provenance"}
        stated = value["provenance"]
    else:
        facts, stated = value, {}
    errors: dict[str, Any] = {}
    try:
        facts = ExtensionsField().deserialize(facts)
    except ValidationError as exc:
        errors.update(exc.messages)  # type: ignore[arg-type]
    sources, problems = _fact_sources(stated, facts if isinstance(facts, dict) else {})
    if problems:
        errors["provenance"] = problems
    if errors:
        raise ValidationError(errors)
    return facts, sources


def _fact_sources(stated: Any, facts: dict) -> tuple[dict[str, Provenance], dict[str, Any]]:
    kinds = ", ".join(FACT_PROVENANCE)
    what = "an object {fact: {kind, source, note}}"
    if not isinstance(stated, dict):
        return {}, {"_schema": [expected(what, stated)]}
    sources, problems = {}, {}
    for name, entry in stated.items():
        if name not in facts:
            problems[name] = [expected("the name of a fact given above", name)]
            continue
        if not isinstance(entry, dict) or not set(entry) <= {"kind", "source", "note"}:
            problems[name] = [expected("{kind, source, note}", entry)]
            continue
        kind = entry.get("kind")
        if kind not in FACT_PROVENANCE:
            problems[name] = {"kind": [expected(f"one of {kinds}", kind)]}
            continue
        try:
            texts = [_text(entry[k]) if entry.get(k) else "" for k in ("source", "note")]
        except ValidationError as exc:
            problems[name] = exc.messages
            continue
        sources[name] = Provenance(kind, *texts)
    return sources, problems


def _plain_value(value: Any, depth: int = 0) -> bool:
    if depth > 3:
        return False
    if value is None or isinstance(value, (bool, int)):
        return True
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return True  # YAML (policy examples) writes dates as dates
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return len(value) <= MAX_TEXT and not _BAD_CHARS.search(value)
    if isinstance(value, list):
        return len(value) <= MAX_LIST_ITEMS and all(_plain_value(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return len(value) <= 50 and all(
            isinstance(k, str) and _plain_value(v, depth + 1) for k, v in value.items()
        )
    return False


REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")
_ITEM_KEYS = ("id", "request", "for", "credential", "choices")


def request_from(value: Any) -> Request:
    """`{date?, items: [{id?, request, for?, credential?, choices?}]}` → engine `Request`."""
    if not isinstance(value, dict) or not set(value) <= {"date", "items"} or "items" not in value:
        raise ValidationError(
            expected("{date, items: [{request, for, credential, choices}]}", value)
        )
    errors: dict[Any, Any] = {}
    day = None
    if value.get("date") is not None:
        try:
            day = DateField(ELEMENTS["issued_on"]).deserialize(value["date"])
        except ValidationError as exc:
            errors["date"] = exc.messages
    items = value["items"]
    if not isinstance(items, list) or not 1 <= len(items) <= 50:
        raise ValidationError({"items": [expected("a list of 1 to 50 request items", items)]})
    out, seen = [], set()
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "request" not in item:
            errors[f"items[{i}]"] = [expected("{request, for, credential, choices}", item)]
            continue
        unknown = [k for k in item if k not in _ITEM_KEYS]
        ids = [
            item.get(k) for k in ("id", "request", "for", "credential") if item.get(k) is not None
        ]
        bad = [x for x in ids if not isinstance(x, str) or not REQUEST_ID.fullmatch(x)]
        choices = item.get("choices", {})
        if unknown or bad or not isinstance(choices, dict) or not _plain_value(choices):
            what = "{request, for, credential, choices} with ids of letters, digits and _ . : -"
            errors[f"items[{i}]"] = [expected(what, unknown or bad or choices)]
            continue
        item_id = item.get("id") or f"r{i + 1}"
        if item_id in seen:
            errors[f"items[{i}].id"] = [expected("an id not used by another item", item_id)]
            continue
        seen.add(item_id)
        out.append(
            RequestItem(
                item_id,
                item["request"],
                item.get("for"),
                item.get("credential"),
                MappingProxyType(dict(choices)),
            )  # fmt: skip
        )
    if errors:
        raise ValidationError(errors)
    return Request(tuple(out), day)
