"""Recognition rules: assess each credential against a rule's checks and pick its Lisbon outcome.

Tiers are tried best first. The first tier none of whose checks is *not met* decides: if all its
checks are met, that is the outcome; if some are unknown, the outcome is unknown (more evidence
could reach that tier) and the best tier already reached, if any, is given as the provisional one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from engine.explain import (
    NOT_EXCLUDED,
    RANK,
    EvalContext,
    condition_rows,
    dedupe,
    evidence_requests,
    failing_phrases,
    merge_requests,
    name_of,
    warnings_of,
    who,
)
from engine.semantics import MET, NOT_MET, UNKNOWN
from rules.numbers import plain, text
from rules.policy import RecognitionRule, Tier
from rules.vocabulary import ASPECTS, LISBON_OUTCOMES


@dataclass(frozen=True)
class Assessment:
    index: int
    status: str
    tier: Tier | None  # reached (met) or aimed at (unknown)
    provisional: Tier | None  # for unknown: the best tier already reached
    aspects: dict[str, str]
    scope: str
    excluded_by: tuple[str, ...] = ()


def _decide(
    rule: RecognitionRule, aspects: dict[str, str], scope: str, hard: tuple, soft: tuple
) -> tuple[str, Tier | None, Tier | None]:
    """(status, tier reached or aimed at, provisional tier) for one pattern of statuses."""
    if scope == NOT_MET or hard:
        return "not_applicable", None, None
    reached = next((t for t in rule.tiers if all(aspects[a] == MET for a in t.requires)), None)
    aim = next((t for t in rule.tiers if all(aspects[a] != NOT_MET for a in t.requires)), None)
    if aim is None:
        return NOT_MET, None, None
    if aim is reached and scope == MET and not soft:
        return MET, reached, None
    return UNKNOWN, aim, reached


def assess_all(
    rule: RecognitionRule, ev: EvalContext, excluded: dict
) -> tuple[list[Assessment], list[Assessment]]:
    """Each credential's assessment, by credential index, and the distinct assessments among
    them: credentials with one pattern of statuses (and exclusions) share one, and the work per
    credential is a lookup (a rule × a long record is mostly the same few patterns)."""
    n = len(ev.credentials)
    scopes = ev.vector(rule.applies_to) if rule.applies_to is not None else (MET,) * n
    names = tuple(a for a, _ in rule.checks)
    patterns = zip(*(ev.vector(group) for _, group in rule.checks), strict=True)
    # (A rule without checks has no patterns, hence no assessments, whatever its scope.)
    keys = list(zip(patterns, scopes, strict=False))
    # Decisions depend on the rule and the pattern only: kept with the compiled policy (its
    # words), so the learners of a batch share them.
    decided: dict[tuple, Assessment] = ev.ctx.words.setdefault(("assessments", id(rule)), {})

    def assessment(pattern: tuple, scope: str, hard: tuple, soft: tuple) -> Assessment:
        key = (pattern, scope, hard, soft)
        found = decided.get(key)
        if found is None:
            aspects = dict(zip(names, pattern, strict=True))
            status, tier, provisional = _decide(rule, aspects, scope, hard, soft)
            why = hard if status == "not_applicable" else soft
            found = decided[key] = Assessment(-1, status, tier, provisional, aspects, scope, why)
        return found

    plain = {k: assessment(k[0], k[1], (), ()) for k in set(keys)}
    out = list(map(plain.__getitem__, keys))
    if not excluded:
        return out, list(plain.values())
    for i, ex in excluded.items():
        out[i] = assessment(keys[i][0], keys[i][1], ex.hard, ex.soft)
    return out, list({id(a): a for a in out}.values())  # those still used


def _ranked(a: Assessment, ctx: Any) -> tuple:
    """`_rank`, once per assessment (assessments are kept with the compiled policy)."""
    key = ("rank", id(a))  # `a` is kept with the compiled policy too (assess_all)
    found = ctx.words.get(key)
    if found is None:
        found = ctx.words[key] = _rank(a)
    return found


def _rank(a: Assessment) -> tuple:
    tier_rank = -LISBON_OUTCOMES.index(a.tier.level) if a.tier else -len(LISBON_OUTCOMES)
    met_aspects = sum(1 for s in a.aspects.values() if s == MET)
    return (RANK.get(a.status, -1), tier_rank, met_aspects)


# A compact result keeps the assessments that say something can count (met) or could (unknown).
COMPACT_KEEPS = (MET, UNKNOWN)


def recognition_outcome(
    rule: RecognitionRule, ev: EvalContext, excluded: dict, compact: bool = False
) -> dict[str, Any]:
    assessments, distinct = assess_all(rule, ev, excluded)
    shown = {
        id(a) for a in distinct if a.scope != NOT_MET and (not compact or a.status in COMPACT_KEEPS)
    }
    rows: dict[int, dict[str, Any]] = {}  # one row shape per pattern, shared
    result: dict[str, Any] = {
        "rule": rule.id,
        "kind": "recognition",
        "title": rule.title,
        "assessments": [
            {"credential": ev.credentials[i].id, **_row(rule, a, rows)}
            for i, a in enumerate(assessments)
            if id(a) in shown
        ],
    }
    ranked = [(_ranked(a, ev.ctx), a) for a in distinct if a.status != "not_applicable"]
    if not ranked:
        why = "no credential falls within this rule's scope"
        if any(a.excluded_by for a in distinct):
            why = "the only credentials in scope are excluded"
        result.update(
            status="not_applicable",
            outcome=None,
            credentials=[],
            conditions=[],
            missing=[],
            evidence_requests=[],
            reasons=[f"Not applicable: {why}."],
        )
        return result
    # The best rank; among credentials with it, the first in id order (the lowest id).
    top = max(rank for rank, _ in ranked)
    best_ids = {id(a) for rank, a in ranked if rank == top}
    index, shared = next((i, a) for i, a in enumerate(assessments) if id(a) in best_ids)
    best = replace(shared, index=index)
    cred = ev.credentials[best.index]
    trace_rows: list[dict[str, Any]] = []
    if rule.applies_to is not None:
        trace_rows += condition_rows(rule.applies_to, cred, ev.ctx, "scope")
    for aspect, group in rule.checks:
        trace_rows += condition_rows(group, cred, ev.ctx, aspect)
    result.update(
        status=best.status,
        outcome=_outcome(rule, best),
        credentials=[cred.id],
        conditions=trace_rows,
        missing=_missing(rule, best, ev),
        evidence_requests=_requests(rule, best, ev, excluded) if best.status == UNKNOWN else [],
        reasons=_reasons(rule, best, cred),
        warnings=_warnings(rule, cred, ev),
    )
    return result


def _warnings(rule: RecognitionRule, cred: Any, ev: EvalContext) -> list[str]:
    groups = [g for _, g in rule.checks]
    if rule.applies_to is not None:
        groups.insert(0, rule.applies_to)
    return dedupe([w for g in groups for w in warnings_of(g, cred, ev.ctx)])


def _outcome(rule: RecognitionRule, a: Assessment) -> dict[str, Any]:
    if a.status == NOT_MET:
        return {"level": rule.otherwise}
    tier = a.tier if a.status == MET else a.provisional
    out: dict[str, Any] = {"level": tier.level if tier else None}
    if tier is not None:
        credits = plain(tier.credits) if tier.credits is not None else None
        out.update(recognised_as=tier.recognised_as, credits=credits)
        if tier.note:
            out["note"] = tier.note
    if a.status == UNKNOWN:
        out["pending_level"] = a.tier.level if a.tier else None
    return out


def _missing(rule: RecognitionRule, a: Assessment, ev: EvalContext) -> list[str]:
    cred = ev.credentials[a.index]
    best_tier = rule.tiers[0]
    if a.status == MET and a.tier is best_tier:
        return []
    out = []
    for aspect, group in rule.checks:
        if aspect in best_tier.requires and a.aspects[aspect] == NOT_MET:
            for phrase in failing_phrases(group, cred, ev.ctx):
                out.append(
                    f"For {best_tier.level} recognition ({aspect.replace('_', ' ')}): "
                    f"credential {name_of(cred)} {phrase}."
                )
    return dedupe(out)


def _requests(
    rule: RecognitionRule, a: Assessment, ev: EvalContext, excluded: dict
) -> list[dict[str, Any]]:
    cred = ev.credentials[a.index]
    out = list(excluded.get(a.index, NOT_EXCLUDED).requests)
    if rule.applies_to is not None and a.scope == UNKNOWN:
        out += evidence_requests(rule.applies_to, cred, ev.ctx, f"{rule.id} scope")
    wanted = a.tier.requires if a.tier else ASPECTS
    for aspect, group in rule.checks:
        if aspect in wanted and a.aspects[aspect] == UNKNOWN:
            out += evidence_requests(group, cred, ev.ctx, f"{rule.id} {aspect}")
    return merge_requests(out)


def _reasons(rule: RecognitionRule, a: Assessment, cred: Any) -> list[str]:
    met = [x.replace("_", " ") for x, s in a.aspects.items() if s == MET]
    failed = [x.replace("_", " ") for x, s in a.aspects.items() if s == NOT_MET]
    unknown = [x.replace("_", " ") for x, s in a.aspects.items() if s == UNKNOWN]
    name = who(cred)
    out = []
    if a.status == MET:
        tier = a.tier
        what = f" as {tier.recognised_as}" if tier and tier.recognised_as else ""
        credits = f" for {text(tier.credits)} ECTS" if tier and tier.credits is not None else ""
        out.append(
            f"{name} is proposed for {tier.level} recognition{what}{credits} under '{rule.title}'."
        )
        if tier.note:
            out.append(tier.note)
    elif a.status == UNKNOWN:
        aim = f"{a.tier.level} recognition" if a.tier else "recognition"
        out.append(
            f"{name} cannot yet be assessed for {aim} under '{rule.title}': information is missing."
        )
        if a.scope == UNKNOWN:
            out.append("Whether the rule applies to it is not yet known.")
        elif a.provisional:
            out.append(
                f"On the information given, it would already reach "
                f"{a.provisional.level} recognition."
            )
    else:
        out.append(
            f"No credential meets '{rule.title}'. The closest is {name_of(cred)}; the proposed "
            f"outcome is: {rule.otherwise}."
        )
    if met:
        out.append("No substantial difference was found in: " + ", ".join(met) + ".")
    if failed:
        out.append("A substantial difference was found in: " + ", ".join(failed) + ".")
    if unknown:
        out.append("Not yet assessable for lack of information: " + ", ".join(unknown) + ".")
    if a.excluded_by:
        out.append("A possible exclusion applies: " + "; ".join(a.excluded_by) + ".")
    return out


def _row(rule: RecognitionRule, a: Assessment, cache: dict[int, dict]) -> dict[str, Any]:
    """The assessment row without its credential id; equal patterns share one (by aspects)."""
    found = cache.get(id(a.aspects))
    if found is None:
        found = {
            "status": a.status,
            "level": _outcome(rule, a)["level"] if a.status != "not_applicable" else None,
            "aspects": dict(a.aspects),
        }
        if a.excluded_by:
            found["excluded_by"] = list(a.excluded_by)
        cache[id(a.aspects)] = found
    return found
