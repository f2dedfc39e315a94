"""Read a policy file (YAML or JSON), validate it completely, and build the frozen `Policy`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from rules import schema as s
from rules.conditions import ConditionParser, resolve_equivalences
from rules.document import MAX_POLICY_BYTES, parse_document  # noqa: F401 - re-exported
from rules.errors import PolicyError, Problem, flatten_messages, suggest
from rules.policy import (
    Equivalence,
    Example,
    Exclusion,
    Group,
    Policy,
    RecognitionRule,
    Settings,
    Share,
    Slot,
    Target,
    Tier,
)
from rules.vocabulary import ASPECTS

_ALL_FIELDS = sorted(
    {
        name
        for schema in vars(s).values()
        if isinstance(schema, type) and issubclass(schema, s.Strict)
        for name in schema._declared_fields
    }
)


def load_policy_file(path: str | Path) -> Policy:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError([Problem("", f"cannot read file: {exc.strerror}")], str(path)) from None
    return load_policy(parse_document(raw, path.name), source=str(path))


def load_policy(data: Any, source: str = "policy") -> Policy:
    """Validate a parsed document; raises `PolicyError` listing every problem."""
    if not isinstance(data, dict):
        raise PolicyError([Problem("", "expected a mapping at the top level")], source)
    try:
        doc = s.PolicySchema().load(data)
    except ValidationError as exc:
        problems = flatten_messages(exc.messages, _ALL_FIELDS) + _condition_problems(data)
        raise PolicyError(problems, source) from None
    builder = _Builder(doc)
    policy = builder.build()
    if builder.problems:
        raise PolicyError(builder.problems, source)
    return policy


class _Builder:
    def __init__(self, doc: dict):
        self.doc = doc
        self.parser = ConditionParser()
        self.problems: list[Problem] = []

    def build(self) -> Policy:
        doc, p = self.doc, self.parser
        tables: dict[str, list[Group]] = {}
        equivalences = []
        for i, e in enumerate(doc.get("equivalences", [])):
            when = p.group(e["when"], f"equivalences[{i}].when")
            tables.setdefault(e["module"], []).append(when)
            equivalences.append(Equivalence(e["module"], e["title"], e.get("credits"), when))
        exclusions = tuple(
            Exclusion(x["id"], x["reason"], p.group(x["when"], f"exclusions[{i}].when"))
            for i, x in enumerate(doc.get("exclusions", []))
        )
        recognition = tuple(self._rule(r, i) for i, r in enumerate(doc.get("recognition", [])))
        targets = tuple(self._target(t, i) for i, t in enumerate(doc.get("targets", [])))
        self.problems.extend(p.problems)
        self._check_references(tables)
        if self.problems:
            return None  # type: ignore[return-value]
        resolved = {m: Group("any", tuple(gs)) for m, gs in tables.items()}
        recognition, targets = _resolve(recognition, targets, resolved)
        return Policy(
            id=doc["id"],
            title=doc["title"],
            organisation=doc["organisation"],
            purpose=doc["purpose"],
            version=doc["version"],
            effective_from=doc["effective_from"],
            effective_to=doc.get("effective_to"),
            settings=self._settings(doc.get("settings", {})),
            recognition=recognition,
            targets=targets,
            equivalences=tuple(equivalences),
            exclusions=exclusions,
            examples=tuple(self._example(x, i) for i, x in enumerate(doc.get("examples", []))),
            digest=policy_digest(doc),
        )

    def _settings(self, raw: dict) -> Settings:
        overlap = raw.get("overlap") or {}
        return Settings(
            hours_per_ects=raw.get("hours_per_ects", 30.0),
            double_counting=raw.get("double_counting", "forbidden"),
            overlap_element=overlap.get("element"),
            overlap_min_share=overlap.get("min_share", 0.5),
        )

    def _rule(self, r: dict, i: int) -> RecognitionRule:
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
                t.get("credits"),
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

    def _target(self, t: dict, i: int) -> Target:
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
                x["min_share"],
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
            min_total_ects=t.get("min_total_ects"),
            min_count=t.get("min_count"),
            max_per_provider=t.get("max_per_provider"),
            shares=shares,
            awards=t.get("awards"),
            credits=t.get("credits"),
        )

    def _example(self, x: dict, i: int) -> Example:
        expect = []
        for key, value in sorted(x["expect"].items()):
            path = f"examples[{i}].expect.{key}"
            if isinstance(value, str):
                value = {"status": value}
            try:
                loaded = s.ExpectationSchema().load(value)
            except ValidationError as exc:
                self.problems.extend(flatten_messages(exc.messages, _ALL_FIELDS, path))
                continue
            expect.append((key, loaded["status"], loaded.get("level")))
        return Example(x["name"], x["as_of"], x["wallet"], tuple(expect))

    def _check_references(self, tables: dict) -> None:
        doc = self.doc
        for path, module in self.parser.references:
            if module not in tables:
                self.problems.append(
                    Problem(
                        path, f"no equivalence defines module '{module}'", suggest(module, tables)
                    )
                )
        ids = [r["id"] for r in doc.get("recognition", [])] + [
            t["id"] for t in doc.get("targets", [])
        ]
        for name, n in Counter(ids).items():
            if n > 1:
                self.problems.append(
                    Problem("recognition/targets", f"id '{name}' is used {n} times")
                )
        targets = {t["id"]: t for t in doc.get("targets", [])}
        for i, t in enumerate(doc.get("targets", [])):
            slot_ids = [x["id"] for x in t.get("slots", [])]
            for name, n in Counter(slot_ids).items():
                if n > 1:
                    self.problems.append(
                        Problem(f"targets[{i}].slots", f"slot id '{name}' repeats")
                    )
            for ref in t.get("builds_on", []):
                if ref not in targets:
                    self.problems.append(
                        Problem(
                            f"targets[{i}].builds_on", f"no target '{ref}'", suggest(ref, targets)
                        )
                    )
        for cycle in _cycles(targets):
            self.problems.append(
                Problem("targets", "builds_on forms a cycle: " + " → ".join(cycle))
            )
        for i, x in enumerate(doc.get("examples", [])):
            for key in x["expect"]:
                if key not in ids:
                    self.problems.append(
                        Problem(
                            f"examples[{i}].expect.{key}",
                            "no recognition rule or target has this id",
                            suggest(key, ids),
                        )
                    )


def _condition_problems(data: dict) -> list[Problem]:
    """Check every condition list that can be found, so one run reports all problems."""
    parser = ConditionParser()

    def entries(key: str) -> list[tuple[int, dict]]:
        value = data.get(key)
        return (
            [(i, x) for i, x in enumerate(value) if isinstance(x, dict)]
            if isinstance(value, list)
            else []
        )

    for key in ("equivalences", "exclusions"):
        for i, x in entries(key):
            if "when" in x:
                parser.group(x["when"], f"{key}[{i}].when")
    for i, r in entries("recognition"):
        if "applies_to" in r:
            parser.group(r["applies_to"], f"recognition[{i}].applies_to")
        if isinstance(r.get("checks"), dict):
            for aspect, conditions in r["checks"].items():
                parser.group(conditions, f"recognition[{i}].checks.{aspect}")
    for i, t in entries("targets"):
        if "all_credentials" in t:
            parser.group(t["all_credentials"], f"targets[{i}].all_credentials")
        for part in ("slots", "shares"):
            for j, x in enumerate(t.get(part) or []):
                if isinstance(x, dict) and "when" in x:
                    parser.group(x["when"], f"targets[{i}].{part}[{j}].when")
    return parser.problems


def _resolve(recognition: tuple, targets: tuple, tables: dict) -> tuple[tuple, tuple]:
    def fix(group: Group | None) -> Group | None:
        return resolve_equivalences(group, tables) if group is not None else None

    rules = tuple(
        RecognitionRule(
            r.id,
            r.title,
            fix(r.applies_to),
            tuple((a, fix(g)) for a, g in r.checks),
            r.tiers,
            r.otherwise,
        )
        for r in recognition
    )
    new_targets = []
    for t in targets:
        slots = tuple(Slot(x.id, x.title, x.min, x.max, fix(x.when)) for x in t.slots)
        shares = tuple(Share(x.title, fix(x.when), x.min_share, x.of) for x in t.shares)
        new_targets.append(
            Target(
                t.id,
                t.title,
                slots,
                t.builds_on,
                fix(t.all_credentials),
                t.min_total_ects,
                t.min_count,
                t.max_per_provider,
                shares,
                t.awards,
                t.credits,
            )
        )
    return rules, tuple(new_targets)


def _cycles(targets: dict) -> list[list[str]]:
    found, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == "done":
            return
        if state.get(node) == "open":
            found.append(trail[trail.index(node) :] + [node])
            return
        state[node] = "open"
        for ref in targets[node].get("builds_on", []):
            if ref in targets:
                visit(ref, trail + [node])
        state[node] = "done"

    for name in sorted(targets):
        visit(name, [])
    return found


def policy_digest(doc: dict) -> str:
    """sha256 of the canonical JSON of the validated document, examples left out."""
    body = {k: v for k, v in doc.items() if k != "examples"}
    # Order of rules, targets and slots carries no meaning: shuffling them keeps the digest.
    for key in ("recognition", "targets", "exclusions"):
        if key in body:
            body[key] = sorted(body[key], key=lambda x: x["id"])
    if "equivalences" in body:
        body["equivalences"] = sorted(
            body["equivalences"],
            key=lambda x: (x["module"], json.dumps(x, sort_keys=True, default=_jsonable)),
        )
    body["targets"] = [
        dict(t, slots=sorted(t.get("slots", []), key=lambda x: x["id"]))
        for t in body.get("targets", [])
    ]
    text = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")
