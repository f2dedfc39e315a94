"""Type what a wallet carries for one policy: declared elements, applicant facts, the request.

Declared elements arrive untyped (`Credential.extensions`: JSON values, or text from CSV cells),
applicant facts likewise (`Wallet.applicant`). Here they are checked against the policy's
declarations; every problem is collected with its path and raised together as one
`EvaluationInputError`, so nothing half-typed reaches the engine. A request item that asks for
something the policy does not offer is not an error: it is answered "no applicable rule".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from engine.conversions import grade_number
from engine.errors import EvaluationInputError
from engine.inputs import Credential, Credits, Grade, Level, Provenance, RequestItem, Wallet
from rules.catalogue import Scales
from rules.numbers import LIMIT, NumberError, exact
from rules.numbers import text as shown
from rules.policy import Declared, Policy, RequestKind
from rules.vocabulary import ELEMENTS, Element

MAX_TEXT = 10_000
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_ISCED = re.compile(r"^[0-9]{2,4}$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_DECIMAL = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{1,12})?$")
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")
# NUL breaks C-level consumers (the rule engine's JSON); lone surrogates cannot be UTF-8.
_BAD = re.compile("[\x00\ud800-\udfff]")
_TEXT = f"text of 1 to {MAX_TEXT:,} characters, without NUL or lone surrogates"


class _Bad(Exception):
    def __init__(self, message: str):
        self.message = message


def typed(decl: Declared, raw: Any, scales: Scales) -> Any:
    """`raw` as a value of the declared type; raises _Bad with what was expected."""
    kind = decl.type
    if kind.endswith("_list"):
        items = raw.split("|") if isinstance(raw, str) else raw
        if not isinstance(items, list) or len(items) > 1000:
            raise _Bad("expected a list (or items separated by |)")
        item = Declared(decl.name, kind.removesuffix("_list"), decl.label, values=decl.values)
        return tuple(
            sorted({typed(item, x.strip() if isinstance(x, str) else x, scales) for x in items})
        )
    if kind in ("text", "uri"):
        if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_TEXT or _BAD.search(raw):
            raise _Bad(f"expected {_TEXT}")
        if kind == "uri" and not _URI.match(raw.strip()):
            raise _Bad("expected an absolute URI")
        return raw.strip()
    if kind in ("code", "ordinal"):
        text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
        if isinstance(text, str):
            for code, label in decl.values:
                if text.strip() == code or text.strip().casefold() == label.casefold():
                    return code
        raise _Bad(f"expected one of: {', '.join(c for c, _ in decl.values)}")
    if kind == "integer":
        if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            raw = int(raw.strip())
        if isinstance(raw, bool) or not isinstance(raw, int) or abs(raw) > LIMIT:
            raise _Bad(f"expected a whole number from -{LIMIT} to {LIMIT}")
        return raw
    if kind == "decimal":
        try:
            if isinstance(raw, str) and _DECIMAL.match(raw.strip()):
                return exact(float(raw.strip())) if "." in raw else exact(int(raw.strip()))
            return exact(raw)
        except NumberError:
            raise _Bad(f"expected a number from -{LIMIT} to {LIMIT}") from None
    if kind == "date":
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            return raw
        if isinstance(raw, str):
            try:
                return dt.date.fromisoformat(raw.strip())
            except ValueError:
                pass
        raise _Bad("expected a date written YYYY-MM-DD")
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        word = raw.strip().casefold() if isinstance(raw, str) else None
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise _Bad("expected true or false")
    if kind == "country":
        if isinstance(raw, str) and _COUNTRY.match(raw.strip()):
            return raw.strip().upper()
        raise _Bad("expected an ISO 3166-1 alpha-2 country code such as 'SE'")
    if kind == "isced":
        if isinstance(raw, str) and _ISCED.match(raw.strip()):
            return raw.strip()
        raise _Bad("expected an ISCED-F code of 2 to 4 digits, as text")
    if kind == "grade" and decl.unit is not None and not isinstance(raw, dict):
        raw = {"scheme": decl.unit, "value": raw}  # the scheme the policy declares for it
    return structured(kind, raw, scales)


def structured(kind: str, raw: Any, scales: Scales) -> Any:
    """credits {system, value}, level {framework, level}, grade {scheme, value[, max]} or text."""
    if isinstance(raw, str) and kind in ("credits", "level") and ":" in raw:
        first, _, second = raw.partition(":")
        raw = {"system": first, "value": second} if kind == "credits" else {
            "framework": first, "level": second,
        }  # fmt: skip
    if kind == "grade" and isinstance(raw, str):
        if not raw.strip() or len(raw) > 200:
            raise _Bad("expected a grade")
        return raw.strip()
    if not isinstance(raw, dict):
        raise _Bad({
            "credits": "expected {system, value}",
            "level": "expected {framework, level}",
            "grade": "expected text, or {scheme, value} (points: {scheme, value, max})",
        }[kind])  # fmt: skip
    if kind == "credits":
        system = raw.get("system")
        if set(raw) != {"system", "value"} or system not in scales.credit_systems:
            raise _Bad(
                f"expected {{system, value}} with a system from: {', '.join(scales.credit_systems)}"
            )
        value = raw["value"]
        try:
            amount = exact(float(value) if isinstance(value, str) else value)
        except (NumberError, ValueError):
            amount = None
        if amount is None or not _in_range(ELEMENTS["credits"], amount):
            raise _Bad(f"expected a number of credits{_range(ELEMENTS['credits'])}")
        return Credits(system, amount)
    if kind == "level":
        framework = scales.frameworks.get(raw.get("framework"))
        level = raw.get("level")
        level = str(level) if isinstance(level, int) and not isinstance(level, bool) else level
        if set(raw) != {"framework", "level"} or framework is None:
            known = ", ".join(scales.frameworks)
            raise _Bad(f"expected {{framework, level}} with a framework from: {known}")
        if level not in framework.codes():
            raise _Bad(f"expected a {framework.title} level: {', '.join(framework.codes())}")
        return Level(framework.id, level)
    scheme = scales.grade_schemes.get(raw.get("scheme"))
    if not set(raw) <= {"scheme", "value", "max"} or scheme is None or "value" not in raw:
        raise _Bad(
            f"expected {{scheme, value}} with a scheme from: {', '.join(scales.grade_schemes)}"
        )
    if scheme.numeric:
        try:
            value = grade_number(raw["value"], scheme)
            top = grade_number(raw["max"], scheme) if "max" in raw else None
        except ValueError as exc:
            raise _Bad(f"expected a {scheme.title} grade: {exc}") from None
        if scheme.per_credential_maximum and (top is None or top <= 0 or value > top):
            raise _Bad("points need a maximum above 0 and a value up to it: {scheme, value, max}")
        return Grade(scheme.id, value, top)
    code = str(raw["value"])
    if code not in scheme.codes():
        raise _Bad(f"expected a {scheme.title} grade: {', '.join(scheme.codes())}")
    return Grade(scheme.id, code)


@dataclass(frozen=True)
class Bound:
    """What one evaluation works on, typed for its policy."""

    declared: tuple[dict[str, Any], ...]  # per credential (id order): declared element values
    facts: dict[str, Any]  # "fact:NAME" → value
    items: tuple[tuple[RequestItem, RequestKind | None, dict[str, Any]], ...]  # + typed choices
    unused_facts: tuple[str, ...]
    fact_sources: dict[str, Provenance] = field(default_factory=dict)  # "fact:NAME" → where from


def _range(element: Element) -> str:
    low, high = (int(x) if x is not None else None for x in (element.minimum, element.maximum))
    if low is not None and high is not None:
        return f" from {low} to {high}"
    return f" of at least {low}" if low is not None else f" from -{LIMIT} to {LIMIT}"


def _in_range(element: Element, number: Any) -> bool:
    if isinstance(number, bool) or not isinstance(number, (int, float, Fraction)):
        return False
    if isinstance(number, float) and not math.isfinite(number):
        return False
    low, high = element.minimum, element.maximum
    return (
        abs(number) <= LIMIT and (low is None or number >= low) and (high is None or number <= high)
    )


def element_problems(credential: Credential) -> list[str]:
    """Values of a credential's own elements outside their documented range: intake refuses
    them, but credentials made in code or by an importer come here too."""
    problems = []
    for name, value in credential.values.items():
        element = ELEMENTS[name]
        numbers: tuple = ()
        if element.type in ("decimal", "integer"):
            numbers = (value,)
        elif isinstance(value, Credits):
            numbers = (value.value,)
        elif isinstance(value, Grade) and not isinstance(value.value, str):
            numbers = tuple(x for x in (value.value, value.maximum) if x is not None)
        bad = next((x for x in numbers if not _in_range(element, x)), _NONE)
        if bad is not _NONE:
            what = "a whole number" if element.type == "integer" else "a number"
            given = shown(bad) if isinstance(bad, Fraction) else repr(bad)
            where = f"credentials[{credential.id}].{name}"
            problems.append(f"{where}: expected {what}{_range(element)}; got {given:.60}")
        if isinstance(value, str):
            unsafe = len(value) > MAX_TEXT or _BAD.search(value) is not None
        elif isinstance(value, tuple):
            unsafe = any(
                isinstance(x, str) and (len(x) > MAX_TEXT or _BAD.search(x)) for x in value
            )
        else:
            unsafe = False
        if unsafe:
            problems.append(f"credentials[{credential.id}].{name}: expected {_TEXT}")
    return problems


_NONE = object()  # no number out of range


def bind(policy: Policy, wallet: Wallet, credentials: list[Credential]) -> Bound:
    scales = policy.catalogue.scales
    problems: list[str] = [p for c in credentials for p in element_problems(c)]
    by_name = {d.name: d for d in _declared(policy, "declared")}
    sources = {}  # declared element → the extension keys that fill it, own name first
    for name in by_name:
        sources[name] = [name] + [term for term, element in policy.mappings if element == name]
    declared = []
    for c in credentials:
        values = {}
        for name, decl in by_name.items():
            key = next((k for k in sources[name] if k in c.extensions), None)
            if key is None or c.extensions[key] in (None, ""):
                continue
            try:
                values[name] = typed(decl, c.extensions[key], scales)
            except _Bad as bad:
                given = repr(c.extensions[key])[:60]
                problems.append(f"credentials[{c.id}].extensions.{key}: {bad.message}; got {given}")
        declared.append(values)
    facts = {}
    wanted = {d.name: d for d in _declared(policy, "fact")}
    for name, raw in wallet.applicant.items():
        decl = wanted.get(name)
        if decl is None or raw in (None, ""):
            continue
        try:
            facts[f"fact:{name}"] = typed(decl, raw, scales)
        except _Bad as bad:
            problems.append(f"applicant.{name}: {bad.message}; got {raw!r:.60}")
    items = []
    chosen: dict[str, tuple[str, Any]] = {}
    ids = {c.id for c in credentials}
    for item in wallet.request.items if wallet.request else ():
        kind = next((r for r in policy.requests if r.id == item.kind), None)
        if item.credential is not None and item.credential not in ids:
            problems.append(
                f"request.items[{item.id}].credential: no credential '{item.credential}'"
            )
        choices = {}
        for choice in kind.choices if kind else ():
            raw = item.choices.get(choice.name)
            if raw is None:
                continue
            try:
                choices[f"choice:{choice.name}"] = typed(choice, raw, scales)
            except _Bad as bad:
                problems.append(f"request.items[{item.id}].choices.{choice.name}: {bad.message}")
        for key, value in choices.items():
            other = chosen.setdefault(key, (item.id, value))
            if other[1] != value:
                problems.append(
                    f"request.items[{item.id}].choices.{key[7:]}: item {other[0]} chose "
                    f"{other[1]!r}; the items of one request share their choices (open separate "
                    "cases for different choices)"
                )
        items.append((item, kind, choices))
    if problems:
        raise EvaluationInputError("; ".join(problems[:50]))
    unused = tuple(sorted(set(wallet.applicant) - set(wanted)))
    sources = {
        f"fact:{name}": p
        for name, p in wallet.applicant_provenance.items()
        if f"fact:{name}" in facts
    }
    return Bound(tuple(declared), facts, tuple(items), unused, sources)


def _declared(policy: Policy, source: str) -> list[Declared]:
    cat = policy.catalogue
    out = []
    for s in cat.subjects.values():
        if s.source == source:
            out.append(Declared(s.name, s.type, s.label, s.help, s.values, s.unit, s.if_absent))
    return out
