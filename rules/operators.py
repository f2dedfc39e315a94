"""The closed list of comparisons a condition can make, with the value types each applies to."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from rules.vocabulary import LIST_TYPES, SCALAR_TYPES, STRUCTURED_TYPES


@dataclass(frozen=True)
class Operator:
    """A comparison a condition can make, with the element types it applies to."""

    name: str
    symbol: str
    types: tuple[str, ...]
    # What the value must be: "scalar", "list" (of scalars), "years", "prefix", "phrases",
    # "none" (no value).
    value: str
    help: str
    extra: tuple[str, ...] = field(default=())


ORDERED = ("decimal", "integer", "date", "ordinal")
_EQUAL = SCALAR_TYPES
_MEMBER = tuple(t for t in SCALAR_TYPES if t != "boolean")
_TEXTS = ("text", "text_list")

_OPERATORS = (
    Operator("eq", "=", _EQUAL, "scalar", "equals the value"),
    Operator("ne", "≠", _EQUAL, "scalar", "differs from the value"),
    Operator("gt", ">", ORDERED, "scalar", "greater than (later than, for dates; better, ranks)"),
    Operator("gte", "≥", ORDERED, "scalar", "at least (on or after, for dates)"),
    Operator("lt", "<", ORDERED, "scalar", "less than (earlier than, for dates)"),
    Operator("lte", "≤", ORDERED, "scalar", "at most (on or before, for dates)"),
    Operator("in", "in", _MEMBER, "list", "is one of the listed values"),
    Operator("not_in", "not in", _MEMBER, "list", "is none of the listed values"),
    Operator(
        "within_years",
        "within",
        ("date",),
        "years",
        "no more than N years before the application date (or the date named by `of`)",
        extra=("of",),
    ),
    Operator(
        "within_months",
        "within",
        ("date",),
        "months",
        "no more than N calendar months before the application date (or the date named by `of`)",
        extra=("of",),
    ),
    Operator(
        "within_days",
        "within",
        ("date",),
        "days",
        "no more than N days before the application date (or the date named by `of`)",
        extra=("of",),
    ),
    Operator(
        "starts_with",
        "starts with",
        ("isced",),
        "prefix",
        "field of study code starts with the given 2- or 3-digit ISCED-F code",
    ),
    Operator("contains", "contains", LIST_TYPES, "scalar", "the list contains the value"),
    Operator("not_contains", "does not contain", LIST_TYPES, "scalar", "the list lacks the value"),
    Operator(
        "covers",
        "covers",
        LIST_TYPES,
        "list",
        "contains at least `share` (0–1, default 1) of the listed values",
        extra=("share",),
    ),
    Operator(
        "has_words",
        "mentions",
        _TEXTS,
        "phrases",
        "contains the word or phrase (or one of the listed ones) as whole words, ignoring case "
        "and accents",
    ),
    Operator(
        "lacks_words",
        "does not mention",
        _TEXTS,
        "phrases",
        "contains none of the listed words or phrases as whole words, ignoring case and accents",
    ),
    Operator(
        "known",
        "is known",
        SCALAR_TYPES + LIST_TYPES + STRUCTURED_TYPES,
        "none",
        "the element is present; absent gives 'unknown' and an evidence request",
    ),
)

OPERATORS: MappingProxyType[str, Operator] = MappingProxyType({o.name: o for o in _OPERATORS})

# Word tests on text are bounded: a phrase has at most this many words, a condition this many
# phrases. Texts themselves are bounded by the credential format (10,000 characters).
MAX_PHRASE_WORDS = 12
MAX_PHRASES = 50
