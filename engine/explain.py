"""Shared pieces of an explanation: condition traces, evidence requests, missing-item phrases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.lookup import Possible, matching_rows
from engine.semantics import (
    MET,
    NOT_MET,
    UNKNOWN,
    Context,
    actual_of,
    column_status,
    evaluate,
    trace,
)
from engine.wording import group_text, label_of, ref_text, show
from rules.operators import OPERATORS
from rules.policy import Atom, Group, Ref, TableTest
from rules.vocabulary import FACT_PROVENANCE

RANK = {MET: 2, UNKNOWN: 1, NOT_MET: 0}


@dataclass(frozen=True)
class Excluded:
    """Exclusions that hold (hard) or may hold (soft, with what would settle them)."""

    hard: tuple[str, ...] = ()
    soft: tuple[str, ...] = ()
    requests: tuple[dict[str, Any], ...] = ()


NOT_EXCLUDED = Excluded()


@dataclass
class EvalContext:
    """Everything the outcome builders share for one evaluation."""

    ctx: Context
    credentials: list[Any]  # the credentials' views (engine.views.View), in id order
    statuses: dict[str, tuple[str, ...]]  # block id → status per view of its scope
    block_of: Any  # callable: Group → block id
    application: Any = None  # the application's view

    def app_status(self, group: Group) -> str:
        return self.statuses[self.block_of(group)][0]

    def status(self, group: Group, index: int) -> str:
        return self.statuses[self.block_of(group)][index]

    def vector(self, group: Group) -> tuple[str, ...]:
        """The group's status for every credential, in credential order."""
        return self.statuses[self.block_of(group)]


def name_of(view: Any) -> str:
    """A credential by id and title: 'c2' (Data Basics)."""
    title = getattr(view, "title", None) or (view.get("title") if hasattr(view, "get") else None)
    return f"'{view.id}' ({title})" if title else f"'{view.id}'"


def table_rows(test: TableTest, view: Any, ctx: Context) -> dict[str, Any]:
    """The table a condition read, its version, and the rows it found (at most three)."""
    table = ctx.table(test.table)
    _, rows, _ = matching_rows(test, table, view.get, ctx.as_of, column_status)
    names = [c.name for c in table.columns]
    shown = [{n: _cell(v) for n, v in zip(names, row, strict=True)} for row in rows[:3]]
    return {"id": table.id, "title": table.title, "version": table.version, "rows": shown}


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(show("", value))


def who(view: Any) -> str:
    """A credential as a letter names it: Credential 'c2' (Data Basics)."""
    if view.id == "(application)":
        return "The application"
    return f"Credential {name_of(view)}"


def condition_rows(
    group: Group,
    credential: Any,
    ctx: Context,
    aspect: str | None = None,
    only: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """Trace rows for one credential; `only` keeps rows of those statuses."""
    rows = []
    for r in trace(group, credential, ctx):
        if only and r.status not in only:
            continue
        row = {
            "text": r.text,
            "status": r.status,
            "credential": credential.id,
            "element": r.atom.element,
            "actual": _plain(r.actual),
            "expected": expected_words(r.atom, ctx),
        }
        if r.atom.warning and r.status == MET:
            row["warning"] = r.atom.warning
        if isinstance(r.atom.value, TableTest):
            row["table"] = table_rows(r.atom.value, credential, ctx)
        prov = credential.provenance.get(r.atom.element)
        # An inferred value may be unknown (beyond what credstack compares): the note says why.
        told = prov is not None and prov.kind != "native"
        if told and (r.actual is not None or prov.kind == "inferred"):
            row["provenance"] = provenance_text(prov)
        if aspect:
            row["aspect"] = aspect
        rows.append(row)
    return rows


def provenance_text(prov: Any) -> str:
    """Where a value came from, in words: a fact's source ("from a supporting document: IELTS
    Test Report Form"), or a credential value's note (or kind)."""
    label = FACT_PROVENANCE.get(prov.kind)
    if label is None:
        return prov.note or prov.kind
    return (
        label
        + (f": {prov.source}" if prov.source else "")
        + (f" ({prov.note})" if prov.note else "")
    )


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, type(None))) else str(value)


def expected_text(atom: Any, ctx: Context | None = None) -> str:
    catalogue = ctx.catalogue if ctx is not None else None
    if isinstance(atom.value, TableTest):
        return "a matching row" if atom.op == "matches" else "no matching row"
    if isinstance(atom.value, Ref):
        value: Any = ref_text(atom.value.key, catalogue)
    else:
        value = show(atom.element, atom.value, catalogue)
    if atom.op == "known":
        return "a known value"
    if atom.op.startswith("within_"):
        since = ref_text(atom.of, catalogue) if atom.of else "the application date"
        return f"within {atom.value} {atom.op.removeprefix('within_')} before {since}"
    if atom.op == "covers":
        share = atom.share if atom.share is not None else 1
        return f"at least {float(share):.0%} of {value}"
    if atom.op in ("in", "not_in"):
        word = "one of" if atom.op == "in" else "none of"
        return f"{word} {value}"
    if atom.op in ("has_words", "lacks_words"):
        word = "mentions" if atom.op == "has_words" else "does not mention"
        return f"{word} " + " or ".join(f"“{p}”" for p in atom.value)
    symbol = OPERATORS[atom.op].symbol if atom.op in OPERATORS else atom.op
    return f"{symbol} {value}"


def evidence_requests(
    group: Group, credential: Any, ctx: Context, why: str
) -> list[dict[str, Any]]:
    """One request per value a group needs and the credential (or the application) lacks.

    Only values that can still change the group's status are asked for: a branch of an `any`
    that already fails, or an `all` that fails whatever the missing values, asks for nothing."""
    seen: dict[str, dict[str, Any]] = {}
    for atom in _undecided_atoms(group, credential, ctx):
        for element in _needed(atom, credential, ctx):
            if element in seen:
                continue
            label = label_of(element, ctx.catalogue).removeprefix("the ")
            what = "the" if credential.get(element) is None else "a more precise"
            if element.startswith("fact:"):
                whose, label = "The applicant", f"{label} (applicant fact '{element[5:]}')"
            elif element.startswith("choice:"):
                whose, label = "The applicant", f"choice of {label}"
            else:
                whose = who(credential)
            applicant = element.startswith(("fact:", "choice:"))
            seen[element] = {
                "credential": None if applicant else credential.id,
                "element": element,
                "request": f"{whose}: provide {what} {label} "
                f"(needed for {why}: {ctx.text_of(atom)}).",
            }
    return list(seen.values())


def _undecided_atoms(group: Group, view: Any, ctx: Context) -> list[Any]:
    """The unknown atoms of the branches whose status is still unknown."""
    if evaluate(group, view, ctx) != UNKNOWN:
        return []
    out = []
    for item in group.items:
        if isinstance(item, Atom):
            if ctx.status(item, view) == UNKNOWN:
                out.append(item)
        else:
            out += _undecided_atoms(item, view, ctx)
    return out


def _needed(atom: Any, view: Any, ctx: Context) -> list[str]:
    """The subjects whose values are missing: the atom's own, the one it compares with, or
    what a computed value, a lookup or a classification is made from."""
    if isinstance(atom.value, TableTest):
        keys = [k for _, k in atom.value.match] + ([atom.value.on] if atom.value.on else [])
        return [k for k in keys if view.get(k) is None][:1] or [atom.element]
    if isinstance(atom.value, Ref) and view.get(atom.element) is not None:
        return [atom.value.key]
    if atom.of and view.get(atom.element) is not None:
        return [atom.of]
    return _sources(atom.element, view, ctx, 0) or [atom.element]


def _sources(key: str, view: Any, ctx: Context, depth: int) -> list[str]:
    """The missing inputs behind a computed value, lookup or classification (or the key itself)."""
    policy = ctx.policy
    subject = ctx.catalogue.get(key)
    value = view.get(key)
    derived = subject is not None and subject.source in ("computed", "lookup", "classification")
    if policy is None or subject is None or depth > 5 or not derived:
        return [key] if value is None else []
    if value is not None and not isinstance(value, Possible):
        return []
    inputs: list[str] = []
    if subject.source == "computed":
        computed = next(c for c in policy.computed if c.name == key)
        inputs = _expression_refs(computed.expr)
    elif subject.source == "lookup":
        lookup = next(x for x in policy.lookups if x.name == key)
        inputs = [k for _, k in lookup.test.match] + ([lookup.test.on] if lookup.test.on else [])
    elif subject.source == "classification":
        found = next(c for c in policy.classifications if c.name == key)
        inputs = [a.element for row in found.rows for a in _all_atoms(row.when)]
    if not inputs:
        return [key]
    missing = [m for k in dict.fromkeys(inputs) for m in _sources(k, view, ctx, depth + 1)]
    return list(dict.fromkeys(missing)) or [key]


def _expression_refs(expr: Any) -> list[str]:
    if expr.op == "ref":
        return [expr.args[0]]
    if expr.op == "const":
        return []
    return [k for part in expr.args for k in _expression_refs(part)]


def _all_atoms(c: Any) -> list[Any]:
    return [c] if isinstance(c, Atom) else [a for i in c.items for a in _all_atoms(i)]


def merge_requests(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One request per credential and element, keeping the first wording."""
    out: dict[tuple[str | None, str], dict[str, Any]] = {}
    for r in requests:
        out.setdefault((r["credential"], r["element"]), r)
    return list(out.values())


def failing_phrases(group: Group, credential: Any, ctx: Context) -> list[str]:
    """ "EQF level is 5; needs ≥ 6" for each atom that is not met."""
    out = []
    for r in trace(group, credential, ctx):
        if r.status == NOT_MET:
            if isinstance(r.atom.value, TableTest):
                out.append(f"{r.text}: it does not")
                continue
            label = label_of(r.atom.element, ctx.catalogue)
            actual = "absent" if r.actual is None else r.actual
            out.append(f"{label} is {actual}; needs {expected_text(r.atom, ctx)}")
    return out


def first_failure(group: Group, credential: Any, ctx: Context) -> dict[str, Any] | None:
    """The first condition of a group a credential does not meet: text, actual, expected.
    Only that one is put into words (a wallet × policy asks this tens of thousands of times)."""
    atom = _first_not_met(group, credential, ctx)
    if atom is None:
        return None
    return {
        "condition": ctx.text_of(atom),
        "actual": _plain(actual_of(atom, credential, ctx)),
        "expected": expected_words(atom, ctx),
    }


def expected_words(atom: Atom, ctx: Context) -> str:
    """`expected_text`, worked out once per condition of a compiled policy."""
    key = ("expected", id(atom))
    found = ctx.words.get(key)
    if found is None:
        found = ctx.words[key] = expected_text(atom, ctx)
    return found


def _first_not_met(group: Group, credential: Any, ctx: Context) -> Atom | None:
    # Rules share conditions: a condition's status for a credential is worked out once.
    for item in group.items:
        if isinstance(item, Atom):
            if ctx.status(item, credential) == NOT_MET:
                return item
        else:
            found = _first_not_met(item, credential, ctx)
            if found is not None:
                return found
    return None


def warnings_of(group: Group, view: Any, ctx: Context) -> list[str]:
    """Warnings the policy attached to conditions (or groups) that hold for this view."""
    if not _has_warnings(group, ctx):
        return []
    out: list[str] = []

    def walk(c: Any) -> None:
        if isinstance(c, Atom):
            if c.warning and ctx.status(c, view) == MET:
                out.append(c.warning)
            return
        if c.warning and evaluate(c, view, ctx) == MET:
            out.append(c.warning)
        for item in c.items:
            walk(item)

    walk(group)
    return dedupe(out)


def _has_warnings(group: Group, ctx: Context) -> bool:
    """Whether any condition of the group (or a group in it) carries a warning; most carry
    none, and this is asked for every rule of every evaluation (kept per compiled policy)."""
    key = ("has warnings", id(group))
    found = ctx.words.get(key)
    if found is None:

        def any_warning(c: Any) -> bool:
            return bool(c.warning) or (
                not isinstance(c, Atom) and any(any_warning(i) for i in c.items)
            )

        found = ctx.words[key] = any_warning(group)
    return found


def describe_group(group: Group, ctx: Context | None = None) -> str:
    return group_text(group, ctx.catalogue if ctx is not None else None)


def dedupe(items: list[Any]) -> list[Any]:
    """Keep the first of equal items, in order (dicts compared by value)."""
    seen, out = set(), []
    for item in items:
        key = repr(sorted(item.items())) if isinstance(item, dict) else repr(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
