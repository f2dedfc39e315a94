"""Read a credential's workload, level and grade in the scale a rule asks for, exactly.

Each function returns (value, note): the value in the asked scale (a Fraction, an Interval where
a conversion is a range, a level or grade code) or None when it cannot be known, and a note that
says how it was obtained ("15 NZ credits = 150 hours = 5 ECTS at 30 hours per ECTS"), shown in
the explanation beside the value. Nothing is rounded here.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from engine.inputs import Credits, Grade, Level
from rules.catalogue import Scales
from rules.numbers import (
    Interval,
    Number,
    NumberError,
    divide,
    exact,
    interval,
    multiply,
    text,
)

Found = tuple[Any, str]
NONE: Found = (None, "")


def _hours_per(system: Any, hours_per_ects: Number) -> Number | None:
    return hours_per_ects if system.id == "ects" else system.hours


_converted: dict[tuple, tuple[Scales, Found]] = {}
CONVERTED_LIMIT = 50_000


def convert(
    amount: Number, source: str, target: str, scales: Scales, hours_per_ects: Number
) -> Found:
    """`amount` credits of system `source` in system `target` (None when no path exists).

    Learners share amounts (5 ECTS, 60 hours), and exact arithmetic with its words is slow, so
    results are kept; an entry holds its scales, so their id cannot be reused meanwhile."""
    key = (id(scales), type(amount), amount, source, target, type(hours_per_ects), hours_per_ects)
    try:
        found = _converted.get(key)
    except TypeError:  # an unhashable amount: work it out
        return _convert(amount, source, target, scales, hours_per_ects)
    if found is None:
        result = _convert(amount, source, target, scales, hours_per_ects)
        if len(_converted) >= CONVERTED_LIMIT:
            _converted.clear()
        _converted[key] = (scales, result)
        return result
    return found[1]


def _convert(
    amount: Number, source: str, target: str, scales: Scales, hours_per_ects: Number
) -> Found:
    if source == target:
        return amount, ""
    a, b = scales.credit_systems.get(source), scales.credit_systems.get(target)
    if a is None or b is None:
        return NONE
    if a.ects is not None and b.ects is not None:
        value = divide(multiply(amount, a.ects), b.ects)
        rate = text(divide(a.ects, b.ects))
        return value, f"inferred from {text(amount)} {a.unit} (1 {a.unit} = {rate} {b.unit})"
    per_a, per_b = _hours_per(a, hours_per_ects), _hours_per(b, hours_per_ects)
    if per_a is None or per_b is None:
        return NONE
    hours = multiply(amount, per_a)
    value = divide(hours, per_b)
    if source == "hours":
        return value, f"inferred from {text(amount)} h at {text(per_b)} h per {b.unit}"
    if target == "hours":
        return value, f"inferred from {text(amount)} {a.unit} at {text(per_a)} h per {a.unit}"
    return value, (
        f"inferred from {text(amount)} {a.unit} = {text(hours)} h, at {text(per_b)} h per {b.unit}"
    )


def credits_in(values: Any, target: str, scales: Scales, hours_per_ects: Number) -> Found:
    """Credit in `target`: from the stated credit, else the ECTS, else the hours."""
    stated = values.get("credits")
    if isinstance(stated, Credits):
        return convert(stated.value, stated.system, target, scales, hours_per_ects)
    ects = values.get("ects")
    if ects is not None:
        return convert(exact(ects), "ects", target, scales, hours_per_ects)
    hours = values.get("workload_hours")
    if hours is not None:
        return convert(exact(hours), "hours", target, scales, hours_per_ects)
    return NONE


def ects_of(values: Any, scales: Scales, hours_per_ects: Number) -> Found:
    """ECTS as stated; else converted from the stated credit or from the hours."""
    ects = values.get("ects")
    if ects is not None:
        return exact(ects), ""
    return credits_in(values, "ects", scales, hours_per_ects)


def hours_of(values: Any, scales: Scales, hours_per_ects: Number) -> Found:
    hours = values.get("workload_hours")
    if hours is not None:
        return exact(hours), ""
    return credits_in(values, "hours", scales, hours_per_ects)


def eqf_of(values: Any, scales: Scales) -> Found:
    """The EQF level as stated; else through the official referencing of the framework level."""
    eqf = values.get("eqf_level")
    if eqf is not None:
        return eqf, ""
    level = values.get("framework_level")
    if isinstance(level, Level):
        framework = scales.frameworks.get(level.framework)
        found = framework.level(level.level) if framework else None
        if found is not None and found.eqf is not None:
            return found.eqf, (
                f"{framework.title} level {level.level} is referenced to EQF level {found.eqf}"
            )
        if framework is not None:
            why = framework.note or f"{framework.title} level {level.level} has no EQF level"
            return None, why
    cycle = values.get("qf_ehea_cycle")
    if cycle is not None:
        found = scales.frameworks["qf_ehea"].level(cycle)
        if found is not None and found.eqf is not None:
            return found.eqf, f"the QF-EHEA {found.label} corresponds to EQF level {found.eqf}"
    return NONE


def level_in(values: Any, framework_id: str, scales: Scales) -> Found:
    """The level in `framework_id`, when the credential states one there."""
    level = values.get("framework_level")
    if isinstance(level, Level) and level.framework == framework_id:
        framework = scales.frameworks.get(framework_id)
        if framework is not None and level.level not in framework.codes():
            return None, f"{level.level!r} is not a level of {framework.title}"
        return level.level, ""
    if framework_id == "eqf":
        eqf, note = eqf_of(values, scales)
        return (str(eqf), note) if eqf is not None else NONE
    if framework_id == "qf_ehea" and values.get("qf_ehea_cycle") is not None:
        return values.get("qf_ehea_cycle"), ""
    if isinstance(level, Level):
        return None, f"the level is stated in {level.framework}, not {framework_id}"
    return NONE


def grade_number(raw: Any, scheme: Any) -> Fraction:
    """A grade of a numeric scheme as an exact number: a number, or one written as text ("1.7";
    "1,7" as German and Swedish records write it), within the scheme's range. `ValueError`
    says what is wrong."""
    try:
        if isinstance(raw, str):
            text_ = raw.strip()
            if re.fullmatch(r"-?\d+,\d+", text_):
                text_ = text_.replace(",", ".")
            value = exact(float(text_))
        elif isinstance(raw, bool):
            raise ValueError
        else:
            value = exact(raw)
    except (ValueError, TypeError, NumberError):
        raise ValueError(f"{raw!r} is not a number; a {scheme.title} grade is one") from None
    low, high = scheme.minimum, scheme.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{text(value)} is outside {scheme.title} ({text(low)} to {text(high)})")
    return value


def grade_in(values: Any, scheme_id: str, scales: Scales) -> Found:
    """The grade in `scheme_id`: as awarded when the schemes agree, or as a percentage."""
    grade = values.get("grade")
    if not isinstance(grade, Grade):
        return (None, "the grade has no scheme") if grade is not None else NONE
    source = scales.grade_schemes.get(grade.scheme)
    if source is None:
        return None, f"unknown grade scheme {grade.scheme}"
    if not source.numeric and str(grade.value) not in source.codes():
        return None, f"{grade.value!r} is not a {source.title} grade"
    if source.numeric:  # imported grades may be numbers written as text
        try:
            top = grade_number(grade.maximum, source) if grade.maximum is not None else None
            grade = Grade(grade.scheme, grade_number(grade.value, source), top)
        except ValueError as exc:
            return None, str(exc)
    if grade.scheme == scheme_id:
        return (grade.value if not source.numeric else exact(grade.value)), ""
    if scheme_id != "percent":
        return None, f"a grade in {source.title} cannot be read in {scheme_id}"
    percent = _percent(grade, source)
    if percent is None:
        return None, f"{source.title} does not map grades onto a percentage"
    return percent, f"{grade.value} in {source.title} reads as {text(percent)} %"


def _percent(grade: Grade, scheme: Any) -> Number | None:
    if not scheme.numeric:
        rank = scheme.rank(str(grade.value))
        return None if rank is None else scheme.grades[rank].percent
    value = exact(grade.value)
    if scheme.per_credential_maximum:
        if not grade.maximum:
            return None
        return value * 100 / exact(grade.maximum)
    low, high = scheme.minimum, scheme.maximum
    if low is None or high is None or high == low:
        return None
    share = (value - low) / (high - low)
    return (share if scheme.higher_is_better else 1 - share) * 100


__all__ = ["Fraction", "Interval", "interval"]
