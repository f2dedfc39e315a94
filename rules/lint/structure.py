"""Static checks of what a policy can decide: contradictory conditions, targets that can never
be met (a slot no credential can fill, a count or credit threshold above what the slots hold),
recognition tiers that can never be reached or are shadowed by an earlier tier, and decision or
classification rows that can never fire."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from rules.lint.reasoning import Reasoner
from rules.lint.walk import Finding, condition_lists, number_text, slot_paths
from rules.policy import Atom, Group, Policy, Target

ECTS_MAX = Fraction(10_000)  # the largest ECTS a credential may carry (rules.vocabulary)


def contradictions(policy: Policy, document: Mapping[str, Any] | None = None) -> list[Finding]:
    """Condition lists that can never hold, each at its own path."""
    reasoner = Reasoner(policy.catalogue)
    out = []
    for path, group in condition_lists(policy, document):
        why = reasoner.conflict(group)
        if why:
            out.append(
                Finding("error", path, f"these conditions can never hold together: {why}",
                        "contradiction")
            )  # fmt: skip
    return out


def targets(
    policy: Policy, document: Mapping[str, Any] | None = None
) -> tuple[list[Finding], set[str]]:
    """Targets that can never be met (with their ids), and slots no credential can fill."""
    reasoner = Reasoner(policy.catalogue)
    paths = slot_paths(policy, document)
    out: list[Finding] = []
    never: set[str] = set()
    by_id = {t.id: t for t in policy.targets}
    for i, t in enumerate(policy.targets):
        for slot in t.slots:
            why = reasoner.together(t.all_credentials, slot.when)
            if why is None or reasoner.conflict(slot.when):  # its own contradiction is reported
                continue
            path = f"{paths[(i, slot.id)]}.when"
            if slot.min > 0:
                never.add(t.id)
                msg = (
                    f"no credential can fill slot '{slot.title}' ({why}), so '{t.title}' can "
                    "never be met"
                )
                out.append(Finding("error", path, msg, "slot-never-filled"))
            else:
                msg = f"no credential can fill the optional slot '{slot.title}' ({why})"
                out.append(Finding("warning", path, msg, "slot-never-filled"))
        for slot in t.slots:
            if slot.min > 0 and reasoner.conflict(slot.when):
                never.add(t.id)
        out += _capacity(t, i, by_id, reasoner, never)
        out += _shares(t, i, reasoner, never)
    changed = True
    while changed:  # a target built on one that can never be met can never be met either
        changed = False
        for i, t in enumerate(policy.targets):
            blocked = [ref for ref in t.builds_on if ref in never]
            if blocked and t.id not in never:
                never.add(t.id)
                changed = True
                msg = f"'{t.title}' builds on '{blocked[0]}', which can never be met"
                out.append(Finding("error", f"targets[{i}].builds_on", msg, "target-never-met"))
    return out, never


def _members(t: Target, by_id: dict[str, Target], seen: frozenset[str] = frozenset()) -> list:
    """The slots (with the conditions on their credentials) a target counts, its own and those
    of the targets it builds on."""
    out = [(s, t.all_credentials) for s in t.slots]
    for ref in t.builds_on:
        if ref in by_id and ref not in seen:
            out += _members(by_id[ref], by_id, seen | {t.id})
    return out


def _capacity(
    t: Target, i: int, by_id: dict[str, Target], reasoner: Reasoner, never: set[str]
) -> list[Finding]:
    members = _members(t, by_id)
    if any(slot.max is None for slot, _ in members):
        return []
    room = sum(slot.max for slot, _ in members)
    out = []
    if t.min_count is not None and t.min_count > room:
        never.add(t.id)
        out.append(
            Finding("error", f"targets[{i}].min_count",
                    f"'{t.title}' needs {t.min_count} credentials but its slots hold at most "
                    f"{room}, so it can never be met", "count-above-capacity")
        )  # fmt: skip
    if t.min_total_ects is not None:
        most = Fraction(0)
        for slot, everyone in members:
            top = reasoner.upper_bound("ects", everyone or Group("all", ()), slot.when)
            most += slot.max * (ECTS_MAX if top is None else top)
        if most < t.min_total_ects:
            never.add(t.id)
            out.append(
                Finding("error", f"targets[{i}].min_total_ects",
                        f"'{t.title}' needs {number_text(t.min_total_ects)} ECTS but its slots "
                        f"hold at most {number_text(most)}, so it can never be met",
                        "threshold-above-capacity")
            )  # fmt: skip
    for j, total in enumerate(t.totals):
        if total.minimum is None:
            continue
        most = Fraction(0)
        for slot, everyone in members:
            top = reasoner.upper_bound(total.of, everyone or Group("all", ()), slot.when)
            if top is None:
                return out
            most += slot.max * top
        if most < total.minimum:
            never.add(t.id)
            out.append(
                Finding("error", f"targets[{i}].totals[{j}].min",
                        f"'{total.title}' needs {number_text(total.minimum)} but the slots hold "
                        f"at most {number_text(most)}, so '{t.title}' can never be met",
                        "threshold-above-capacity")
            )  # fmt: skip
    return out


def _shares(t: Target, i: int, reasoner: Reasoner, never: set[str]) -> list[Finding]:
    out = []
    for j, share in enumerate(t.shares):
        if not t.slots or reasoner.conflict(share.when):
            continue
        if all(reasoner.together(t.all_credentials, s.when, share.when) for s in t.slots):
            never.add(t.id)
            out.append(
                Finding("error", f"targets[{i}].shares[{j}].when",
                        f"no credential any slot admits can count towards the share "
                        f"'{share.title}', so '{t.title}' can never be met", "share-never-met")
            )  # fmt: skip
    return out


def tiers(policy: Policy) -> list[Finding]:
    """Recognition tiers that can never be reached: their checks contradict each other (or the
    rule's scope), or an earlier tier requiring only some of the same checks always decides
    first (tiers are tried best first)."""
    reasoner = Reasoner(policy.catalogue)
    out = []
    for i, rule in enumerate(policy.recognition):
        checks = dict(rule.checks)
        why_scope = reasoner.conflict(rule.applies_to)
        for j, tier in enumerate(rule.tiers):
            path = f"recognition[{i}].outcomes[{j}]"
            earlier = next(
                (k for k, e in enumerate(rule.tiers[:j]) if set(e.requires) <= set(tier.requires)),
                None,
            )
            if earlier is not None:
                first = rule.tiers[earlier]
                out.append(
                    Finding("error", path,
                            f"the '{tier.level}' outcome is never given: the earlier "
                            f"'{first.level}' outcome needs only checks it needs too, so it "
                            "always decides first", "tier-shadowed")
                )  # fmt: skip
                continue
            groups = [checks[a] for a in tier.requires if a in checks]
            if why_scope or any(reasoner.conflict(g) for g in groups):
                continue  # reported at the scope or the check itself
            why = reasoner.together(rule.applies_to, *groups)
            if why:
                out.append(
                    Finding("error", path,
                            f"the '{tier.level}' outcome can never be reached: its checks "
                            f"cannot hold together ({why})", "tier-never-reached")
                )  # fmt: skip
    return out


def rows(policy: Policy, never: set[str]) -> list[Finding]:
    """Decision rows that need a target that can never be met, and classification rows after a
    row that holds whenever they do (hit first)."""
    out = []
    for r in policy.requests:
        for j, row in enumerate(r.rows):
            needed = _needs_met(row.when, never)
            if needed:
                out.append(
                    Finding("error", f"requests.{r.id}.decision.rows[{j}]",
                            f"this row never decides: it needs '{needed}' met, which can never "
                            "happen", "row-never-fires")
                )  # fmt: skip
    for c in policy.classifications:
        if c.hit != "first":
            continue
        for j, row in enumerate(c.rows):
            mine = _flat_atoms(row.when)
            for earlier in c.rows[:j]:
                theirs = _flat_atoms(earlier.when)
                if mine is not None and theirs is not None and set(theirs) <= set(mine):
                    out.append(
                        Finding("error", f"classifications.{c.name}.rows[{j}]",
                                f"this row never decides: row '{earlier.id}' comes first and "
                                "holds whenever it does", "row-never-fires")
                    )  # fmt: skip
                    break
    return out


def _needs_met(group: Group, never: set[str]) -> str | None:
    if group.kind != "all":
        return None
    for item in group.items:
        if isinstance(item, Group):
            found = _needs_met(item, never)
            if found:
                return found
        elif item.element.startswith("status:") and item.element[7:] in never:
            if (item.op == "eq" and item.value == "met") or (
                item.op == "in" and set(item.value) == {"met"}
            ):
                return item.element[7:]
    return None


def _flat_atoms(group: Group) -> list[Atom] | None:
    out: list[Atom] = []
    for item in group.items:
        if isinstance(item, Atom):
            out.append(item)
        elif item.kind == "all":
            found = _flat_atoms(item)
            if found is None:
                return None
            out += found
        else:
            return None
    return out
