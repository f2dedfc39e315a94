"""What the engine evaluates: a learner's credentials as plain, typed, validated values.

`models/` builds these from the native JSON/CSV formats (and, later, imported documents); the
engine trusts the types here and re-checks them before anything reaches durable-rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rules.vocabulary import ELEMENTS, PROVENANCE


@dataclass(frozen=True)
class Provenance:
    """Where one element's value came from."""

    kind: str  # one of rules.vocabulary.PROVENANCE
    source: str = ""  # format and path, e.g. "native:credentials[2].ects"
    note: str = ""  # e.g. "inferred from 60 h at 30 h per ECTS"

    def __post_init__(self) -> None:
        if self.kind not in PROVENANCE:
            raise ValueError(f"provenance kind {self.kind!r} is not one of {PROVENANCE}")


@dataclass(frozen=True)
class Credential:
    """One credential: an id unique in its wallet, element values and their provenance.

    An element missing from `values` is unknown (never false). Values have the Python type of
    their element: float (decimal), int, datetime.date, str, or a tuple of str (lists).
    """

    id: str
    values: MappingProxyType[str, Any]
    provenance: MappingProxyType[str, Provenance] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @classmethod
    def of(cls, id: str, values: dict[str, Any], provenance: dict[str, Provenance] | None = None):
        for name, value in values.items():
            check_value(name, value)
        return cls(id, MappingProxyType(dict(values)), MappingProxyType(dict(provenance or {})))

    def get(self, element: str) -> Any:
        return self.values.get(element)


@dataclass(frozen=True)
class Wallet:
    """A learner's credentials; `learner_key` is pseudonymous, never a name."""

    learner_key: str
    credentials: tuple[Credential, ...]


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "decimal": (float, int),
    "integer": (int,),
    "date": (dt.date,),
    "country": (str,),
    "text": (str,),
    "code": (str,),
    "isced": (str,),
    "text_list": (tuple,),
    "uri_list": (tuple,),
}


def check_value(name: str, value: Any) -> None:
    """Raise TypeError if a value does not have its element's type (a programming error)."""
    element = ELEMENTS.get(name)
    if element is None:
        raise TypeError(f"unknown credential element {name!r}")
    ok = isinstance(value, _PY_TYPES[element.type]) and not isinstance(value, bool)
    if ok and element.type.endswith("_list"):
        ok = all(isinstance(v, str) for v in value)
    if ok and element.type == "date":
        ok = not isinstance(value, dt.datetime)
    if not ok:
        raise TypeError(f"{name}: expected {element.type}, got {type(value).__name__}")
