"""Recognition rules: assess each credential against a rule's checks and pick its Lisbon outcome.

Tiers are tried best first. The first tier none of whose checks is *not met* decides: if all its
checks are met, that is the outcome; if some are unknown, the outcome is unknown (more evidence
could reach that tier) and the best tier already reached, if any, is given as the provisional one.
"""

from __future__ import annotations

from dataclasses import dataclass
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
)
from engine.semantics import MET, NOT_MET, UNKNOWN
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


def assess(rule: RecognitionRule, index: int, ev: EvalContext, excluded: dict) -> Assessment:
    scope = MET if rule.applies_to is None else ev.status(rule.applies_to, index)
    aspects = {aspect: ev.status(group, index) for aspect, group in rule.checks}
    ex = excluded.get(index, NOT_EXCLUDED)
    hard, soft = ex.hard, ex.soft
    if scope == NOT_MET or hard:
        return Assessment(index, "not_applicable", None, None, aspects, scope, hard)
    reached = next((t for t in rule.tiers if all(aspects[a] == MET for a in t.requires)), None)
    aim = next((t for t in rule.tiers if all(aspects[a] != NOT_MET for a in t.requires)), None)
    if aim is None:
        return Assessment(index, NOT_MET, None, None, aspects, scope, soft)
    if aim is reached and scope == MET and not soft:
        return Assessment(index, MET, reached, None, aspects, scope)
    return Assessment(index, UNKNOWN, aim, reached, aspects, scope, soft)


def _better(a: Assessment, ev: EvalContext) -> tuple:
    tier_rank = -LISBON_OUTCOMES.index(a.tier.level) if a.tier else -len(LISBON_OUTCOMES)
    met_aspects = sum(1 for s in a.aspects.values() if s == MET)
    return (RANK.get(a.status, -1), tier_rank, met_aspects, _neg(ev.credentials[a.index].id))


def _neg(text: str) -> tuple:
    # Ties go to the smallest credential id; max() needs a key that grows as ids shrink.
    return tuple(-ord(ch) for ch in text) + (1,)


def recognition_outcome(rule: RecognitionRule, ev: EvalContext, excluded: dict) -> dict[str, Any]:
    assessments = [assess(rule, i, ev, excluded) for i in range(len(ev.credentials))]
    in_scope = [a for a in assessments if a.status != "not_applicable"]
    result: dict[str, Any] = {
        "rule": rule.id,
        "kind": "recognition",
        "title": rule.title,
        "assessments": [_row(rule, a, ev) for a in assessments if a.scope != NOT_MET],
    }
    if not in_scope:
        why = "no credential falls within this rule's scope"
        if any(a.excluded_by for a in assessments):
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
    best = max(in_scope, key=lambda a: _better(a, ev))
    cred = ev.credentials[best.index]
    rows: list[dict[str, Any]] = []
    if rule.applies_to is not None:
        rows += condition_rows(rule.applies_to, cred, ev.ctx, "scope")
    for aspect, group in rule.checks:
        rows += condition_rows(group, cred, ev.ctx, aspect)
    result.update(
        status=best.status,
        outcome=_outcome(rule, best),
        credentials=[cred.id],
        conditions=rows,
        missing=_missing(rule, best, ev),
        evidence_requests=_requests(rule, best, ev, excluded) if best.status == UNKNOWN else [],
        reasons=_reasons(rule, best, cred.id),
    )
    return result


def _outcome(rule: RecognitionRule, a: Assessment) -> dict[str, Any]:
    if a.status == NOT_MET:
        return {"level": rule.otherwise}
    tier = a.tier if a.status == MET else a.provisional
    out: dict[str, Any] = {"level": tier.level if tier else None}
    if tier is not None:
        out.update(recognised_as=tier.recognised_as, credits=tier.credits)
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
                    f"credential '{cred.id}' {phrase}."
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


def _reasons(rule: RecognitionRule, a: Assessment, cred_id: str) -> list[str]:
    met = [x.replace("_", " ") for x, s in a.aspects.items() if s == MET]
    failed = [x.replace("_", " ") for x, s in a.aspects.items() if s == NOT_MET]
    unknown = [x.replace("_", " ") for x, s in a.aspects.items() if s == UNKNOWN]
    out = []
    if a.status == MET:
        tier = a.tier
        what = f" as {tier.recognised_as}" if tier and tier.recognised_as else ""
        credits = f" for {tier.credits:g} ECTS" if tier and tier.credits is not None else ""
        out.append(
            f"Credential '{cred_id}' is proposed for {tier.level} recognition{what}"
            f"{credits} under '{rule.title}'."
        )
        if tier.note:
            out.append(tier.note)
    elif a.status == UNKNOWN:
        aim = f"{a.tier.level} recognition" if a.tier else "recognition"
        out.append(
            f"Credential '{cred_id}' cannot yet be assessed for {aim} under '{rule.title}': "
            "information is missing."
        )
        if a.provisional:
            out.append(
                f"On the information given, it already qualifies for "
                f"{a.provisional.level} recognition."
            )
    else:
        out.append(
            f"No credential meets '{rule.title}'. The closest is '{cred_id}'; the proposed "
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


def _row(rule: RecognitionRule, a: Assessment, ev: EvalContext) -> dict[str, Any]:
    row: dict[str, Any] = {
        "credential": ev.credentials[a.index].id,
        "status": a.status,
        "level": _outcome(rule, a)["level"] if a.status != "not_applicable" else None,
        "aspects": dict(a.aspects),
    }
    if a.excluded_by:
        row["excluded_by"] = list(a.excluded_by)
    return row
