"""Every subject a condition can name in one policy, with its type, label and values.

A subject is what an atom compares: a credential element (Annex I, credstack's structured
extensions, or declared by the policy), a structured element read through a qualifier
(`credits@nz_credit`, `framework_level@scqf`, `grade@ects_grade`), a computed value, a
classification, a table lookup, an applicant fact (`fact:NAME`), a request choice
(`choice:NAME`), or the status of a rule for a decision table (`status:ID`, `level:ID`).
The catalogue is built once per policy by the loader; conditions are checked against it and the
engine reads labels and types from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rules.scales import CreditSystem, Framework, GradeScheme, built_in
from rules.vocabulary import ELEMENTS, LISBON_OUTCOMES, VOCABULARIES

CREDENTIAL, APPLICATION, OUTCOME = "credential", "application", "outcome"
OUTCOME_STATUSES = ("met", "not_met", "not_applicable")


@dataclass(frozen=True)
class Subject:
    key: str
    scope: str  # CREDENTIAL (varies per credential), APPLICATION (one per case), OUTCOME
    source: str  # annex | extended | declared | qualified | computed | classification | lookup |
    #              fact | choice | status
    name: str
    label: str
    type: str
    values: tuple[tuple[str, str], ...] = ()  # code / ordinal / code_list values with labels
    unit: str | None = None
    if_absent: str = "unknown"
    help: str = ""
    qualifier: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.values)

    def label_of(self, code: str) -> str:
        return dict(self.values).get(code, code)

    def rank(self, code: str) -> int | None:
        codes = self.codes()
        return codes.index(code) if code in codes else None


@dataclass(frozen=True)
class Scales:
    # Plain dicts, never changed after the loader builds them: a policy crosses to the worker
    # processes by pickle, which refuses read-only mapping proxies.
    frameworks: dict[str, Framework]
    credit_systems: dict[str, CreditSystem]
    grade_schemes: dict[str, GradeScheme]


def scales(declared: dict[str, dict[str, Any]] | None = None) -> Scales:
    """The built-in scales with the policy's own added (a declared id may not replace one)."""
    declared = declared or {}
    merged = {
        kind: {**built_in(kind), **declared.get(kind, {})}
        for kind in ("frameworks", "credit_systems", "grade_schemes")
    }
    return Scales(**merged)


def _vocabulary_values(name: str | None) -> tuple[tuple[str, str], ...]:
    if name is None:
        return ()
    return tuple((t.code, t.label) for t in VOCABULARIES[name].terms)


def _element_subjects() -> dict[str, Subject]:
    out = {}
    for e in ELEMENTS.values():
        if not e.usable_in_rules:
            continue
        out[e.name] = Subject(
            e.name,
            CREDENTIAL,
            "annex" if e.annex else "extended",
            e.name,
            e.label,
            e.type,
            _vocabulary_values(e.vocabulary),
            help=e.help,
            minimum=e.minimum,
            maximum=e.maximum,
        )
    return out


QUALIFIERS = {"credits": "system", "level": "framework", "grade": "scheme"}


class Catalogue:
    """The subjects of one policy. `qualified` makes (and remembers) `credits@SYSTEM`-style keys."""

    def __init__(self, scales_: Scales):
        self.scales = scales_
        self.subjects: dict[str, Subject] = _element_subjects()

    def __getitem__(self, key: str) -> Subject:
        return self.subjects[key]

    def get(self, key: str) -> Subject | None:
        return self.subjects.get(key)

    def add(self, subject: Subject) -> None:
        self.subjects[subject.key] = subject

    def names(self, scope: str, prefix: str = "") -> list[str]:
        return sorted(
            k.removeprefix(prefix)
            for k, s in self.subjects.items()
            if s.scope == scope and k.startswith(prefix) and "@" not in k
        )

    def qualified(self, base: Subject, qualifier: str) -> Subject | str:
        """The subject `base@qualifier`, or a message saying why there is none."""
        kind = base.type
        key = f"{base.key}@{qualifier}"
        if key in self.subjects:
            return self.subjects[key]
        if kind == "credits":
            system = self.scales.credit_systems.get(qualifier)
            if system is None:
                known = ", ".join(self.scales.credit_systems)
                return f"unknown credit system; expected one of: {known}"
            found = Subject(
                key, base.scope, "qualified", base.name, f"{base.label} ({system.title})",
                "decimal", unit=system.unit, if_absent=base.if_absent, qualifier=qualifier,
                minimum=0,
            )  # fmt: skip
        elif kind == "level":
            framework = self.scales.frameworks.get(qualifier)
            if framework is None:
                return f"unknown framework; expected one of: {', '.join(self.scales.frameworks)}"
            values = tuple((lv.code, lv.label) for lv in framework.levels)
            found = Subject(
                key, base.scope, "qualified", base.name, f"{base.label} ({framework.title})",
                "ordinal", values, if_absent=base.if_absent, qualifier=qualifier,
            )  # fmt: skip
        elif kind == "grade":
            scheme = self.scales.grade_schemes.get(qualifier)
            if scheme is None:
                return (
                    f"unknown grade scheme; expected one of: {', '.join(self.scales.grade_schemes)}"
                )
            if scheme.numeric:
                found = Subject(
                    key, base.scope, "qualified", base.name, f"{base.label} ({scheme.title})",
                    "decimal", if_absent=base.if_absent, qualifier=qualifier,
                )  # fmt: skip
            else:
                values = tuple((g.code, g.label) for g in scheme.grades)
                found = Subject(
                    key, base.scope, "qualified", base.name, f"{base.label} ({scheme.title})",
                    "ordinal", values, if_absent=base.if_absent, qualifier=qualifier,
                )  # fmt: skip
        else:
            return f"{base.key} takes no qualifier"
        self.subjects[key] = found
        return found

    def add_outcome_subjects(self, kinds: dict[str, str]) -> None:
        """`status:ID` for every rule, target and criterion; `level:ID` for recognition rules."""
        levels = tuple((lv, lv) for lv in reversed(LISBON_OUTCOMES))  # refused (worst) first
        statuses = tuple((s, s.replace("_", " ")) for s in OUTCOME_STATUSES)
        for rule_id, kind in kinds.items():
            self.add(Subject(f"status:{rule_id}", OUTCOME, "status", rule_id,
                             f"status of {rule_id}", "code", statuses))  # fmt: skip
            if kind == "recognition":
                self.add(Subject(f"level:{rule_id}", OUTCOME, "status", rule_id,
                                 f"recognition level of {rule_id}", "ordinal", levels))  # fmt: skip


def declared_subject(decl: Any, scope: str, source: str, prefix: str = "") -> Subject:
    """The subject of a declared element, fact or choice (`rules.policy.Declared`)."""
    return Subject(
        f"{prefix}{decl.name}",
        scope,
        source,
        decl.name,
        decl.label,
        decl.type,
        decl.values,
        decl.unit,
        decl.if_absent,
        decl.help,
    )
