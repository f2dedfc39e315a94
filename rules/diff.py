"""What changed between two versions of a policy, in words (`credstack policy diff A B`).

`diff_policies(a, b)` compares two validated policies part by part — the policy's own fields,
settings, recognition rules with their checks and outcome tiers, targets with their slots,
shares and totals, criteria, exclusions, equivalences, declarations, computed values,
classifications, lookups, tables with their rows (by key), dispositions, requests with their
decision rows — and returns plain `Change`s: added, changed or removed, what kind of part, its
id, a path into the document of the version it is in, before and after in words, and a one-line
message. Parts are matched by id (slots by slot id, tiers by level, rows by id or key), so
reordering changes nothing; comparing a policy with itself gives no changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.lint.walk import group_words, number_text, slot_paths, value_text
from rules.policy import Expr, Policy

KINDS = ("added", "changed", "removed")


@dataclass(frozen=True)
class Change:
    kind: str  # added | changed | removed
    what: str  # policy, setting, rule, check, tier, target, slot, share, total, criterion, ...
    id: str
    path: str  # in the version the part is in (the new one, unless removed)
    before: str | None
    after: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.kind:<8} {self.path}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("kind", "what", "id", "path", "before", "after",
                                               "message")}  # fmt: skip


Parts = dict[tuple[str, str], tuple[str, dict[str, str]]]  # (what, id) → (path, field → words)


def diff_policies(
    a: Policy,
    b: Policy,
    document_a: Mapping[str, Any] | None = None,
    document_b: Mapping[str, Any] | None = None,
) -> list[Change]:
    """The changes that turn `a` into `b`, in the order of `b` (removed parts last). The
    documents, when given, only make slot paths name where each slot was written."""
    before, after = parts(a, document_a), parts(b, document_b)
    new = {k for k in after if k not in before} | {k for k in before if k not in after}
    out = []
    for key, (path, fields) in after.items():
        what, ident = key
        if _parent(key) in new:
            continue  # the parent's own line says it came or went
        if key not in before:
            summary = _summary(fields)
            out.append(Change("added", what, ident, path, None, summary,
                              f"{what} '{ident}' added: {summary}"))  # fmt: skip
            continue
        old = before[key][1]
        for name in sorted(set(old) | set(fields), key=_field_order(old, fields)):
            x, y = old.get(name), fields.get(name)
            if x == y:
                continue
            whole = name in ("position", "value")
            where = path if whole else f"{path}.{name}"
            field = "" if name == "value" else f": {name.replace('_', ' ')}"
            out.append(Change("changed", what, ident, where, x, y,
                              f"{what} '{ident}'{field} {_from_to(x, y)}"))  # fmt: skip
    for key, (path, fields) in before.items():
        if key not in after and _parent(key) not in new:
            what, ident = key
            summary = _summary(fields)
            out.append(Change("removed", what, ident, path, summary, None,
                              f"{what} '{ident}' removed (was: {summary})"))  # fmt: skip
    return out


_PARENTS = {"check": "rule", "tier": "rule", "slot": "target", "share": "target",
            "total": "target", "decision row": "request", "table row": "table",
            "classification row": "classification"}  # fmt: skip


def _parent(key: tuple[str, str]) -> tuple[str, str] | None:
    what, ident = key
    if what not in _PARENTS:
        return None
    return (_PARENTS[what], ident.split(" / ", 1)[0])


def _field_order(old: dict, new: dict) -> Any:
    order = list(new) + [k for k in old if k not in new]
    return order.index


def _from_to(x: str | None, y: str | None) -> str:
    if x is None:
        return f"set to {y}"
    if y is None:
        return f"no longer set (was {x})"
    return f"changed from {x} to {y}"


def _summary(fields: dict[str, str]) -> str:
    shown = [f"{k.replace('_', ' ')} {v}" for k, v in fields.items() if k != "position"]
    text = "; ".join(shown)
    return text if len(text) <= 300 else text[:297] + "..."


def _num(value: Any) -> str | None:
    return None if value is None else number_text(value)


def _text(value: Any) -> str | None:
    if value is None or value == () or value == "":
        return None
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _put(out: Parts, what: str, ident: str, path: str, **fields: Any) -> None:
    out[(what, ident)] = (path, {k: v for k, v in fields.items() if v is not None})


def parts(p: Policy, document: Mapping[str, Any] | None = None) -> Parts:
    """A policy as comparable parts, each field in words."""
    c = p.catalogue
    out: Parts = {}
    _put(out, "policy", p.id, "", title=p.title, organisation=p.organisation, purpose=p.purpose,
         version=p.version, effective_from=p.effective_from.isoformat(),
         effective_to=p.effective_to.isoformat() if p.effective_to else None)  # fmt: skip
    s = p.settings
    hours = s.hours_per_ects
    hours_text = (
        f"{number_text(hours.lo)} to {number_text(hours.hi)}" if hasattr(hours, "lo")
        else number_text(hours)
    )  # fmt: skip
    _put(out, "setting", "hours_per_ects", "settings.hours_per_ects", value=hours_text)
    _put(out, "setting", "double_counting", "settings.double_counting", value=s.double_counting)
    overlap = (
        f"{s.overlap_element}, at least {float(s.overlap_min_share):.0%} shared"
        if s.overlap_element else None
    )  # fmt: skip
    _put(out, "setting", "overlap", "settings.overlap", value=overlap or "none")
    for i, r in enumerate(p.recognition):
        path = f"recognition[{i}]"
        _put(out, "rule", r.id, path, title=r.title, applies_to=_words(r.applies_to, c),
             otherwise=r.otherwise)  # fmt: skip
        for aspect, group in r.checks:
            _put(out, "check", f"{r.id} / {aspect}", f"{path}.checks.{aspect}",
                 conditions=group_words(group, c))  # fmt: skip
        for j, tier in enumerate(r.tiers):
            _put(out, "tier", f"{r.id} / {tier.level}", f"{path}.outcomes[{j}]",
                 requires=", ".join(tier.requires), recognised_as=tier.recognised_as,
                 credits=_num(tier.credits), note=tier.note, position=str(j + 1))  # fmt: skip
    _targets(out, p, document)
    for i, x in enumerate(p.criteria):
        _put(out, "criterion", x.id, f"criteria[{i}]", title=x.title, about=x.about,
             when=group_words(x.when, c), applies_to=_words(x.applies_to, c), met=x.met,
             not_met=x.not_met)  # fmt: skip
    for i, x in enumerate(p.exclusions):
        _put(out, "exclusion", x.id, f"exclusions[{i}]", reason=x.reason,
             when=group_words(x.when, c))  # fmt: skip
    counts: dict[str, int] = {}
    for i, e in enumerate(p.equivalences):
        counts[e.module] = counts.get(e.module, 0) + 1
        _put(out, "equivalence", f"{e.module} #{counts[e.module]}", f"equivalences[{i}]",
             title=e.title, credits=_num(e.credits), when=group_words(e.when, c))  # fmt: skip
    _declarations(out, p)
    _tables(out, p)
    for d in p.dispositions:
        _put(out, "disposition", d.code, f"dispositions.{d.code}", label=d.label,
             favourable="yes" if d.favourable else "no", options=_text(d.options))  # fmt: skip
    for r in p.requests:
        path = f"requests.{r.id}"
        _put(out, "request", r.id, path, title=r.title, considers=_text(r.considers),
             names=_text(r.names), hit=r.hit, otherwise=r.otherwise,
             per_credential="yes" if r.per_credential else None, options=_text(r.options),
             next_best=_text(r.next_best))  # fmt: skip
        for j, row in enumerate(r.rows):
            _put(out, "decision row", f"{r.id} / {row.id}", f"{path}.decision.rows[{j}]",
                 when=group_words(row.when, c), disposition=row.disposition,
                 reasons=_text(row.reasons), options=_text(row.options),
                 position=str(j + 1))  # fmt: skip
    translations = (document or {}).get("translations") or {}
    for language, texts in sorted(translations.items()):
        for text, translation in sorted((texts or {}).items()):
            _put(out, "translation", f"{language}: {text}", f"translations.{language}",
                 text=translation)  # fmt: skip
    return out


def _words(group: Any, catalogue: Any) -> str | None:
    return None if group is None else group_words(group, catalogue)


def _targets(out: Parts, p: Policy, document: Mapping[str, Any] | None) -> None:
    c = p.catalogue
    slots = slot_paths(p, document)
    for i, t in enumerate(p.targets):
        path = f"targets[{i}]"
        _put(out, "target", t.id, path, title=t.title, builds_on=_text(t.builds_on),
             all_credentials=_words(t.all_credentials, c),
             min_total_ects=_num(t.min_total_ects), min_count=_text(t.min_count),
             max_per_provider=_text(t.max_per_provider), awards=t.awards,
             credits=_num(t.credits))  # fmt: skip
        for slot in t.slots:
            _put(out, "slot", f"{t.id} / {slot.id}", slots[(i, slot.id)], title=slot.title,
                 min=str(slot.min), max="any" if slot.max is None else str(slot.max),
                 when=group_words(slot.when, c))  # fmt: skip
        for j, share in enumerate(t.shares):
            _put(out, "share", f"{t.id} / {share.title}", f"{path}.shares[{j}]",
                 min_share=f"{float(share.min_share):.0%}", of=share.of,
                 when=group_words(share.when, c))  # fmt: skip
        for j, total in enumerate(t.totals):
            _put(out, "total", f"{t.id} / {total.title}", f"{path}.totals[{j}]", of=total.of,
                 min=_num(total.minimum), max=_num(total.maximum),
                 where=_words(total.where, c))  # fmt: skip


_DECLARED = {"declared": ("element", "elements"), "fact": ("fact", "facts"),
             "choice": ("choice", "requests")}  # fmt: skip


def _declarations(out: Parts, p: Policy) -> None:
    c = p.catalogue
    subjects = sorted(c.subjects.values(), key=lambda s: s.key) if c is not None else []
    for s in subjects:
        if s.source in _DECLARED:
            what, section = _DECLARED[s.source]
            path = f"{section}.{s.name}" if s.source != "choice" else _choice_path(p, s.name)
            _put(out, what, s.name, path, type=s.type, label=s.label,
                 values=_text(s.codes()), unit=s.unit,
                 if_absent=s.if_absent if s.if_absent != "unknown" else None)  # fmt: skip
    for x in p.computed:
        _put(out, "computed value", x.name, f"computed.{x.name}", label=x.label,
             value=expr_words(x.expr, c), unit=x.unit)  # fmt: skip
    for x in p.classifications:
        path = f"classifications.{x.name}"
        _put(out, "classification", x.name, path, label=x.label, hit=x.hit,
             classes=_text(tuple(code for code, _ in x.classes)), default=x.default)  # fmt: skip
        for j, row in enumerate(x.rows):
            _put(out, "classification row", f"{x.name} / {row.id}", f"{path}.rows[{j}]",
                 when=group_words(row.when, c), gives=row.cls, position=str(j + 1))  # fmt: skip
    for x in p.lookups:
        match = ", ".join(f"{col} = {key}" for col, key in x.test.match)
        _put(out, "lookup", x.name, f"lookups.{x.name}", label=x.label,
             table=x.test.table, match=match, column=x.column)  # fmt: skip


def _choice_path(p: Policy, name: str) -> str:
    for r in p.requests:
        if any(ch.name == name for ch in r.choices):
            return f"requests.{r.id}.choices.{name}"
    return f"requests.choices.{name}"


def _tables(out: Parts, p: Policy) -> None:
    for t in p.tables:
        path = f"tables.{t.id}"
        columns = ", ".join(f"{col.name} ({col.type})" for col in t.columns)
        _put(out, "table", t.id, path, title=t.title, version=t.version, source=t.source,
             columns=columns, key=", ".join(t.key))  # fmt: skip
        keys = [t.column(k) for k in t.key]
        if t.valid_from:
            keys.append(t.column(t.valid_from))
        for row in t.rows:
            ident = " / ".join(value_text("", row[k]) for k in keys)
            cells = "; ".join(
                f"{col.name} {value_text('', v)}" for col, v in zip(t.columns, row, strict=True)
                if v is not None
            )  # fmt: skip
            _put(out, "table row", f"{t.id} / {ident}", f"{path}.rows", cells=cells)


def expr_words(expr: Any, catalogue: Any = None) -> str:
    if not isinstance(expr, Expr):
        return value_text("", expr, catalogue)
    if expr.op == "const":
        value = expr.args[0]
        if hasattr(value, "lo"):
            return f"{number_text(value.lo)} to {number_text(value.hi)}"
        return number_text(value)
    if expr.op == "ref":
        return str(expr.args[0])
    return f"{expr.op}(" + ", ".join(expr_words(a, catalogue) for a in expr.args) + ")"
