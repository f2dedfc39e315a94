"""Turn credentials into the typed facts durable-rules sees, and their effective values.

Every value is checked against its element type before it goes near the engine: durable-rules
compares across types silently (`ects >= 5` is true for the string "abc").
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType
from typing import Any

from engine.compile import CompiledPolicy, Derived, fact_value
from engine.inputs import Credential, Provenance, check_value
from engine.semantics import shift_years
from rules.policy import Settings
from rules.vocabulary import ELEMENTS


def effective(credential: Credential, settings: Settings) -> Credential:
    """The credential as rules see it: ECTS inferred from hours when only hours are known."""
    hours = credential.get("workload_hours")
    if credential.get("ects") is not None or hours is None:
        return credential
    ects = round(hours / settings.hours_per_ects, 2)
    values = dict(credential.values, ects=ects)
    source = credential.provenance.get("workload_hours")
    note = f"inferred from {hours:g} h at {settings.hours_per_ects:g} h per ECTS"
    provenance = dict(
        credential.provenance,
        ects=Provenance("inferred", source.source if source else "workload_hours", note),
    )
    return Credential(credential.id, MappingProxyType(values), MappingProxyType(provenance))


def derived_value(d: Derived, credential: Credential, as_of: dt.date) -> Any:
    """The value of a derived field, or None when the element is absent (→ unknown)."""
    atom = d.atom
    value = credential.get(atom.element)
    if value is None:
        return None
    if atom.op == "within_years":
        earliest = shift_years(as_of, -atom.value).toordinal()
        day = value.toordinal()
        return int(earliest <= day <= as_of.toordinal())
    if atom.op == "starts_with":
        prefix = atom.value
        if value[: len(prefix)] == prefix:
            return 1
        too_coarse = len(value) < len(prefix) and prefix[: len(value)] == value
        return None if too_coarse else 0
    folded = _folded_set(atom.element, value)
    if atom.op == "covers":
        return sum(1 for v in set(atom.value) if _fold(atom.element, v) in folded)
    present = _fold(atom.element, atom.value) in folded
    return int(present if atom.op == "contains" else not present)


def build_facts(
    compiled: CompiledPolicy, credentials: list[Credential], as_of: dt.date
) -> list[dict[str, Any]]:
    """One fact per credential per rule group (the engine backend adds sid and id)."""
    facts = []
    short = compiled.short
    for index, credential in enumerate(credentials):
        body: dict[str, Any] = {}
        for name in compiled.fields:
            value = credential.get(name)
            if value is not None:
                check_value(name, value)
                body[short[name]] = fact_value(name, value)
        for d in compiled.derived:
            value = derived_value(d, credential, as_of)
            if value is not None:
                body[d.field] = value
        for g, names in enumerate(compiled.group_fields):
            # Each copy carries only what its rules test: matches come back with the whole
            # fact, and parsing that JSON was most of the cost of matching.
            fact = {"g": g, "c": index}
            fact.update((k, body[k]) for k in names if k in body)
            facts.append(fact)
    return facts


def _fold(element: str, value: str) -> str:
    return value.strip().casefold() if ELEMENTS[element].type == "text_list" else value


def _folded_set(element: str, values: tuple[str, ...]) -> set[str]:
    return {_fold(element, v) for v in values}
