"""Build the frozen `Policy` from a validated document: declarations first (they extend what
conditions may name), then tables, computed values, rules, targets, criteria and requests.

Every reader appends to one list of problems, so a policy with several mistakes gets all of them
reported at once, each with its path.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from marshmallow import ValidationError

from rules import schema as s
from rules.catalogue import APPLICATION, CREDENTIAL, Catalogue, declared_subject, scales
from rules.computed import ComputedReader, read_classifications
from rules.conditions import ConditionParser
from rules.declarations import DeclarationReader
from rules.errors import Problem, flatten_messages, suggest
from rules.numbers import exact
from rules.policy import (
    Equivalence,
    Example,
    ExampleExpectations,
    Exclusion,
    Group,
    RecognitionRule,
    Settings,
    Share,
    Slot,
    Source,
    Target,
    Tier,
    Total,
)
from rules.requests import (
    check_requests,
    declare_choices,
    read_criteria,
    read_dispositions,
    read_requests,
)
from rules.scales import ScaleReader
from rules.table_tests import read_lookups
from rules.tables import TableReader
from rules.vocabulary import ASPECTS, ELEMENTS

SCHEMA_FIELDS = sorted(
    {
        name
        for schema in vars(s).values()
        if isinstance(schema, type) and issubclass(schema, s.Strict)
        for name in schema._declared_fields
    }
)


class Builder:
    """Reads the language-2 sections of `doc` (raw or validated) into the parser's catalogue."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.problems: list[Problem] = []
        scale_reader = ScaleReader()
        declared_scales = {
            kind: scale_reader.read_all(kind, doc[kind], kind)
            for kind in ("frameworks", "credit_systems", "grade_schemes")
            if doc.get(kind) is not None
        }
        self.problems += scale_reader.problems
        catalogue = Catalogue(scales(declared_scales))
        self.declarations = DeclarationReader(self.problems)
        taken: set[str] = set()
        self.elements = self.declarations.read_all(doc.get("elements"), "elements", taken)
        for d in self.elements:
            catalogue.add(declared_subject(d, CREDENTIAL, "declared"))
        self._check_grade_schemes(catalogue)
        self.facts = self.declarations.read_all(doc.get("facts"), "facts", set())
        for d in self.facts:
            catalogue.add(declared_subject(d, APPLICATION, "fact", "fact:"))
        self.tables = TableReader(self.problems).read_all(doc.get("tables"), "tables")
        self.parser = ConditionParser(catalogue, tables=self.tables)
        raw_tables = doc.get("tables")
        # A table declared but unreadable has its problems reported already; its uses are not.
        declared = set(raw_tables) if isinstance(raw_tables, dict) else set()
        self.parser.broken_tables = declared - set(self.tables)
        self.parser.problems = self.problems
        self.parser.values.problems = self.problems
        self.parser.declarations = self.declarations
        self.parser.choices = declare_choices(self.parser, doc.get("requests"), "requests")
        self.lookups = read_lookups(self.parser, doc.get("lookups"), "lookups", catalogue)
        self.computed = ComputedReader(self.parser).read_all(doc.get("computed"), "computed")
        self.classifications = read_classifications(
            self.parser, doc.get("classifications"), "classifications"
        )
        self.mappings = self._mappings(doc.get("mappings"))

    def _check_grade_schemes(self, catalogue: Catalogue) -> None:
        known = catalogue.scales.grade_schemes
        for d in self.elements:
            if d.type == "grade" and d.unit is not None and d.unit not in known:
                self.problems.append(
                    Problem(
                        f"elements.{d.name}.scheme",
                        f"no grade scheme '{d.unit}'; expected one of: {', '.join(known)}",
                        suggest(d.unit, list(known)),
                    )
                )

    def _mappings(self, raw: Any) -> tuple[tuple[str, str], ...]:
        """`[{source: TERM, element: NAME}]`: a term of an imported document fills an element."""
        if raw is None:
            return ()
        names = [d.name for d in self.elements] + list(ELEMENTS)
        out = []
        for i, item in enumerate(raw if isinstance(raw, list) else [raw]):
            ok = isinstance(item, dict) and set(item) == {"source", "element"}
            if not ok or not isinstance(item["source"], str) or item["element"] not in names:
                hint = suggest(item.get("element"), names) if isinstance(item, dict) else None
                self.problems.append(
                    Problem(f"mappings[{i}]", "expected {source: TERM, element: NAME}", hint)
                )
                continue
            out.append((item["source"], item["element"]))
        return tuple(sorted(set(out)))

    # --- the v1 sections, with the catalogue -------------------------------------------------

    def equivalences(self) -> tuple[dict[str, list[Group]], list[Equivalence]]:
        tables: dict[str, list[Group]] = {}
        out = []
        for i, e in enumerate(self.doc.get("equivalences", [])):
            when = self.parser.group(e["when"], f"equivalences[{i}].when")
            tables.setdefault(e["module"], []).append(when)
            credits = exact(e["credits"]) if e.get("credits") is not None else None
            out.append(Equivalence(e["module"], e["title"], credits, when))
        return tables, out

    def exclusions(self) -> tuple[Exclusion, ...]:
        return tuple(
            Exclusion(x["id"], x["reason"], self.parser.group(x["when"], f"exclusions[{i}].when"))
            for i, x in enumerate(self.doc.get("exclusions", []))
        )

    def settings(self) -> Settings:
        raw = self.doc.get("settings", {})
        overlap = raw.get("overlap") or {}
        return Settings(
            hours_per_ects=raw.get("hours_per_ects", exact(30)),
            double_counting=raw.get("double_counting", "forbidden"),
            overlap_element=overlap.get("element"),
            overlap_min_share=exact(overlap.get("min_share", 0.5)),
        )

    def rule(self, r: dict, i: int) -> RecognitionRule:
        path = f"recognition[{i}]"
        applies = r.get("applies_to")
        scope = self.parser.group(applies, f"{path}.applies_to") if applies is not None else None
        checks = tuple(
            (aspect, self.parser.group(r["checks"][aspect], f"{path}.checks.{aspect}"))
            for aspect in ASPECTS
            if aspect in r["checks"]
        )
        if not checks:
            self.problems.append(Problem(f"{path}.checks", "expected at least one check"))
        named = [a for a, _ in checks]
        tiers = tuple(
            Tier(
                t["level"],
                tuple(t["requires"]),
                t.get("recognised_as"),
                exact(t["credits"]) if t.get("credits") is not None else None,
                t.get("note"),
            )
            for t in r.get("outcomes", [])
        ) or (Tier("full", tuple(named)),)
        for j, tier in enumerate(tiers):
            for aspect in tier.requires:
                if aspect not in named:
                    self.problems.append(
                        Problem(
                            f"{path}.outcomes[{j}].requires",
                            f"'{aspect}' is not one of this rule's checks ({', '.join(named)})",
                            suggest(aspect, named),
                        )
                    )
        return RecognitionRule(
            r["id"], r["title"], scope, checks, tiers, r.get("otherwise", "refused")
        )

    def target(self, t: dict, i: int) -> Target:
        path = f"targets[{i}]"
        slots = []
        for j, slot in sorted(enumerate(t.get("slots", [])), key=lambda x: x[1]["id"]):
            top = slot.get("max")
            lower = slot.get("min", 1)
            upper = None if top == "any" else (top if top is not None else lower)
            when = self.parser.group(slot["when"], f"{path}.slots[{j}].when")
            slots.append(Slot(slot["id"], slot["title"], lower, upper, when))
        if not slots and not t.get("builds_on"):
            self.problems.append(Problem(f"{path}.slots", "a target needs slots or builds_on"))
        everyone = t.get("all_credentials")
        shares = tuple(
            Share(
                x["title"],
                self.parser.group(x["when"], f"{path}.shares[{j}].when"),
                exact(x["min_share"]),
                x.get("of", "ects"),
            )
            for j, x in enumerate(t.get("shares", []))
        )
        return Target(
            id=t["id"],
            title=t["title"],
            slots=tuple(slots),
            builds_on=tuple(t.get("builds_on", [])),
            all_credentials=(
                self.parser.group(everyone, f"{path}.all_credentials")
                if everyone is not None
                else None
            ),
            min_total_ects=exact(t["min_total_ects"]) if "min_total_ects" in t else None,
            min_count=t.get("min_count"),
            max_per_provider=t.get("max_per_provider"),
            shares=shares,
            awards=t.get("awards"),
            credits=exact(t["credits"]) if t.get("credits") is not None else None,
            totals=tuple(
                self._total(x, f"{path}.totals[{j}]") for j, x in enumerate(t.get("totals", []))
            ),
        )

    def _total(self, raw: Any, path: str) -> Total:
        """`{title, of: SUBJECT (or {element, system}), min, max, where}`."""
        ok = isinstance(raw, dict) and set(raw) <= {"title", "of", "min", "max", "where"}
        if not ok or "of" not in raw or ("min" not in raw and "max" not in raw):
            self.problems.append(Problem(path, "expected {title, of, min and/or max, where}"))
            return Total("", "ects")
        of = raw["of"] if isinstance(raw["of"], dict) else {"element": raw["of"]}
        subject = self.parser.subject(of, f"{path}.of", CREDENTIAL)
        if subject is not None and subject.type not in ("decimal", "integer"):
            self.problems.append(Problem(f"{path}.of", f"{subject.key} is not a number"))
            subject = None
        bounds = {}
        for key in ("min", "max"):
            if key in raw:
                bounds[key] = self.parser.values.fraction(raw[key], f"{path}.{key}")
        where = self.parser.group(raw["where"], f"{path}.where") if "where" in raw else None
        title = (
            raw.get("title")
            if isinstance(raw.get("title"), str)
            else (subject.label if subject else "")
        )
        return Total(
            title, subject.key if subject else "ects", bounds.get("min"), bounds.get("max"), where
        )

    def criteria(self) -> list:
        return read_criteria(self.parser, self.doc.get("criteria"), "criteria")

    def requests(self, kinds: dict[str, str]) -> tuple[list, list]:
        self.parser.catalogue.add_outcome_subjects({**kinds, "requested": "recognition"})
        dispositions = read_dispositions(self.parser, self.doc.get("dispositions"), "dispositions")
        codes = [d.code for d in dispositions]
        requests = read_requests(self.parser, self.doc.get("requests"), "requests", kinds, codes)
        self.problems += check_requests(requests, dispositions, "requests")
        return dispositions, requests

    def sources(self) -> tuple[Source, ...]:
        raw = self.doc.get("source")
        if raw is None:
            return ()
        items = raw if isinstance(raw, list) else [raw]
        out = []
        for i, item in enumerate(items):
            path = "source" if not isinstance(raw, list) else f"source[{i}]"
            try:
                loaded = s.SourceSchema().load(item if isinstance(item, dict) else {"url": item})
            except ValidationError as exc:
                self.problems += flatten_messages(exc.messages, SCHEMA_FIELDS, path)
                continue
            out.append(Source(loaded["url"], loaded.get("retrieved"), loaded.get("note")))
        return tuple(out)

    def example(self, x: dict, i: int, ids: list[str]) -> Example:
        outcomes, dispositions, credentials, set_aside = [], [], [], []
        for key, value in sorted(x["expect"].items()):
            path = f"examples[{i}].expect.{key}"
            if key == "requests":
                dispositions += self._pairs(value, path)
            elif key == "credentials":
                for cred, rules in (value or {}).items() if isinstance(value, dict) else ():
                    if rules == "set_aside":
                        set_aside.append(str(cred))
                        continue
                    for rule, status in self._pairs(rules, f"{path}.{cred}"):
                        credentials.append((str(cred), rule, status))
            else:
                outcome = self._expectation(key, value, path, ids)
                if outcome is not None:
                    outcomes.append(outcome)
        expectations = ExampleExpectations(
            tuple(outcomes), tuple(dispositions), tuple(credentials), tuple(sorted(set_aside))
        )
        return Example(
            x["name"], x["as_of"], x["wallet"], tuple(outcomes), expectations,
            x.get("applicant"), x.get("request"),
        )  # fmt: skip

    def _expectation(self, key: str, value: Any, path: str, ids: list[str]) -> tuple | None:
        if key not in ids:
            self.problems.append(
                Problem(path, "no recognition rule or target has this id", suggest(key, ids))
            )
            return None
        if isinstance(value, str):
            value = {"status": value}
        try:
            loaded = s.ExpectationSchema().load(value)
        except ValidationError as exc:
            self.problems.extend(flatten_messages(exc.messages, SCHEMA_FIELDS, path))
            return None
        return (key, loaded["status"], loaded.get("level"))

    def _pairs(self, raw: Any, path: str) -> list[tuple[str, str]]:
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            self.problems.append(Problem(path, "expected {id: status or disposition}"))
            return []
        return sorted((str(k), v) for k, v in raw.items())

    def check_ids(self) -> None:
        doc = self.doc
        ids = (
            [r["id"] for r in doc.get("recognition", [])]
            + [t["id"] for t in doc.get("targets", [])]
            + [c.get("id") for c in doc.get("criteria", []) if isinstance(c, dict)]
        )
        for name, n in Counter(ids).items():
            if n > 1:
                self.problems.append(
                    Problem("recognition/targets/criteria", f"id '{name}' is used {n} times")
                )
