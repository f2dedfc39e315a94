"""Read a policy file (YAML or JSON), validate it completely, and build the frozen `Policy`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from rules import schema as s
from rules.builder import SCHEMA_FIELDS, Builder
from rules.collection import collector_paused
from rules.conditions import ConditionParser
from rules.document import MAX_POLICY_BYTES, parse_document  # noqa: F401 - re-exported
from rules.errors import PolicyError, Problem, flatten_messages, suggest
from rules.examples import expand_examples
from rules.library import DirectoryLibrary, Library, expand
from rules.numbers import Interval
from rules.policy import Condition, Group, Policy, RecognitionRule, Table


def load_policy_file(path: str | Path, library: Library | None = None) -> Policy:
    """A policy file; its imports and table files are looked for beside it (and in `library`)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError([Problem("", f"cannot read file: {exc.strerror}")], str(path)) from None
    folders = [path.parent] + [path.parent / n for n in ("vocabularies", "tables")]
    folders += [path.parent.parent / n for n in ("vocabularies", "tables")]
    library = library or DirectoryLibrary(folders)
    return load_policy(parse_document(raw, path.name), source=str(path), library=library)


def expand_policy(data: Any, library: Library | None = None, source: str = "policy") -> dict:
    """The self-contained document (imports and table files inlined); raises `PolicyError`."""
    if not isinstance(data, dict):
        raise PolicyError([Problem("", "expected a mapping at the top level")], source)
    expanded, problems = expand(data, library)
    problems += expand_examples(expanded)
    if problems:
        raise PolicyError(problems, source)
    return expanded


def load_policy(data: Any, source: str = "policy", library: Library | None = None) -> Policy:
    """Validate a parsed document; raises `PolicyError` listing every problem."""
    with collector_paused():
        data = expand_policy(data, library, source)
        try:
            doc = s.PolicySchema().load(data)
        except ValidationError as exc:
            problems = flatten_messages(exc.messages, SCHEMA_FIELDS) + _condition_problems(data)
            raise PolicyError(problems, source) from None
        builder = Builder(doc)
        policy = _build(builder)
    if builder.problems:
        raise PolicyError(builder.problems, source)
    return policy


def _build(b: Builder) -> Policy:
    doc = b.doc
    tables, equivalences = b.equivalences()
    exclusions = b.exclusions()
    recognition = tuple(b.rule(r, i) for i, r in enumerate(doc.get("recognition", [])))
    targets = tuple(b.target(t, i) for i, t in enumerate(doc.get("targets", [])))
    criteria = tuple(b.criteria())
    kinds = {r.id: "recognition" for r in recognition}
    kinds |= {t.id: "target" for t in targets} | {c.id: "criterion" for c in criteria}
    dispositions, requests = b.requests(kinds)
    b.check_ids()
    _check_references(b, tables)
    ids = list(kinds)
    examples = tuple(b.example(x, i, ids) for i, x in enumerate(doc.get("examples", [])))
    if b.problems:
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
        settings=b.settings(),
        recognition=recognition,
        targets=targets,
        equivalences=tuple(equivalences),
        exclusions=exclusions,
        examples=examples,
        digest=policy_digest(doc, b.tables),
        catalogue=b.parser.catalogue,
        criteria=criteria,
        tables=tuple(b.tables[k] for k in sorted(b.tables)),
        computed=tuple(b.computed),
        classifications=tuple(b.classifications),
        lookups=tuple(b.lookups),
        dispositions=tuple(dispositions),
        requests=tuple(requests),
        mappings=b.mappings,
        sources=b.sources(),
        imports=tuple(
            (i["vocabulary"], i["version"], i["digest"]) for i in doc.get("imports") or []
        ),
    )


def _check_references(b: Builder, tables: dict) -> None:
    doc, problems = b.doc, b.problems
    for path, module in b.parser.references:
        if module not in tables:
            problems.append(
                Problem(path, f"no equivalence defines module '{module}'", suggest(module, tables))
            )
    targets = {t["id"]: t for t in doc.get("targets", [])}
    for i, t in enumerate(doc.get("targets", [])):
        slot_ids = [x["id"] for x in t.get("slots", [])]
        for name, n in Counter(slot_ids).items():
            if n > 1:
                problems.append(Problem(f"targets[{i}].slots", f"slot id '{name}' repeats"))
        for ref in t.get("builds_on", []):
            if ref not in targets:
                problems.append(
                    Problem(f"targets[{i}].builds_on", f"no target '{ref}'", suggest(ref, targets))
                )
    for cycle in _cycles(targets):
        problems.append(Problem("targets", "builds_on forms a cycle: " + " → ".join(cycle)))


def _condition_problems(data: dict) -> list[Problem]:
    """Check every condition list that can be found, so one run reports all problems."""
    try:
        builder = Builder({k: v for k, v in data.items()})
    except (AttributeError, TypeError, KeyError):
        builder = None
    parser = builder.parser if builder is not None else ConditionParser()
    before = len(parser.problems)

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
    return parser.problems[before:] if builder is None else parser.problems


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
        new_targets.append(
            replace(
                t,
                slots=tuple(replace(x, when=fix(x.when)) for x in t.slots),
                shares=tuple(replace(x, when=fix(x.when)) for x in t.shares),
                all_credentials=fix(t.all_credentials),
                totals=tuple(replace(x, where=fix(x.where)) for x in t.totals),
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


def policy_digest(doc: dict, tables: dict[str, Table] | None = None) -> str:
    """sha256 of the canonical JSON of the validated document, examples left out. A table read
    already (`tables`) stands in by the digest of its typed, ordered rows."""
    body = {k: v for k, v in doc.items() if k != "examples"}
    # Order of rules, targets and slots carries no meaning: shuffling them keeps the digest.
    for key in ("recognition", "targets", "exclusions", "criteria"):
        if isinstance(body.get(key), list):
            body[key] = sorted(
                body[key], key=lambda x: str(x.get("id")) if isinstance(x, dict) else ""
            )
    if "equivalences" in body:
        body["equivalences"] = sorted(
            body["equivalences"],
            key=lambda x: (x["module"], json.dumps(x, sort_keys=True, default=_jsonable)),
        )
    body["targets"] = [
        dict(t, slots=sorted(t.get("slots", []), key=lambda x: x["id"]))
        for t in body.get("targets", [])
    ]
    if isinstance(body.get("tables"), dict):  # a table's rows are a set: their order is no meaning
        body["tables"] = {
            k: dict(t, rows=tables[k].digest)
            if isinstance(t, dict) and tables and k in tables
            else dict(t, rows=sorted(t["rows"], key=_canonical_row))
            if isinstance(t, dict) and isinstance(t.get("rows"), list)
            else t
            for k, t in body["tables"].items()
        }
    text = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical_row(row: Any) -> str:
    return json.dumps(row, sort_keys=True, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, Interval):
        return [str(value.lo), str(value.hi)]
    raise TypeError(f"not serialisable: {type(value).__name__}")


def resolve_equivalences(group: Group, tables: Mapping[str, Group]) -> Group:
    """Replace `equivalent_to` placeholders by the equivalence table's conditions."""
    items: list[Condition] = []
    for item in group.items:
        if isinstance(item, Group) and item.label and item.label.startswith("equivalent to "):
            module = item.label.removeprefix("equivalent to ")
            items.append(Group("any", tables[module].items, item.label, item.warning))
        elif isinstance(item, Group):
            found = resolve_equivalences(item, tables)
            items.append(Group(item.kind, found.items, item.label, item.warning))
        else:
            items.append(item)
    return Group(group.kind, tuple(items), group.label, group.warning)
