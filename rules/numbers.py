"""Exact numbers: decimals as fractions, ranges as intervals, and how both are shown.

Credits, hours, grades and shares are compared against thresholds, so they are never rounded
before a test: a value written 7.5 is exactly 15/2, 100 hours at 30 hours per ECTS is exactly
10/3 ECTS, and three of those make exactly 10. A conversion the source defines as a range
(1 ECTS = 25 to 30 hours) gives an `Interval`. Numbers are rounded only when shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

# Policy constants have at most this many decimal places, and every number lies within ±LIMIT:
# the engine compares scaled integers, which must stay exact in a 64-bit float (2^53).
PLACES = 4
SCALE = 10**PLACES
LIMIT = Fraction(10**11)
SHOWN_PLACES = 2


class NumberError(ValueError):
    """A value is not a number credstack can hold exactly (NaN, infinite, too large, too fine)."""


def exact(value: Any) -> Fraction:
    """A JSON/YAML number (or a Fraction) as an exact fraction of what was written.

    A float is read through its shortest decimal repr, so 0.1 is 1/10, not the binary double.
    """
    if isinstance(value, bool):
        raise NumberError(f"expected a number; got {value!r}")
    if isinstance(value, Fraction):
        number = value
    elif isinstance(value, int):
        number = Fraction(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise NumberError(f"expected a finite number; got {value!r}")
        number = Fraction(Decimal(repr(value)))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise NumberError(f"expected a finite number; got {value!r}")
        number = Fraction(value)
    else:
        raise NumberError(f"expected a number; got {value!r}")
    if abs(number) > LIMIT:
        raise NumberError(f"expected a number between -{LIMIT} and {LIMIT}; got {value!r}")
    return number


def constant(value: Any) -> Fraction:
    """A number written in a policy: exact, and with at most PLACES decimal places."""
    number = exact(value)
    if (number * SCALE).denominator != 1:
        raise NumberError(f"expected at most {PLACES} decimal places; got {value!r}")
    return number


@dataclass(frozen=True)
class Interval:
    """A number known only to lie between `lo` and `hi` (inclusive, lo < hi)."""

    lo: Fraction
    hi: Fraction

    def __post_init__(self) -> None:
        if not self.lo < self.hi:
            raise ValueError(f"an interval needs lo < hi; got [{self.lo}, {self.hi}]")


Number = Fraction | Interval


def interval(lo: Fraction, hi: Fraction) -> Number:
    """[lo, hi], or the single number when both ends agree."""
    return lo if lo == hi else Interval(min(lo, hi), max(lo, hi))


def bounds(value: Number) -> tuple[Fraction, Fraction]:
    return (value.lo, value.hi) if isinstance(value, Interval) else (value, value)


def add(a: Number, b: Number) -> Number:
    (a0, a1), (b0, b1) = bounds(a), bounds(b)
    return interval(a0 + b0, a1 + b1)


def subtract(a: Number, b: Number) -> Number:
    (a0, a1), (b0, b1) = bounds(a), bounds(b)
    return interval(a0 - b1, a1 - b0)


def multiply(a: Number, b: Number) -> Number:
    (a0, a1), (b0, b1) = bounds(a), bounds(b)
    products = (a0 * b0, a0 * b1, a1 * b0, a1 * b1)
    return interval(min(products), max(products))


def divide(a: Number, b: Number) -> Number:
    """a / b for a divisor that does not include zero (the loader refuses such divisors)."""
    b0, b1 = bounds(b)
    if b0 <= 0 <= b1:
        raise ZeroDivisionError("the divisor includes zero")
    return multiply(a, interval(1 / b1, 1 / b0))


def smallest(values: list[Number]) -> Number:
    return interval(min(bounds(v)[0] for v in values), min(bounds(v)[1] for v in values))


def largest(values: list[Number]) -> Number:
    return interval(max(bounds(v)[0] for v in values), max(bounds(v)[1] for v in values))


def compare(op: str, value: Number, expected: Fraction) -> bool | None:
    """True / False when every number in `value` agrees; None when part of an interval passes."""
    lo, hi = bounds(value)
    tests = {
        "eq": (lo == expected == hi, expected < lo or expected > hi),
        "ne": (expected < lo or expected > hi, lo == expected == hi),
        "gt": (lo > expected, hi <= expected),
        "gte": (lo >= expected, hi < expected),
        "lt": (hi < expected, lo >= expected),
        "lte": (hi <= expected, lo > expected),
    }
    holds, fails = tests[op]
    return True if holds else False if fails else None


def within(value: Number) -> bool:
    """Whether a number (both ends of a range) lies within ±LIMIT, where comparisons are exact."""
    lo, hi = bounds(value)
    return -LIMIT <= lo and hi <= LIMIT


def encode(number: Fraction) -> int:
    """The integer durable-rules compares: 2·n·SCALE when n·SCALE is whole, else the odd number
    between its neighbours. Against a constant c (c·SCALE whole, encoded 2·c·SCALE) every one of
    =, ≠, <, ≤, >, ≥ then gives exactly the answer it gives on the fractions themselves.

    Within ±LIMIT the result stays below 2^53, which the engine holds exactly; beyond, it would
    not, so a number there is refused (values are checked long before they get here)."""
    if abs(number) > LIMIT:
        raise NumberError(f"{text(number)} lies beyond ±{LIMIT}, where comparisons are exact")
    scaled = number * SCALE
    floor = scaled.numerator // scaled.denominator
    return 2 * floor + (0 if scaled.denominator == 1 else 1)


def plain(number: Number) -> Any:
    """A JSON-ready number: int when whole, else a float rounded for reading (shown, not tested);
    an interval as [lo, hi]."""
    if isinstance(number, Interval):
        return [plain(number.lo), plain(number.hi)]
    if number.denominator == 1:
        return int(number)
    return float(round(number, 6))


def text(number: Number, places: int = SHOWN_PLACES) -> str:
    """A number as a person reads it: '7.5', '3.33', '5–6'."""
    if isinstance(number, Interval):
        return f"{text(number.lo, places)}–{text(number.hi, places)}"
    if number.denominator == 1:
        return str(number.numerator)
    shown = round(Decimal(number.numerator) / Decimal(number.denominator), places)
    rendered = format(shown.normalize(), "f")
    exact_value = Fraction(shown) == number
    return rendered if exact_value else f"{rendered}…"
