"""What the engine evaluates: a learner's credentials as plain, typed, validated values, the
applicant's facts and the request.

`models/` builds these from the native JSON/CSV formats and imported documents; the engine
trusts the types here and re-checks them before anything reaches durable-rules. Elements a policy
declares travel untyped in `extensions` (and facts in `applicant`) until the evaluation types them
against that policy's declarations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from rules.vocabulary import ELEMENTS, FACT_PROVENANCE, PROVENANCE


@dataclass(frozen=True)
class Provenance:
    """Where one element's value came from."""

    kind: str  # one of rules.vocabulary.PROVENANCE
    source: str = ""  # format and path, e.g. "native:credentials[2].ects"
    note: str = ""  # e.g. "inferred from 60 h at 30 h per ECTS"

    def __post_init__(self) -> None:
        if self.kind not in PROVENANCE and self.kind not in FACT_PROVENANCE:
            raise ValueError(f"provenance kind {self.kind!r} is not one of {PROVENANCE}")


@dataclass(frozen=True)
class Credits:
    """Credit in a credit system: `{system: nz_credit, value: 15}`."""

    system: str
    value: Fraction


@dataclass(frozen=True)
class Level:
    """A level in a qualifications framework: `{framework: scqf, level: "9"}`."""

    framework: str
    level: str


@dataclass(frozen=True)
class Grade:
    """A grade in a scheme (`maximum` for points); a grade without a scheme stays text."""

    scheme: str
    value: str | Fraction
    maximum: Fraction | None = None


STRUCTURED = {"credits": Credits, "level": Level, "grade": Grade}


@dataclass(frozen=True)
class Credential:
    """One credential: an id unique in its wallet, element values and their provenance.

    An element missing from `values` is unknown (never false). Values have the Python type of
    their element: Fraction or float (decimal), int, datetime.date, str, a tuple of str (lists),
    or Credits / Level / Grade (or str, for a grade without a scheme). `extensions` holds what
    the policy declares, as written (JSON values, or text from CSV cells).
    """

    id: str
    values: MappingProxyType[str, Any]
    provenance: MappingProxyType[str, Provenance] = field(
        default_factory=lambda: MappingProxyType({})
    )
    extensions: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(
        cls,
        id: str,
        values: dict[str, Any],
        provenance: dict[str, Provenance] | None = None,
        extensions: dict[str, Any] | None = None,
    ):
        for name, value in values.items():
            check_value(name, value)
        return cls(
            id,
            MappingProxyType(dict(values)),
            MappingProxyType(dict(provenance or {})),
            MappingProxyType(dict(extensions or {})),
        )

    def get(self, element: str) -> Any:
        return self.values.get(element)


@dataclass(frozen=True)
class RequestItem:
    """One thing asked for: a request kind, what it names (`for`), the credential it is about,
    and the applicant's choices (typed against the policy at evaluation)."""

    id: str
    kind: str
    names: str | None = None
    credential: str | None = None
    choices: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Request:
    items: tuple[RequestItem, ...]
    date: dt.date | None = None  # the request (application) date; the as-of date by default


@dataclass(frozen=True)
class Wallet:
    """A learner's credentials; `learner_key` is pseudonymous, never a name. `applicant` holds
    the applicant's facts as written, `applicant_provenance` where some of them came from;
    `request` what was asked (None: evaluate everything)."""

    learner_key: str
    credentials: tuple[Credential, ...]
    applicant: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    request: Request | None = None
    complete_on: dt.date | None = None  # unused by the engine; kept with the case
    applicant_provenance: MappingProxyType[str, Provenance] = field(
        default_factory=lambda: MappingProxyType({})
    )


_PY_TYPES: dict[str, tuple[type, ...]] = {
    "decimal": (float, int, Fraction),
    "integer": (int,),
    "date": (dt.date,),
    "country": (str,),
    "text": (str,),
    "code": (str,),
    "isced": (str,),
    "text_list": (tuple,),
    "uri_list": (tuple,),
    "credits": (Credits,),
    "level": (Level,),
    "grade": (Grade, str),
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


# --- plain data for the worker boundary (MappingProxyType does not pickle) -------------------


def to_plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, Fraction):
        return {"$fraction": [value.numerator, value.denominator]}
    for tag, kind in STRUCTURED.items():
        if isinstance(value, kind):
            return {f"${tag}": [to_plain(getattr(value, f)) for f in kind.__dataclass_fields__]}
    if isinstance(value, tuple):
        return [to_plain(v) for v in value]  # element lists: read back as tuples
    if isinstance(value, (list, MappingProxyType, dict)):
        if isinstance(value, list):
            return [to_plain(v) for v in value]
        return {"$map": {k: to_plain(v) for k, v in value.items()}}
    return value


def from_plain(value: Any) -> Any:
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    if not isinstance(value, dict) or len(value) != 1:
        return value
    ((tag, body),) = value.items()
    if tag == "$date":
        return dt.date.fromisoformat(body)
    if tag == "$fraction":
        return Fraction(*body)
    if tag == "$tuple":
        return tuple(from_plain(v) for v in body)
    if tag == "$map":
        return {k: from_plain(v) for k, v in body.items()}
    kind = STRUCTURED.get(tag[1:])
    if kind is not None:
        return kind(*(from_plain(v) for v in body))
    return value


def wallet_to_plain(wallet: Wallet) -> dict[str, Any]:
    request = wallet.request
    sources = {k: [p.kind, p.source, p.note] for k, p in wallet.applicant_provenance.items()}
    return ({"applicant_provenance": sources} if sources else {}) | {
        "learner_key": wallet.learner_key,
        "credentials": [
            {
                "id": c.id,
                "values": {k: to_plain(v) for k, v in c.values.items()},
                "provenance": {k: [p.kind, p.source, p.note] for k, p in c.provenance.items()},
                "extensions": to_plain(dict(c.extensions)),
            }
            for c in wallet.credentials
        ],
        "applicant": to_plain(dict(wallet.applicant)),
        "request": None
        if request is None
        else {
            "date": to_plain(request.date),
            "items": [
                [i.id, i.kind, i.names, i.credential, to_plain(dict(i.choices))]
                for i in request.items
            ],
        },
    }


def wallet_from_plain(data: dict[str, Any]) -> Wallet:
    def value(v: Any) -> Any:
        found = from_plain(v)
        return tuple(found) if isinstance(found, list) else found  # lists before the tags

    creds = tuple(
        Credential.of(
            c["id"],
            {k: value(v) for k, v in c["values"].items()},
            {k: Provenance(*p) for k, p in c["provenance"].items()},
            from_plain(c.get("extensions") or {"$map": {}}),
        )
        for c in data["credentials"]
    )
    raw_request = data.get("request")
    request = None
    if raw_request is not None:
        items = tuple(
            RequestItem(i, k, n, c, MappingProxyType(from_plain(ch)))
            for i, k, n, c, ch in raw_request["items"]
        )
        request = Request(items, from_plain(raw_request["date"]))
    applicant = from_plain(data.get("applicant") or {"$map": {}})
    sources = {k: Provenance(*p) for k, p in (data.get("applicant_provenance") or {}).items()}
    return Wallet(
        data["learner_key"],
        creds,
        MappingProxyType(applicant),
        request,
        applicant_provenance=MappingProxyType(sources),
    )
